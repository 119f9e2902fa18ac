"""Links of an HTML page, the date a URL carries, and the crawl priority of a link.

``extract_links`` reads ``<a href>`` and ``<area href>`` with lxml.html, resolves them against
``<base href>`` (itself resolved against the page URL) or the page URL, keeps only http(s)
targets (so ``javascript:``, ``mailto:``, ``tel:``, ``data:`` go), drops fragment-only links
(``#top``: the same page) and strips fragments, percent-encodes like Scrapy's link extractor
(w3lib ``safe_url_string``; pass the page encoding so query strings encode as a browser would),
and deduplicates by URL in first-seen order, keeping the longest anchor text.
``Link.nofollow`` is true when every occurrence of the URL had ``rel=nofollow``.

``link_priority`` is the number for ``scrapy.Request(priority=...)`` (higher is fetched sooner)::

    priority = round(100 * relevance) + recency
    relevance = max(score_text(anchor text), score_text(url_words(url)))   clamped to 0..1
    recency   = +25  the URL's date (or month) overlaps the event window
                  0  no date in the URL, or within 14 days of the window
                -50  more than 14 days outside the window, or after ``today``

It is monotone: more relevance never lowers it, a date nearer the window never lowers it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree
from w3lib.html import strip_html5_whitespace
from w3lib.url import safe_url_string

RELEVANCE_WEIGHT = 100
IN_WINDOW_BONUS = 25
NEAR_WINDOW_DAYS = 14
FAR_FROM_WINDOW_PENALTY = -50


@dataclass(frozen=True)
class Link:
    url: str
    text: str = ""
    nofollow: bool = False


def _document(body: bytes, encoding: str | None) -> lxml.html.HtmlElement | None:
    if not body.strip():
        return None
    parser = lxml.html.HTMLParser(encoding=encoding, remove_comments=True, no_network=True)
    try:
        return lxml.html.document_fromstring(body, parser=parser)
    except (etree.ParserError, ValueError):
        return None


_HAS_BASE = re.compile(rb"<base[\s/>]", re.IGNORECASE)


def _base(doc: lxml.html.HtmlElement, page_url: str, body: bytes = b"<base ") -> str:
    if not _HAS_BASE.search(body):  # most pages have none: skip the whole-document search
        return page_url
    for href in doc.xpath("//base/@href"):
        href = strip_html5_whitespace(str(href))
        if href:
            return urljoin(page_url, href)
    return page_url


def _absolute(href: str, base: str, encoding: str, origin: str = "") -> str | None:
    href = strip_html5_whitespace(href)
    if not href or href.startswith("#"):
        return None
    # A root-relative href resolves the same against any page of the origin, and an absolute one
    # against any page at all; a news site repeats the same few hundred of these (navigation,
    # most-read) on every page, so they are resolved once (about 12 % of the crawl's CPU).
    if origin and href.startswith("/") and not href.startswith("//"):
        return _resolve_cached(href, origin, encoding)
    if href.startswith(("http://", "https://")):
        return _resolve_cached(href, "", encoding)
    return _resolve(href, base, encoding)


@lru_cache(maxsize=65536)
def _resolve_cached(href: str, base: str, encoding: str) -> str | None:
    return _resolve(href, base, encoding)


def _resolve(href: str, base: str, encoding: str) -> str | None:
    url, _fragment = urldefrag(urljoin(base, href) if base else href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return safe_url_string(url, encoding)


def _anchor_text(element: lxml.html.HtmlElement) -> str:
    if element.tag == "area":
        text = element.get("alt") or ""
    else:
        text = element.text_content()
        if not text.strip():
            alts = element.xpath(".//img/@alt")
            text = element.get("title") or (str(alts[0]) if alts else "")
    return " ".join(text.split())


def extract_links(
    body: bytes,
    base_url: str,
    encoding: str | None = None,
    known: Container[str] = (),
) -> list[Link]:
    """All followable http(s) links of a page, deduplicated (see the module docstring).

    Links whose URL is in ``known`` (already requested by the caller) are returned without
    anchor text: nobody scores them again, and reading text is the costly part.
    """
    doc = _document(body, encoding)
    if doc is None:
        return []
    base = _base(doc, base_url, body)
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else ""
    found: dict[str, Link] = {}
    for element in doc.iter("a", "area"):
        url = _absolute(element.get("href") or "", base, encoding or "utf-8", origin)
        if url is None:
            continue
        text = "" if url in known else _anchor_text(element)
        nofollow = "nofollow" in (element.get("rel") or "").lower().split()
        seen = found.get(url)
        if seen is not None:
            text = max(seen.text, text, key=len)
            nofollow = seen.nofollow and nofollow
        found[url] = Link(url, text, nofollow)
    return list(found.values())


def canonical_url(body: bytes, base_url: str, encoding: str | None = None) -> str | None:
    """The page's ``<link rel="canonical" href>``, absolute and without fragment, or None."""
    doc = _document(body, encoding)
    if doc is None:
        return None
    base = _base(doc, base_url, body)
    for element in doc.iter("link"):
        if "canonical" in (element.get("rel") or "").lower().split():
            url = _absolute(element.get("href") or "", base, encoding or "utf-8")
            if url is not None:
                return url
    return None


