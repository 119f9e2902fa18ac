"""Redis connections for distributed crawls, and the key layout.

The client is ``valkey`` (the Linux Foundation's fork of redis-py, same API, speaks to any
Redis 6+ or Valkey server). redis-py itself cannot be installed beside pywb, which pins
``redis==2.10.6``; ``valkey`` owns its own module name, so the two never clash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import valkey
from valkey.exceptions import ConnectionError as _ConnectionError
from valkey.exceptions import TimeoutError as _TimeoutError

from archive.errors import ClusterError, ClusterUnavailable

# what "Redis is down" looks like to the client: the caller pauses and retries
UNAVAILABLE: tuple[type[BaseException], ...] = (_ConnectionError, _TimeoutError, OSError)
ROOT = "newsarc"


def redacted(url: str) -> str:
    """``url`` without its password (for logs and messages)."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def connect(url: str, *, timeout: float = 5.0) -> valkey.Valkey:
    """A client for ``redis://[user:pass@]host:port/db`` (or ``rediss://``, ``unix://``).
    Lazy: nothing is sent until the first command."""
    scheme = urlsplit(url).scheme
    if scheme not in ("redis", "rediss", "unix", "valkey", "valkeys"):
        raise ClusterError(f"not a Redis URL: {redacted(url)} (expected redis://host:port/db)")
    try:
        return valkey.Valkey.from_url(
            url.replace("valkey", "redis", 1) if scheme.startswith("valkey") else url,
            socket_connect_timeout=min(timeout, 2.0),
            socket_timeout=timeout,
            health_check_interval=30,
        )
    except ValueError as exc:
        raise ClusterError(f"bad Redis URL {redacted(url)}: {exc}") from None


def ping(client: valkey.Valkey, url: str) -> None:
    """Raise :class:`ClusterUnavailable` naming the server when it cannot be reached."""
    try:
        client.ping()
    except UNAVAILABLE as exc:
        raise ClusterUnavailable(f"Redis at {redacted(url)} cannot be reached: {exc}") from None


@dataclass(frozen=True)
class CrawlKeys:
    """The key names of one crawl of one event (``newsarc:<slug>:<crawl-id>:…``)."""

    slug: str
    crawl_id: str

    @property
    def prefix(self) -> str:
        return f"{ROOT}:{self.slug}:{self.crawl_id}:"

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.prefix + name

    def host(self, slot: str) -> str:
        return f"{self.prefix}host:{slot}"

    def host_slots(self, slot: str) -> str:
        return f"{self.prefix}slots:{slot}"


def event_key(slug: str) -> str:
    """The hash describing the event's current distributed crawl."""
    return f"{ROOT}:{slug}:crawl"


EVENTS_KEY = f"{ROOT}:events"  # slugs with a crawl under way (``newsarc worker`` joins them)


def decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
