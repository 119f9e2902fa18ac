"""Crawl state: what newsarc knows about every URL of an event across its crawls.

One record per URL (:class:`UrlState`): its kind, first and last fetch, last status, the
validators the server gave (``ETag``, ``Last-Modified``), the payload digest and WARC location of
its last full response (what a revisit record refers to), the current re-fetch interval and the
time it is next due. Recurring crawls read it to fetch only what is due, conditionally; a crawl
killed halfway leaves it consistent, so the next one does not fetch again what was completed.

:class:`CrawlState` is the interface the crawler and pipelines see; :mod:`.sqlite` is the
embedded implementation (one file per event, the default). A Redis implementation for
distributed crawls implements the same protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

KINDS = ("seed", "feed", "sitemap", "search", "page", "article", "robots", "other")
# the spider's discovery source of a request -> the kind of URL it fetches; anything else
# ("link", "feed:<feed url>" for a feed's entries, "sitemap:<url>"…) is a page
KIND_OF_SOURCE = {
    "seed": "seed",
    "feed": "feed",
    "sitemap": "sitemap",
    "robots-sitemap": "sitemap",
    "gdelt": "search",
}


def kind_of(source: str | None, url: str) -> str:
    """The kind of a URL first met through discovery ``source`` (a re-check names its kind)."""
    if url.endswith("/robots.txt"):
        return "robots"
    if source and source.startswith("recheck:"):
        kind = source.removeprefix("recheck:")
        return kind if kind in KINDS else "page"
    return KIND_OF_SOURCE.get(source or "", "page")


@dataclass
class UrlState:
    url: str
    kind: str = "other"
    first_fetch: str | None = None  # WARC-Date of the first fetch
    last_fetch: str | None = None  # WARC-Date of the last fetch (full response or revisit)
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    payload_digest: str | None = None  # of the last full response
    record_id: str | None = None  # WARC-Record-ID of the last full response
    record_date: str | None = None  # its WARC-Date (WARC-Refers-To-Date of a revisit)
    warc: dict[str, object] | None = field(default=None)  # its location: filename, offset, length
    text_sha256: str | None = None  # the extracted article text's digest, for revisions
    published: str | None = None  # the article's publication date (its re-check schedule)
    text: str | None = None  # the latest revision's text (what the next fetch is compared with)
    story: str | None = None  # its story cluster (revisions stay in it)
    revision: int = 0  # the article's latest revision number (0: none yet)
    article_id: str | None = None  # the id of that revision's article record
    interval: float = 0.0  # seconds until the URL is due again
    next_due: float = 0.0  # epoch seconds
    analysed: bool = False  # its page went through the article pipelines (stored or dropped)
    fetches: int = 0
    changes: int = 0


class CrawlState(Protocol):
    """Per-URL state of one event. Every write is durable when the call returns."""

    def get(self, url: str) -> UrlState | None: ...

    def put(self, state: UrlState) -> None: ...

    def mark_analysed(self, url: str) -> None:
        """Note that ``url``'s page went through the article pipelines (if it is known)."""
        ...

    def due(self, now: float) -> list[tuple[str, str]]:
        """(URL, kind) of the known URLs due at ``now`` (epoch seconds), soonest first."""
        ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...
