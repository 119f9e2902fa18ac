"""Forward proxies in the capture handler: the proxy URL, the CONNECT handshake, failures.

Which requests go through a proxy is :mod:`crawler.middlewares.proxy`'s decision
(``meta["proxy"]``); this module is how the capture handler talks to it.

Credentials in a proxy URL (``http://user:secret@proxy:3128``) become a ``Proxy-Authorization``
header (Scrapy's middleware does that and strips them from ``meta["proxy"]``); the capture handler
sends it to the proxy only (on the CONNECT for HTTPS, never inside the tunnel) and the WARC, logs
and manifests never hold it (:func:`display` for anything shown).

The capture handler (``crawler/capture/handler.py``) then speaks to the proxy itself:

- ``http://`` targets: the request in absolute form (``GET http://host/path HTTP/1.1``) to the
  proxy; the WARC request record holds those bytes (``Proxy-Authorization`` redacted) and the
  response record what the proxy relayed;
- ``https://`` targets: ``CONNECT host:443`` (:func:`connect_request`), then TLS with the origin
  inside the tunnel; the WARC holds the end-to-end exchange inside it, byte-exact, as without a
  proxy. The CONNECT exchange itself is the proxy's and is not archived.

Either way a metadata record names the proxy (``via-proxy``, no credentials) and the response has
no ``WARC-IP-Address``: the address of the origin server is known only to the proxy.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.exceptions import DownloadFailedError

_MAX_CONNECT_HEAD = 64 * 1024


class ProxyFailed(DownloadFailedError):
    """The proxy could not be reached, or refused the request (message has no credentials).

    The capture handler logs it once per host; :class:`ReportedOnce` keeps Scrapy's robots.txt
    middleware from logging it again with a traceback for every host.
    """

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind  # stat suffix: unreachable, refused, auth_required, connect_<status>


class ReportedOnce(logging.Filter):
    """Drops log records whose exception is a :class:`ProxyFailed` (already reported)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ProxyFailed)

    @classmethod
    def install(cls, logger_name: str) -> None:
        target = logging.getLogger(logger_name)
        if not any(isinstance(f, cls) for f in target.filters):
            target.addFilter(cls())


@dataclass(frozen=True)
class Proxy:
    host: str
    port: int

    @property
    def netloc(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}/"


def parse_proxy(value: str) -> Proxy:
    """``meta["proxy"]`` → :class:`Proxy`. Only ``http://`` proxies are spoken to (ValueError)."""
    parts = urlsplit(value if "://" in value else f"http://{value}")
    if parts.scheme != "http":
        raise ValueError(f"proxy {display(value)}: only http:// proxies are supported")
    if not parts.hostname:
        raise ValueError(f"proxy {display(value)}: no host")
    return Proxy(parts.hostname, parts.port or 80)


def display(value: str) -> str:
    """A proxy URL without its credentials, for logs and records."""
    parts = urlsplit(value if "://" in value else f"http://{value}")
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}"


def connect_request(host: str, port: int, auth: bytes | None) -> bytes:
    """The CONNECT request opening a tunnel to ``host:port`` (RFC 9110 §9.3.6)."""
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {authority} HTTP/1.1".encode(), f"Host: {authority}".encode()]
    if auth:
        lines.append(b"Proxy-Authorization: " + auth)
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def open_tunnel(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, proxy: Proxy, wire: bytes
) -> None:
    """Send ``wire`` (a CONNECT request) and read the proxy's answer; ProxyFailed unless 2xx."""
    writer.write(wire)
    await writer.drain()
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise ProxyFailed(
            f"proxy {proxy.netloc}: answer to CONNECT too long", "bad_answer"
        ) from None
    except asyncio.IncompleteReadError:
        raise ProxyFailed(
            f"proxy {proxy.netloc} closed the connection on CONNECT", "refused"
        ) from None
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        raise ProxyFailed(
            f"proxy {proxy.netloc}: not an HTTP answer to CONNECT: {status_line[:80]!r}",
            "bad_answer",
        ) from None
    if not 200 <= status < 300:
        kind = "auth_required" if status == 407 else f"connect_{status}"
        raise ProxyFailed(f"proxy {proxy.netloc} refused the tunnel: {status_line}", kind)
