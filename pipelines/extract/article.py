"""The Article: what extraction produces from one archived HTML response. Pure data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any


def parse_when(value: str | None) -> datetime | date | None:
    """An ISO 8601 date or datetime string (``Z`` accepted), or None when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None


@dataclass(frozen=True)
class Hints:
    """What discovery already knows about a page (news sitemap, feed, search API)."""

    date: str | None = None  # ISO 8601
    date_source: str | None = None  # "news-sitemap", "sitemap-lastmod", "feed", "gdelt"
    title: str | None = None


@dataclass(frozen=True)
class Article:
    """Clean text and metadata of one page. ``text`` has paragraphs separated by blank lines."""

    url: str
    text: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    date: str | None = None  # ISO 8601 date or datetime of publication
    date_source: str | None = None  # json-ld, meta, time, url, news-sitemap, feed, gdelt, …
    sitename: str | None = None
    language: str | None = None  # ISO 639-1
    tags: tuple[str, ...] = ()
    canonical_url: str | None = None
    word_count: int = 0
    text_sha256: str = ""
    truncated: bool = False  # likely a paywall or teaser, not the full text
    extractor: str = ""  # e.g. "trafilatura 2.3.1"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["authors"] = list(self.authors)
        data["tags"] = list(self.tags)
        return data
