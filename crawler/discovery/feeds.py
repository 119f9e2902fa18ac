"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds, parsed from bytes by feedparser.

``parse_feed(body, url)`` returns a ``FeedResult``; it never raises on bad input.

- feedparser only ever sees a ``BytesIO``: given a string it would fetch URLs or open files.
  Its SAX parser has external entities switched off, so a feed cannot make it read anything.
- links are resolved against the feed URL here (feedparser is given no base URL, so ``xml:base``
  is still honoured relative to it); a ``<guid>`` is used as the link only when it is an
  absolute http(s) URL (feedparser would otherwise turn ``<guid>123</guid>`` into a link).
- dates are aware UTC datetimes; ``published`` comes from ``pubDate``/``atom:published``,
  ``updated`` from ``atom:updated``/``dc:date``. Nothing is invented: a missing date is ``None``
  (``FeedEntry.date`` gives published, else updated).
- ``summary`` (and an HTML ``title``) is plain text: feedparser's sanitised HTML without tags,
  whitespace collapsed.

``FeedResult.error`` is ``None`` for a clean feed, otherwise ``"<code>: <detail>"`` with a stable
code for a stat name: ``empty`` and ``not-feed`` (no entries), or ``malformed`` (broken XML that
feedparser's lenient parser recovered: the entries found are still returned). ``skipped`` counts
entries dropped for having no usable link. Entries keep feed order and are not deduplicated.
"""

from __future__ import annotations

import calendar
import io
import time
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
import lxml.html
from lxml import etree


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str
    published: datetime | None
    updated: datetime | None
    summary: str

    @property
    def date(self) -> datetime | None:
        """The best date the feed gives: published, else updated."""
        return self.published or self.updated


@dataclass(frozen=True)
class FeedResult:
    entries: list[FeedEntry]
    error: str | None = None
    skipped: int = 0
    version: str = ""  # feedparser's name for the format: "rss20", "rss10", "atom10", ...


def parse_feed(body: bytes, url: str) -> FeedResult:
    """Parse a feed served at ``url``; relative links are resolved against ``url``."""
    if not body.strip():
        return FeedResult([], "empty: no content")
    parsed = feedparser.parse(
        io.BytesIO(body),
        # No content-location: links stay as written and are resolved below. An XML media
        # type makes feedparser use the XML declaration's encoding and its strict parser.
        response_headers={"content-type": "application/xml"},
    )
    version = str(parsed.get("version") or "")
    raw_entries = parsed.get("entries") or []
    if not version and not raw_entries:
        reason = parsed.get("bozo_exception") or "no RSS, RDF or Atom root element"
        return FeedResult([], f"not-feed: {reason}")
    entries: list[FeedEntry] = []
    for raw in raw_entries:
        entry = _entry(raw, url)
        if entry is not None:
            entries.append(entry)
    problem = parsed.get("bozo_exception")
    # Only XML errors count; feedparser also flags harmless encoding and media-type mismatches.
    error = f"malformed: {problem}" if isinstance(problem, xml.sax.SAXParseException) else None
    return FeedResult(entries, error, len(raw_entries) - len(entries), version)


def _entry(raw: dict[str, Any], feed_url: str) -> FeedEntry | None:
    link = _link(raw, feed_url)
    if link is None:
        return None
    return FeedEntry(
        url=link,
        title=_title(raw),
        published=_utc(dict.get(raw, "published_parsed")),
        updated=_utc(dict.get(raw, "updated_parsed")),
        summary=_plain_text(str(dict.get(raw, "summary") or "")),
    )


def _title(raw: dict[str, Any]) -> str:
    title = str(dict.get(raw, "title") or "")
    detail = dict.get(raw, "title_detail") or {}
    if "html" in str(detail.get("type", "")):
        return _plain_text(title)
    return " ".join(title.split())


def _link(raw: dict[str, Any], feed_url: str) -> str | None:
    """The entry's page: its alternate link, else a permalink guid that is an absolute URL."""
    # dict.get: FeedParserDict.get maps some missing keys onto others (updated → published).
    href = str(dict.get(raw, "link") or "").strip()
    links = dict.get(raw, "links") or []
    from_link_element = any(link.get("rel", "alternate") == "alternate" for link in links)
    # Without a <link>, feedparser copies <guid>/<id> into "link"; "guidislink" is unreliable
    # (true in Atom when <id> comes before <link>), so such a link must be an absolute URL.
    if not href or (not from_link_element and not _is_http(href)):
        return None
    url, _fragment = urldefrag(urljoin(feed_url, href))
    return url if _is_http(url) else None


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _utc(value: time.struct_time | None) -> datetime | None:
    """feedparser's ``*_parsed`` values are UTC struct_times."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _plain_text(html: str) -> str:
    if not html.strip():
        return ""
    try:
        text = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    except (etree.ParserError, ValueError):
        text = html
    return " ".join(text.split())
