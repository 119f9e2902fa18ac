"""What the demo web serves besides articles: its hosts and its misbehaving resources (SPECIALS).

Routes (``site.py``) and page links (templates) both read the paths from here, so the list below
is the truth about where each special lives. ``{port}`` in a location is the server's port.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .traps import DEEP_PATH, LONG_SEARCH_PATH

HOSTS = ("globe.test", "courier.test", "herald.test", "wire.test", "xinwen.test", "novosti.test",
         "gdelt.test")  # fmt: skip
PUBLISHERS = {
    "globe.test": "The Daily Globe",
    "courier.test": "Evening Courier",
    "herald.test": "Metro Herald",
    "wire.test": "Global Wire",
    "xinwen.test": "华夏新闻网",
    "novosti.test": "Новости дня",
}
GLOBE_ORIGINAL = "/world/2025/04/01/putin-hosts-chinese-foreign-minister-wang-for-talks-in-moscow/"


@dataclass(frozen=True)
class Special:
    name: str
    kind: str
    host: str
    path: str
    status: int  # status of the first response
    linked_from: str | None  # a page (URL) that links to it; None if reached only by redirect
    note: str
    location: str | None = None  # for redirects; may contain {port}

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"

    def as_dict(self, port: int | None = None) -> dict[str, Any]:
        data = asdict(self)
        data["url"] = self.url
        if port is not None and self.location:
            data["location"] = self.location.format(port=port)
        return data


def _s(name: str, kind: str, host: str, path: str, status: int, linked_from: str | None,
       note: str, location: str | None = None) -> Special:  # fmt: skip
    page = None if linked_from is None else f"http://{host}{linked_from}"
    return Special(name, kind, host, path, status, page, note, location)


# fmt: off
_ALL = [
    _s("redirect-301", "redirect", "globe.test", "/old/putin-hosts-wang", 301,
       "/", "first hop of a 301 -> 302 chain into an article",
       "http://globe.test/moved/putin-hosts-wang"),
    _s("redirect-302", "redirect", "globe.test", "/moved/putin-hosts-wang", 302,
       None, "second hop (relative Location) ending at globe-putin-hosts-wang", GLOBE_ORIGINAL),
    _s("not-found", "status", "globe.test", "/world/2025/04/01/deleted-story/", 404,
       GLOBE_ORIGINAL, "a deleted story, linked from every globe article"),
    _s("calendar-trap", "trap", "globe.test", "/calendar/2025/04/", 200,
       "/", "month pages link prev/next/±1/±10 years forever (years 1-9999); day pages"),
    _s("query-explosion", "trap", "globe.test", "/world/archive/", 200,
       "/world/", "each page links to the same path with more sort/page/ref/utm_* combinations"),
    _s("chunked", "framing", "globe.test", "/business/markets-live/", 200,
       "/", "chunked: 4 chunks, a chunk extension, an X-Content-SHA256 trailer"),
    _s("robots-globe", "robots", "globe.test", "/private/drafts/", 200,
       "/", "Disallow: /private/ in robots.txt; must not be fetched"),
    _s("reason-phrase", "framing", "courier.test", "/classifieds/", 200,
       "/", "status line 'HTTP/1.1 200 Splendidly Fine'"),
    _s("repeated-headers", "framing", "courier.test", "/letters/", 200,
       "/", "three Set-Cookie, X-Custom-HEADER and x-custom-header, odd order and case"),
    _s("pdf", "binary", "herald.test", "/files/metro-herald-annual-report-2024.pdf", 200,
       "/", "a small valid PDF (application/pdf)"),
    _s("huge", "size", "herald.test", "/archive/everything.html", 200,
       "/", "huge_bytes of HTML streamed with Content-Length; clients may hang up early"),
    _s("loop-a", "redirect", "herald.test", "/loop/a", 302,
       "/", "redirect loop a -> b", "/loop/b"),
    _s("loop-b", "redirect", "herald.test", "/loop/b", 302,
       None, "redirect loop b -> a", "/loop/a"),
    _s("gzip", "encoding", "herald.test", "/digest/", 200,
       "/", "Content-Encoding: gzip always (mtime 0, deterministic bytes)"),
    _s("robots-herald", "robots", "herald.test", "/private/staff/", 200,
       "/", "Disallow: /private/ in robots.txt; must not be fetched"),
    _s("server-error", "status", "wire.test", "/story/2025-04-01/gw-20250401-0099/", 500,
       "/", "500 Internal Server Error (every time)"),
    _s("slow", "timing", "wire.test", "/markets/quotes/", 200,
       "/", "waits slow_seconds before answering"),
    _s("retry-429", "retry", "wire.test", "/markets/rates/", 429,
       "/", "429 with Retry-After: 1 on the first request, 200 afterwards"),
    _s("retry-503", "retry", "wire.test", "/photos/", 503,
       "/", "503, Retry-After as an HTTP-date 1-2 s ahead, on the first request; 200 afterwards"),
    _s("redirect-internal", "ssrf", "wire.test", "/go/client-login", 302,
       "/", "redirect to the server's own literal address; a crawler must refuse it",
       "http://127.0.0.1:{port}/internal/admin"),
    _s("redirect-metadata", "ssrf", "wire.test", "/go/cloud-status", 302,
       "/", "redirect to the cloud metadata address; must never be connected to",
       "http://169.254.169.254/latest/meta-data/"),
    _s("deep-segments", "trap", "wire.test", DEEP_PATH, 200,
       "/", "/a/a/.../ pages, each linking one level deeper, forever"),
    _s("long-url", "trap", "wire.test", LONG_SEARCH_PATH, 200,
       "/", "a link whose URL is longer than 2,000 characters"),
]
# fmt: on
SPECIALS: dict[str, Special] = {s.name: s for s in _ALL}


def load_specials(port: int | None = None) -> list[dict[str, Any]]:
    """The specials as plain dicts (``url`` added; ``{port}`` filled in when ``port`` is given)."""
    return [s.as_dict(port) for s in _ALL]
