"""Sitemaps (sitemaps.org 0.9, Google News) and the ``Sitemap:`` lines of robots.txt.

``parse_sitemap(body, url)`` takes the raw bytes of a response and returns a ``SitemapResult``:

- gzip is recognised by its magic bytes, not by the URL or headers, so a ``.xml.gz`` served as
  ``application/gzip`` (still compressed) and a sitemap sent with ``Content-Encoding: gzip``
  (already decoded by Scrapy) both work. Decompression stops past ``max_size`` (50 MB, the
  protocol's limit): a gzip bomb becomes ``kind="invalid", error="too-large: ..."``.
- XML is parsed by lxml with entities left unresolved, no network and no DTD loading (no XXE,
  no entity expansion) and ``recover=True`` for sloppy files; bare ``&`` in URLs is escaped first.
- elements are matched by local name, so the 0.9 namespace, no namespace and the old 0.84
  namespaces all work; ``news:`` children come from ``<news:news>`` (Google News sitemaps).
- a plain-text sitemap (one absolute URL a line, allowed by the protocol) is a ``urlset``.

``SitemapResult.error`` is ``None`` for a clean parse, otherwise ``"<code>: <detail>"`` with a
stable code the caller can use in a stat name: ``empty``, ``too-large``, ``gzip-corrupt``,
``not-sitemap`` (these three or four give ``kind="invalid"`` and no entries), ``truncated`` and
``malformed`` (entries recovered from a damaged file are still returned).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal
from urllib.parse import urljoin, urlsplit

from lxml import etree

MAX_SITEMAP_SIZE = 50 * 1024 * 1024  # sitemaps.org: at most 50 MB uncompressed
GZIP_MAGIC = b"\x1f\x8b"

SitemapKind = Literal["urlset", "sitemapindex", "invalid"]


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<url>`` of a urlset or one ``<sitemap>`` of an index (news fields then empty)."""

    loc: str
    lastmod: datetime | None = None
    news_publication_date: datetime | None = None
    news_title: str | None = None
    news_keywords: tuple[str, ...] = ()
    news_language: str | None = None
    news_publication_name: str | None = None


@dataclass(frozen=True)
class SitemapResult:
    kind: SitemapKind
    entries: list[SitemapEntry]
    error: str | None = None
    skipped: int = 0  # entries without a usable absolute http(s) <loc>


class _TooLarge(Exception):
    pass


def parse_sitemap(body: bytes, url: str, *, max_size: int = MAX_SITEMAP_SIZE) -> SitemapResult:
    """Parse a sitemap or sitemap index; relative ``<loc>`` values are resolved against ``url``."""
    truncated_gzip = False
    try:
        if body[:2] == GZIP_MAGIC:
            body, truncated_gzip = _gunzip(body, max_size)
        elif len(body) > max_size:
            raise _TooLarge
    except _TooLarge:
        return SitemapResult("invalid", [], f"too-large: more than {max_size} bytes uncompressed")
    except zlib.error as exc:
        return SitemapResult("invalid", [], f"gzip-corrupt: {exc}")
    body = body.removeprefix(b"\xef\xbb\xbf").strip()
    if not body:
        return SitemapResult("invalid", [], "empty: no content")
    if not body.startswith(b"<"):
        result = _parse_text_sitemap(body, url)
    else:
        result = _parse_xml_sitemap(body, url)
    if truncated_gzip and result.kind != "invalid" and result.error is None:
        return SitemapResult(result.kind, result.entries, "truncated: gzip stream ends early")
    return result


def _gunzip(data: bytes, limit: int) -> tuple[bytes, bool]:
    """Decompress all gzip members, never holding more than ``limit + 1`` bytes of output.

    Returns the bytes and whether the stream ended before its end marker (a cut download).
    """
    out = bytearray()
    decomp = zlib.decompressobj(wbits=31)
    pending = data
    while True:
        chunk = decomp.decompress(pending, limit + 1 - len(out))
        out += chunk
        if len(out) > limit:
            raise _TooLarge
        if decomp.eof:
            rest = decomp.unused_data
            if rest[:2] != GZIP_MAGIC:
                return bytes(out), False  # trailing padding after the last member is ignored
            decomp, pending = zlib.decompressobj(wbits=31), rest
            continue
        pending = decomp.unconsumed_tail
        if not chunk and not pending:
            return bytes(out), True


def _parse_text_sitemap(body: bytes, url: str) -> SitemapResult:
    lines = [line.strip() for line in body.decode("utf-8", "replace").splitlines()]
    locs = [line for line in lines if line]
    if not all(_is_http(loc) for loc in locs):
        return SitemapResult("invalid", [], "not-sitemap: neither XML nor a list of URLs")
    return SitemapResult("urlset", [SitemapEntry(urljoin(url, loc)) for loc in locs])


_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.S)


def _escape_bare_ampersands(body: bytes) -> bytes:
    """``?a=1&b=2`` is the commonest sitemap error; lxml's recovery would drop ``&b``."""
    parts = _CDATA.split(body)
    return b"".join(p if i % 2 else _BARE_AMP.sub(b"&amp;", p) for i, p in enumerate(parts))


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        recover=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )


