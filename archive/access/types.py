"""What :mod:`archive.access.api` returns: a crawl (from its manifest), a capture (an index entry
and its WARC record, read back) and a record met while iterating WARC files."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from archive.articles.record import article_id
from archive.cdxj.index import CdxjEntry
from archive.errors import ArchiveFormatError
from archive.warc.http import HttpParseError, HttpResponse, parse_response
from archive.warc.reader import Record
from archive.warc.records import split_head

__all__ = ["Capture", "Crawl", "RecordRef"]


@dataclass(frozen=True)
class Crawl:
    """One crawl of an event, from its manifest (``complete`` is False while uploads pend)."""

    event: str
    crawl_id: str
    complete: bool
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def stats(self) -> dict[str, Any]:
        return dict(self.manifest.get("stats") or {})

    @property
    def finish_reason(self) -> str | None:
        return self.manifest.get("finish_reason")

    @property
    def objects(self) -> int:
        return len(self.manifest.get("objects") or [])

    @property
    def bytes(self) -> int:
        return sum(int(o.get("size") or 0) for o in self.manifest.get("objects") or [])


@dataclass(frozen=True)
class Capture:
    """One archived response: its index entry and its WARC record, read back.

    A ``revisit`` record (a re-fetch that found the page unchanged) carries ``original``, the
    full response it refers to: the status, headers and body are then the original's (for a
    server-not-modified revisit) or the revisit's head over the original's body (identical
    payload digest), as a browser replaying it would see them.
    """

    event: str
    entry: CdxjEntry
    record: Record
    original: Capture | None = None

    @property
    def is_revisit(self) -> bool:
        return self.record.type == "revisit"

    @property
    def url(self) -> str:
        return self.record.target_uri

    @property
    def timestamp(self) -> str:
        return self.entry.timestamp

    @property
    def article_id(self) -> str:
        """The id its article has in the article set, if it is one (for a revisit: the article
        of the response it refers to, the revision in force at the revisit's time)."""
        if self.is_revisit and self.original is not None:
            return self.original.article_id
        return article_id(self.record.record_id)

    @cached_property
    def http(self) -> HttpResponse:
        block = self.record.block
        if self.is_revisit and self.original is not None:
            profile = self.record.get("WARC-Profile") or ""
            if profile.endswith("/server-not-modified"):
                return self.original.http
            block = split_head(block)[0] + split_head(self.original.record.block)[1]
        try:
            return parse_response(block)
        except HttpParseError as exc:
            raise ArchiveFormatError(f"{self.entry.filename}@{self.entry.offset}: {exc}") from None

    @property
    def status(self) -> int:
        return self.http.status

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        return self.http.headers

    def header(self, name: str) -> str | None:
        return self.http.header(name)

    @property
    def head(self) -> bytes:
        """Status line and headers exactly as stored."""
        return split_head(self.record.block)[0]

    @property
    def body(self) -> bytes:
        """The entity body with any Content-Encoding removed (the page as a browser sees it)."""
        return self.http.body

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "url": self.url,
            "timestamp": self.timestamp,
            "status": self.entry.status,
            "mime": self.entry.mime,
            "digest": self.entry.digest,
            "record_id": self.record.record_id,
            "warc": {
                "filename": self.entry.filename,
                "offset": self.entry.offset,
                "length": self.entry.length,
            },
            "article_id": self.article_id,
            "revisit_of": self.original.record.record_id if self.original else None,
        }


@dataclass(frozen=True)
class RecordRef:
    """A WARC record met while iterating an event's files."""

    event: str
    filename: str
    record: Record
