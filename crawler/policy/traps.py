"""Spider-trap heuristics over plain URL strings (pure core, no Scrapy).

Reasons returned (each becomes the stat ``newsarc/trap/<reason>`` in ``TrapMiddleware``):

- ``url_length``         the URL is longer than ``max_url_length`` characters
- ``path_depth``         more than ``max_path_depth`` non-empty path segments
- ``repeated_segments``  one segment occurs more than ``max_repeated_segments`` times, or a run of
                         segments repeats that many times in a row (``/a/b/a/b/a/b`` with 3)
- ``query_params``       more than ``max_query_params`` query parameters
- ``calendar``           a calendar-like URL dated more than the slack outside the event window
- ``query_variants``     more than ``max_query_variants_per_path`` distinct query strings seen
                         for one host+path (stateful)
- ``pages_per_host``     more than ``max_pages_per_host`` requests admitted for one host (stateful)

:func:`static_reason` and :func:`calendar_reason` are stateless; :class:`TrapFilter` applies
them and then the stateful caps, so a URL refused for a stateless reason uses up no quota.
Everything runs for every extracted link, so it is kept cheap: one fast split of the URL
(:func:`split_url`), one segment list, precompiled regexes, and the calendar parse only when a
year-like number occurs — about 5 µs per URL for ``TrapFilter.check`` on a 2020s laptop core.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from crawler.policy.politeness import host_key


@dataclass(frozen=True, slots=True)
class TrapPolicy:
    """Limits beyond which a URL is treated as a spider trap."""

    max_url_length: int = 2000
    max_repeated_segments: int = 3
    max_query_params: int = 8
    max_query_variants_per_path: int = 20
    max_pages_per_host: int = 0  # 0: no limit (the crawl's max_pages still bounds it)
    max_path_depth: int = 12


@dataclass(frozen=True, slots=True)
class CalendarWindow:
    """The event's date window; calendar URLs more than *slack_days* outside it are traps."""

    start: date
    end: date
    slack_days: int = 0


def static_reason(url: str, policy: TrapPolicy) -> str | None:
    """The stateless trap reason for *url* (length, depth, repetition, parameters) or None."""
    if len(url) > policy.max_url_length:
        return "url_length"
    _, _, path, query = split_url(url)
    return _static_parts_reason(path, query, policy)


def calendar_reason(url: str, window_start: date, window_end: date, slack_days: int) -> str | None:
    """``"calendar"`` if *url* is calendar-like and dated more than *slack_days* outside the window.

    Calendar-like: a year/month(/day) in the path that ends the path (a date listing such as
    ``/2031/07/``, optionally ``/page/N`` or ``index.html`` after it) or follows a calendar
    word (``/calendar/2031/07/15/day``); or a query value ``YYYY-MM(-DD)``, a compact
    ``YYYYMM(DD)`` under a date-like key, or ``year=``/``month=`` (``day=``) parameters.
    An article URL such as ``/2019/05/12/some-story`` is not calendar-like.
    """
    if _YEAR_HINT.search(url) is None:
        return None
    _, _, path, query = split_url(url)
    slack = timedelta(days=slack_days)
    return "calendar" if _outside(path, query, window_start - slack, window_end + slack) else None


def split_url(url: str) -> tuple[str, str, str, str]:
    """``(scheme, netloc, path, query)`` as ``urlsplit`` gives them, several times faster.

    The fast path covers absolute ``scheme://authority...`` URLs (every URL Scrapy requests);
    anything else goes through ``urlsplit``. The scheme is lower-cased, the fragment dropped.
    """
    sep = url.find("://")
    if sep <= 0 or not url[:sep].isalpha() or not (url.isascii() and url.isprintable()):
        parts = urlsplit(url)
        return parts.scheme, parts.netloc, parts.path, parts.query
    start = sep + 3
    end = _AUTHORITY_END.search(url, start)
    if end is None:
        return url[:sep].lower(), url[start:], "", ""
    rest = url[end.start() :]
    if "#" in rest:
        rest = rest[: rest.index("#")]
    path, _, query = rest.partition("?")
    return url[:sep].lower(), url[start : end.start()], path, query


class TrapFilter:
    """Stateful trap check: :func:`static_reason`, the calendar window, then per-host caps."""

    __slots__ = ("_bounds", "_pages", "_variants", "policy", "shared")

    def __init__(self, policy: TrapPolicy | None = None, calendar: CalendarWindow | None = None):
        self.policy = policy or TrapPolicy()
        self._bounds: tuple[date, date] | None = None
        if calendar is not None:
            slack = timedelta(days=calendar.slack_days)
            self._bounds = (calendar.start - slack, calendar.end + slack)
        self._variants: dict[tuple[str, str], set[str]] = {}
        self._pages: dict[str, int] = {}
        # a distributed crawl's counts for the whole cluster (crawler/cluster/traps.py): an
        # object with admit(host, path, query, count_page=, max_variants=, max_pages=)
        self.shared: Any = None

    def check(self, url: str, *, count_page: bool = True) -> str | None:
        """The trap reason for *url*, or None after recording it as admitted.

        ``count_page=False`` (robots.txt, seeds, retries) neither counts the URL towards nor
        refuses it by ``max_pages_per_host``; the other checks still apply.
        """
        policy = self.policy
        if len(url) > policy.max_url_length:
            return "url_length"
        scheme, netloc, path, query = split_url(url)
        reason = _static_parts_reason(path, query, policy)
        if reason is not None:
            return reason
        bounds = self._bounds
        if bounds is not None and _YEAR_HINT.search(url) and _outside(path, query, *bounds):
            return "calendar"
        host = host_key(scheme, netloc)
        if self.shared is not None:
            return self.shared.admit(
                host,
                path,
                query,
                count_page=count_page,
                max_variants=policy.max_query_variants_per_path,
                max_pages=policy.max_pages_per_host,
            )
        new_variant = None
        if query:
            key = (host, path)
            seen = self._variants.get(key)
            if seen is None or query not in seen:
                if seen is not None and len(seen) >= policy.max_query_variants_per_path:
                    return "query_variants"
                new_variant = key
        if count_page:
            pages = self._pages.get(host, 0)
            if policy.max_pages_per_host and pages >= policy.max_pages_per_host:
                return "pages_per_host"
            self._pages[host] = pages + 1
        if new_variant is not None:
            self._variants.setdefault(new_variant, set()).add(query)
        return None