def _parse_xml_sitemap(body: bytes, url: str) -> SitemapResult:
    parser = _xml_parser()
    try:
        root = etree.fromstring(_escape_bare_ampersands(body), parser)
    except etree.XMLSyntaxError as exc:
        return SitemapResult("invalid", [], f"not-sitemap: {exc}")
    if root is None or _local(root) not in ("urlset", "sitemapindex"):
        name = "nothing" if root is None else f"<{_local(root)}>"
        return SitemapResult("invalid", [], f"not-sitemap: root element is {name}")
    kind: SitemapKind = "urlset" if _local(root) == "urlset" else "sitemapindex"
    child_name = "url" if kind == "urlset" else "sitemap"
    entries: list[SitemapEntry] = []
    skipped = 0
    # iter(), not direct children: lxml's recovery may nest later entries in a broken one.
    for child in root.iter():
        if not isinstance(child.tag, str) or _local(child) != child_name:
            continue
        entry = _entry(child, url)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    error = None
    if _last_loc_unclosed(body):
        if entries:
            entries.pop()  # its <loc> was cut, the URL may be a prefix of the real one
        error = "truncated: the file ends inside a <loc>"
    elif not _closes_root(body, _local(root)):
        error = "truncated: no closing root tag"
    elif len(parser.error_log):
        error = f"malformed: {parser.error_log[0].message}"
    return SitemapResult(kind, entries, error, skipped)


def _entry(element: etree._Element, base_url: str) -> SitemapEntry | None:
    fields: dict[str, str] = {}
    news: etree._Element | None = None
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = _local(child)
        if name == "news":
            news = child
        elif name in ("loc", "lastmod"):
            fields.setdefault(name, _text(child))
    loc = urljoin(base_url, fields.get("loc", ""))
    if not fields.get("loc") or not _is_http(loc):
        return None
    entry = SitemapEntry(loc, parse_w3c_datetime(fields.get("lastmod", "")))
    return entry if news is None else _with_news(entry, news)


def _with_news(entry: SitemapEntry, news: etree._Element) -> SitemapEntry:
    values: dict[str, str] = {}
    for element in news.iter():
        if isinstance(element.tag, str) and element is not news:
            values.setdefault(_local(element), _text(element))
    keywords = tuple(k.strip() for k in values.get("keywords", "").split(",") if k.strip())
    return SitemapEntry(
        loc=entry.loc,
        lastmod=entry.lastmod,
        news_publication_date=parse_w3c_datetime(values.get("publication_date", "")),
        news_title=values.get("title") or None,
        news_keywords=keywords,
        news_language=values.get("language") or None,
        news_publication_name=values.get("name") or None,
    )


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _text(element: etree._Element) -> str:
    """Text of an element without entity contents (unresolved entities are dropped, not read)."""
    parts = [element.text or ""]
    parts += [child.tail or "" for child in element]
    return " ".join("".join(parts).split())  # a URL or date has no inner whitespace to keep


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


_LOC_OPEN = re.compile(rb"<(?:[\w.-]+:)?loc[\s>]")
_LOC_CLOSE = re.compile(rb"</(?:[\w.-]+:)?loc\s*>")


def _last_loc_unclosed(body: bytes) -> bool:
    opens = [m.start() for m in _LOC_OPEN.finditer(body)]
    closes = [m.start() for m in _LOC_CLOSE.finditer(body)]
    return bool(opens) and (not closes or closes[-1] < opens[-1])


def _closes_root(body: bytes, name: str) -> bool:
    pattern = rb"</(?:[\w.-]+:)?" + name.encode() + rb"\s*>"
    return re.search(pattern, body) is not None


_W3C = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?",
    re.I,
)


def parse_w3c_datetime(value: str) -> datetime | None:
    """W3C datetime (YYYY, YYYY-MM, YYYY-MM-DD, with hh:mm[:ss[.s]] and Z/±hh:mm) → aware UTC.

    Missing parts become the first month/day and midnight; a time without a zone is taken
    as UTC. ``+0200`` and ``+02`` are accepted as well. Anything else gives ``None``.
    """
    match = _W3C.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=_zone(zone),
        )
    except ValueError:
        return None
    return moment.astimezone(UTC)


def _zone(zone: str | None) -> timezone:
    if zone is None or zone.upper() == "Z":
        return UTC
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-offset if zone[0] == "-" else offset)


_ROBOTS_COMMENT = re.compile(r"(?:^|\s)#.*$")


def sitemaps_from_robots(robots_body: bytes, robots_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt (any case), absolute, deduplicated, in order."""
    found: list[str] = []
    text = robots_body.decode("utf-8", "replace").removeprefix("\ufeff")
    for raw in text.splitlines():
        name, sep, value = raw.partition(":")
        if not sep or name.strip().lower() != "sitemap":
            continue
        value = _ROBOTS_COMMENT.sub("", value).strip()
        loc = urljoin(robots_url, value) if value else ""
        if _is_http(loc) and loc not in found:
            found.append(loc)
    return found