_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_YEAR = r"((?:19[89]|20\d)\d)"  # 1980..2099: other four-digit numbers are ids, not years
_YMD = re.compile(rf"(?<!\d){_YEAR}([/_-])(\d{{1,2}})\2(\d{{1,2}})(?!\d)")
_Y_MON_D = re.compile(rf"/{_YEAR}/({'|'.join(_MONTHS)})[a-z]*/(\d{{1,2}})(?!\d)", re.I)
_COMPACT = re.compile(rf"(?<!\d){_YEAR}(\d{{2}})(\d{{2}})(?!\d)")
_YM = re.compile(rf"/{_YEAR}/(\d{{1,2}})(?:/|$)")


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def date_span_in_url(url: str) -> tuple[date, date] | None:
    """First and last day of the date a URL path names: one day, or a whole month."""
    path = unquote(urlsplit(url).path)
    for match in _YMD.finditer(path):
        day = _date(match[1], match[3], match[4])
        if day:
            return day, day
    for match in _Y_MON_D.finditer(path):
        day = _date(match[1], str(_MONTHS.index(match[2][:3].lower()) + 1), match[3])
        if day:
            return day, day
    for match in _COMPACT.finditer(path):
        day = _date(*match.groups())
        if day:
            return day, day
    for match in _YM.finditer(path):
        first = _date(match[1], match[2], "1")
        if first:
            last = calendar.monthrange(first.year, first.month)[1]
            return first, first.replace(day=last)
    return None


def date_in_url(url: str) -> date | None:
    """The date in a URL path, in this order of trust:

    ``/2025/04/01/``, ``/2025-04-01-slug``, ``2025_04_01``; ``/2025/apr/01/``; ``/20250401/``;
    ``/2025/04/`` which gives the first of the month (``date_span_in_url`` gives the whole
    month). Only the path is read, years 1980-2099, impossible dates are ignored.
    """
    span = date_span_in_url(url)
    return span[0] if span else None


_SLUG_NOISE = {"html", "htm", "shtml", "php", "asp", "aspx", "jsp", "amp", "index"}


def url_words(url: str) -> str:
    """The URL path as words for relevance scoring: separators become spaces, no extensions."""
    path = unquote(urlsplit(url).path)
    words = re.split(r"[-_/.+,;:=~\s]+", path)
    return " ".join(w for w in words if w and w.lower() not in _SLUG_NOISE)


def _recency(url: str, window: tuple[date, date], today: date | None) -> int:
    span = date_span_in_url(url)
    if span is None:
        return 0
    first, last = span
    if today is not None and first > today:
        return FAR_FROM_WINDOW_PENALTY  # a "future" article: calendars and archives traps
    start, end = window
    if last >= start and first <= end:
        return IN_WINDOW_BONUS
    gap = (start - last) if last < start else (first - end)
    return 0 if gap <= timedelta(days=NEAR_WINDOW_DAYS) else FAR_FROM_WINDOW_PENALTY


def link_priority(
    link: Link,
    *,
    score_text: Callable[[str], float],
    window: tuple[date, date],
    today: date | None = None,
) -> int:
    """Scrapy request priority of a link (formula in the module docstring).

    ``today=None`` skips the future-date check (keeps the function free of the clock).
    """
    scores = [score_text(text) for text in (link.text, url_words(link.url)) if text]
    relevance = min(1.0, max(0.0, *scores)) if scores else 0.0
    return round(RELEVANCE_WEIGHT * relevance) + _recency(link.url, window, today)
