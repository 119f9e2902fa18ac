"""Expected fetch failures: classified, counted per kind and per host, one log line each.

DNS failures, refused and reset connections, TLS errors, timeouts, HTTP errors and robots.txt
denials are the everyday state of the real web, not bugs: each is one line in the log (no
traceback), the first per host and kind at once, the repeats folded into one line per interval
("globe.test: 12 more DNS failures"). Stats: ``newsarc/failures/<kind>`` and
``newsarc/failures/host/<host>/<kind>``; the summary lists the top failing hosts from them.
Anything :func:`classify` does not know is not expected and keeps Scrapy's traceback.
"""

from __future__ import annotations

import errno
import logging
import socket
import ssl
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import h11
from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_error
from twisted.internet import task
from twisted.web import _newclient

from crawler.capture.proxy import ProxyFailed
from crawler.signals import fetch_failed

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

PREFIX = "newsarc/failures/"
HOST_PREFIX = "newsarc/failures/host/"

# kind -> (what happened, one of them, several of them)
KINDS: dict[str, tuple[str, str, str]] = {
    "dns": ("DNS lookup failed", "DNS failure", "DNS failures"),
    "refused": ("connection refused", "refused connection", "refused connections"),
    "unreachable": ("network unreachable", "unreachable route", "unreachable routes"),
    "reset": ("connection lost", "lost connection", "lost connections"),
    "tls": ("TLS failed", "TLS failure", "TLS failures"),
    "timeout": ("timed out", "timeout", "timeouts"),
    "http": ("HTTP error", "HTTP error", "HTTP errors"),
    "robots": ("forbidden by robots.txt", "robots.txt denial", "robots.txt denials"),
    "proxy": ("proxy failed", "proxy failure", "proxy failures"),
}

_BY_TYPE: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((CannotResolveHostError, twisted_error.DNSLookupError, socket.gaierror), "dns"),
    ((ssl.SSLError,), "tls"),
    (
        (
            DownloadConnectionRefusedError,
            ConnectionRefusedError,
            twisted_error.ConnectionRefusedError,
        ),
        "refused",
    ),
    (
        (
            DownloadTimeoutError,
            TimeoutError,
            twisted_error.TimeoutError,
            twisted_error.TCPTimedOutError,
        ),
        "timeout",
    ),
    (
        (
            ConnectionResetError,
            ConnectionAbortedError,
            BrokenPipeError,
            h11.ProtocolError,
            ResponseDataLossError,
            twisted_error.ConnectionLost,
            twisted_error.ConnectionDone,
            _newclient.ResponseNeverReceived,
            _newclient.ResponseFailed,
        ),
        "reset",
    ),
    ((HttpError,), "http"),
)


_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


def classify(exc: BaseException) -> str | None:
    """The kind of an expected failure (a key of :data:`KINDS`), or None for a real error.

    Looks through the exception's causes: the capture handler wraps an ``ssl.SSLError`` or a
    reset in Scrapy's ``DownloadFailedError``, keeping the original as ``__cause__``.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ProxyFailed):
            return "proxy"
        for types, kind in _BY_TYPE:
            if isinstance(current, types):
                return kind
        if isinstance(current, OSError) and current.errno in _UNREACHABLE:
            return "unreachable"
        current = current.__cause__ or current.__context__
    return None


def describe(kind: str, exc: BaseException | None) -> str:
    """One line for one failure: what happened and, briefly, why."""
    what = KINDS[kind][0]
    if kind == "http" and isinstance(exc, HttpError):
        response = exc.response
        return f"HTTP {response.status}"
    if exc is None:
        return what
    reason = _reason(exc)
    return f"{what} ({reason})" if reason and reason.lower() != what.lower() else what


def _reason(exc: BaseException) -> str:
    """The innermost useful message: strerror of an OSError, else the last line of str()."""
    current: BaseException | None = exc
    best = ""
    while current is not None:
        text = getattr(current, "strerror", None) or getattr(current, "reason", None)
        if not isinstance(text, str):
            text = str(current).strip().splitlines()[-1] if str(current).strip() else ""
        if text:
            best = text
        current = current.__cause__
    host_prefix = best.split(": ", 1)
    if len(host_prefix) == 2 and " " not in host_prefix[0]:  # "globe.test: [Errno -2] ..."
        best = host_prefix[1]
    if best.startswith("[Errno") and "] " in best:
        best = best.split("] ", 1)[1]
    return best[:200]


class FailureLog:
    """Counts and logs expected failures; repeats per host and kind are folded (a Scrapy
    extension: ``crawler.get_extension(FailureLog).record(...)``)."""

    def __init__(self, stats: Any, *, fold_interval: float = 30.0) -> None:
        self.stats = stats
        self.fold_interval = fold_interval
        self._reported: set[tuple[str, str]] = set()
        self._folded: Counter[tuple[str, str]] = Counter()
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(
            crawler.stats, fold_interval=crawler.settings.getfloat("NEWSARC_LOG_INTERVAL", 30.0)
        )
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.fetch_failed, signal=fetch_failed)
        return ext

    def fetch_failed(self, url: str, exc: BaseException, exc_info: Any = None) -> None:
        """A fetch failed for good: one counted line if expected, else the traceback."""
        kind = classify(exc)
        if kind is None:
            logger.error(
                "fetch failed: %s (%s: %s)", url, type(exc).__name__, exc, exc_info=exc_info
            )
            return
        self.record(url, kind, exc, logged=kind == "proxy")  # the proxy is reported where used

    def spider_opened(self, spider: Any) -> None:
        if self.fold_interval > 0:
            self._loop = task.LoopingCall(self.flush)
            self._loop.start(self.fold_interval, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.flush()

    def record(
        self, url: str, kind: str, exc: BaseException | None = None, *, logged: bool = False
    ) -> None:
        """Count one failure of ``url``; log it unless its host already has one of this kind
        (then it is folded), or ``logged`` says it was reported where it happened."""
        host = urlsplit(url).hostname or url
        self.stats.inc_value(f"{PREFIX}{kind}")
        self.stats.inc_value(f"{HOST_PREFIX}{host}/{kind}")
        key = (host, kind)
        if key in self._reported:
            self._folded[key] += 1
            return
        self._reported.add(key)
        if not logged:
            logger.warning("%s: %s: %s", host, describe(kind, exc), url)

    def flush(self) -> None:
        """One line per host and kind for the failures folded since the last flush."""
        folded, self._folded = self._folded, Counter()
        for (host, kind), count in sorted(folded.items()):
            noun = KINDS[kind][1] if count == 1 else KINDS[kind][2]
            logger.warning("%s: %d more %s", host, count, noun)


def failures_by_host(stats: dict[str, Any]) -> dict[str, Counter[str]]:
    """``{host: Counter(kind)}`` from a crawl's stats."""
    hosts: dict[str, Counter[str]] = {}
    for key, value in stats.items():
        if key.startswith(HOST_PREFIX) and isinstance(value, int):
            host, _, kind = key[len(HOST_PREFIX) :].rpartition("/")
            hosts.setdefault(host, Counter())[kind] += value
    return hosts
