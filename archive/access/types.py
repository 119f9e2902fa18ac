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
    """One archived response: its index entry and its WARC record, read back."""

    event: str
    entry: CdxjEntry
    record: Record

    @property
    def url(self) -> str:
        return self.record.target_uri

    @property
    def timestamp(self) -> str:
        return self.entry.timestamp

    @property
    def article_id(self) -> str:
        """The id its article has in the article set, if it is one."""
        return article_id(self.record.record_id)

    @cached_property
    def http(self) -> HttpResponse:
        try:
            return parse_response(self.record.block)
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
        from archive.warc.records import split_head

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
        }


@dataclass(frozen=True)
class RecordRef:
    """A WARC record met while iterating an event's files."""

    event: str
    filename: str
    record: Record