def _static_parts_reason(path: str, query: str, policy: TrapPolicy) -> str | None:
    segments = [s for s in path.split("/") if s]
    if len(segments) > policy.max_path_depth:
        return "path_depth"
    if len(set(segments)) < len(segments) and _repeats(segments, policy.max_repeated_segments):
        return "repeated_segments"
    if (
        query
        and query.count("&") >= policy.max_query_params  # cheap pre-check
        and sum(1 for p in query.split("&") if p) > policy.max_query_params
    ):
        return "query_params"
    return None


def _repeats(segments: list[str], limit: int) -> bool:
    """True if a segment occurs more than *limit* times or a run repeats *limit* times in a row."""
    counts: dict[str, int] = {}
    for s in segments:
        counts[s] = n = counts.get(s, 0) + 1
        if n > limit:
            return True
    times = max(limit, 2)
    n = len(segments)
    for width in range(1, n // times + 1):
        for i in range(n - width * times + 1):
            block = segments[i : i + width]
            if all(segments[i + k * width : i + (k + 1) * width] == block for k in range(1, times)):
                return True
    return False


# --- calendar ---------------------------------------------------------------------------------

_YEAR_HINT = re.compile(r"(?:19|20|21)\d\d")
_AUTHORITY_END = re.compile(r"[/?#]")
_PATH_DATE = re.compile(
    r"(?:^|/)(?P<y>(?:19|20|21)\d\d)[/-](?P<m>0?[1-9]|1[0-2])"
    r"(?:[/-](?P<d>0?[1-9]|[12]\d|3[01]))?(?=/|$)"
)
_LISTING_TAIL = re.compile(r"(?:/page/\d+)?/?(?:index\.html?)?")
_CALENDAR_WORD = re.compile(
    r"(?:^|/)(?:calendar|calendario|calendrier|kalender|kalendarz|agenda|cal)(?:/|$)", re.I
)
_ISO_VALUE = re.compile(r"((?:19|20|21)\d\d)-(0?[1-9]|1[0-2])(?:-(0?[1-9]|[12]\d|3[01]))?")
_COMPACT_VALUE = re.compile(r"((?:19|20|21)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])?")
_DATE_KEYS = frozenset({"date", "day", "month", "ym", "ymd", "cal", "calendar", "period", "d", "m"})
_YEAR_KEYS = frozenset({"year", "y", "yr"})
_MONTH_KEYS = frozenset({"month", "m", "mon", "mo"})
_DAY_KEYS = frozenset({"day", "d"})

_Span = tuple[date, date]


def _outside(path: str, query: str, low: date, high: date) -> bool:
    """True if a calendar date in *path* or *query* lies wholly outside [low, high]."""
    return any(last < low or first > high for first, last in _calendar_spans(path, query))


def _calendar_spans(path: str, query: str) -> Iterator[_Span]:
    for m in _PATH_DATE.finditer(path):
        listing = _LISTING_TAIL.fullmatch(path, m.end()) is not None
        if listing or _CALENDAR_WORD.search(path, 0, m.start() + 1):
            yield _span(int(m["y"]), int(m["m"]), m["d"])
    if query:
        yield from _query_spans(query)


def _query_spans(query: str) -> Iterator[_Span]:
    year = month = day = None
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if "%" in value:
            value = unquote(value)
        key = key.lower()
        m = _ISO_VALUE.fullmatch(value)
        if m is None and key in _DATE_KEYS:
            m = _COMPACT_VALUE.fullmatch(value)
        if m is not None:
            yield _span(int(m[1]), int(m[2]), m[3])
            continue
        if not value.isdigit():
            continue
        if key in _YEAR_KEYS and _YEAR_HINT.fullmatch(value):
            year = int(value)
        elif key in _MONTH_KEYS and 1 <= int(value) <= 12:
            month = int(value)
        elif key in _DAY_KEYS and 1 <= int(value) <= 31:
            day = value
    if year is not None and month is not None:
        yield _span(year, month, day)


def _span(year: int, month: int, day: str | None) -> _Span:
    """The dates covered by a year/month(/day); a day past the month's end is clamped."""
    days_in_month = calendar.monthrange(year, month)[1]
    if day is None:
        return date(year, month, 1), date(year, month, days_in_month)
    d = date(year, month, min(int(day), days_in_month))
    return d, d
