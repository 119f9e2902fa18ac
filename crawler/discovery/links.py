"""The date a URL carries, and the crawl priority of a link.

Reading a page's links is pure and lives in ``pipelines/extract/links.py`` (the extraction workers
read them from the tree they parse anyway).

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
from collections.abc import Callable
from datetime import date, timedelta
from urllib.parse import unquote, urlsplit

from pipelines.extract.links import (
    Link,
)

RELEVANCE_WEIGHT = 100
IN_WINDOW_BONUS = 25
NEAR_WINDOW_DAYS = 14
FAR_FROM_WINDOW_PENALTY = -50


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
