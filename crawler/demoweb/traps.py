"""Crawler traps: an endless calendar, a query-parameter explosion, endlessly deep paths, long URLs.

Each function returns ``(title, body_html)`` for the host's template, or None for a 404.
"""

from __future__ import annotations

import calendar as cal
import re
from datetime import date
from urllib.parse import parse_qsl, quote_plus, urlencode

from .content import Article
from .render import Link, a, esc, link_list

Page = tuple[str, str]
LONG_QUERY = quote_plus(" ".join(["china russia relations wang yi moscow visit archive"] * 45))
LONG_SEARCH_PATH = f"/search?q={LONG_QUERY}&lang=en"  # about 2,300 characters
DEEP_PATH = "/a/" + "a/" * 11
SORTS = ("newest", "oldest", "popular")
REFS = ("nav", "sidebar", "footer")
UTM = (("utm_source", "newsletter"), ("utm_medium", "email"), ("utm_campaign", "spring25"))


def _month_url(host: str, year: int, month: int) -> str:
    return f"http://{host}/calendar/{year:04d}/{month:02d}/"


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def calendar_page(host: str, path: str, stories: list[Article]) -> Page | None:
    """``/calendar/YYYY/MM/`` (prev/next month forever) and ``/calendar/YYYY/MM/DD/``."""
    m = re.fullmatch(r"/calendar/(\d{4})/(\d{2})/(?:(\d{2})/)?", path)
    if not m:
        return None
    year, month = int(m[1]), int(m[2])
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return None
    if m[3]:
        day = int(m[3])
        if not 1 <= day <= cal.monthrange(year, month)[1]:
            return None
        return _day_page(host, date(year, month, day), stories)
    moves = [("« Previous month", -1), ("Next month »", 1), ("Previous year", -12)]
    moves += [("Next year", 12), ("Ten years back", -120), ("Ten years on", 120)]
    nav = []
    for label, by in moves:
        y, mo = _shift(year, month, by)
        if 1 <= y <= 9999:
            nav.append(Link(_month_url(host, y, mo), label))
    days = "".join(
        f"<td>{a(Link(f'{_month_url(host, year, month)}{d:02d}/', str(d)))}</td>"
        + ("</tr><tr>" if (d + cal.monthrange(year, month)[0]) % 7 == 0 else "")
        for d in range(1, cal.monthrange(year, month)[1] + 1)
    )
    title = f"Archive: {cal.month_name[month]} {year}"
    return title, f'{link_list(nav, "pager")}\n<table class="calendar"><tr>{days}</tr></table>'


def _day_page(host: str, day: date, stories: list[Article]) -> Page:
    found = [s for s in stories if s.published_at.date() == day]
    items = link_list([Link(s.url, s.title) for s in found]) if found else "<p>No stories.</p>"
    back = a(Link(_month_url(host, day.year, day.month), "Back to the month"))
    return f"Archive: {day.day} {cal.month_name[day.month]} {day.year}", f"{items}\n<p>{back}</p>"


def _with(params: list[tuple[str, str]], key: str, value: str) -> list[tuple[str, str]]:
    if any(k == key for k, _ in params):
        return [(k, value if k == key else v) for k, v in params]
    return [*params, (key, value)]


def archive_listing(base_url: str, query: str, stories: list[Article]) -> Page:
    """The same list of stories under ever more combinations of sort/page/ref/utm_* parameters."""
    params = parse_qsl(query, keep_blank_values=True)
    page = next((int(v) for k, v in params if k == "page" and v.isdigit()), 1)
    variants = [_with(params, "sort", s) for s in SORTS]
    variants += [_with(params, "page", str(p)) for p in {max(1, page - 1), page + 1, page + 2}]
    variants += [_with(params, "ref", r) for r in REFS]
    variants += [_with(params, k, v) for k, v in UTM]
    links = [Link(f"{base_url}?{urlencode(v)}", f"Option {i + 1}") for i, v in enumerate(variants)]
    body = link_list([Link(s.url, s.title) for s in stories])
    tools = f'<div class="archive-tools"><p>Sort, filter and share:</p>{link_list(links)}</div>'
    return f"Archive (page {page})", f"{tools}\n{body}"


def deep_page(host: str, path: str) -> Page | None:
    """``/a/``, ``/a/a/``, … each linking one level deeper (like a relative-link bug)."""
    if not re.fullmatch(r"(?:/a)+/", path):
        return None
    deeper = Link(f"http://{host}{path}a/", "Older items")
    return "Index", f"<p>Index level {path.count('/a')}.</p>\n<p>{a(deeper)}</p>"


def search_page(query: str) -> Page:
    terms = dict(parse_qsl(query)).get("q", "")
    return "Search", f"<p>No results for <q>{esc(terms[:80])}</q>.</p>"
