"""Spider traps: the pure TrapFilter / calendar_reason, and a real crawl through TrapMiddleware."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest

from crawler.policy.traps import (
    CalendarWindow,
    TrapFilter,
    TrapPolicy,
    calendar_reason,
    split_url,
    static_reason,
)

BASE = "http://news.example:8080"


def check(url: str, policy: TrapPolicy | None = None) -> str | None:
    return TrapFilter(policy).check(url)


# --- stateless ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "HTTPS://Example.com:8443/a/b?x=1&y=2#frag",
        "http://example.com?q=1",
        "http://example.com#top",
        "http://user:pw@example.com/p;params?q#f",
        "http://[::1]:8080/path",
        "http://example.com/a?b?c#d#e",
        "http://example.com/caf%C3%A9",
        "http://example.com/café?ü=1",  # not ASCII: urlsplit itself
        "http://example.com/a\tb",  # control character: urlsplit itself
        "mailto:someone@example.com",
        "/relative/path?q=1",
        "//example.com/x",
        "",
    ],
)
def test_split_url_agrees_with_urlsplit(url: str) -> None:
    parts = urlsplit(url)
    assert split_url(url) == (parts.scheme, parts.netloc, parts.path, parts.query)


def test_url_length() -> None:
    url = BASE + "/" + "x" * (2000 - len(BASE) - 1)
    assert len(url) == 2000 and check(url) is None
    assert check(url + "x") == "url_length"
    assert check(BASE + "/abcdef", TrapPolicy(max_url_length=20)) == "url_length"


def test_path_depth() -> None:
    assert check(BASE + "".join(f"/s{i}/" for i in range(12))) is None  # empty ones do not count
    assert check(BASE + "".join(f"/s{i}" for i in range(13))) == "path_depth"
    assert check(BASE + "".join(f"/s{i}" for i in range(12))) is None


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/a/x/a/y/a/z/a", "repeated_segments"),  # "a" four times
        ("/a/x/a/y/a", None),  # three times, scattered: allowed
        ("/a/b/a/b/a/b/", "repeated_segments"),  # a run repeated three times in a row
        ("/a/b/c/a/b/c/a/b/c", "repeated_segments"),
        ("/a/b/a/b/", None),
        ("/x/y/y/y", "repeated_segments"),
        ("/2024/01/01/story", None),
        ("/news/world/news/world/x", None),
    ],
)
def test_repeated_segments(path: str, reason: str | None) -> None:
    assert check(BASE + path) == reason


def test_repeated_segments_limit_is_configurable() -> None:
    policy = TrapPolicy(max_repeated_segments=2)
    assert check(BASE + "/a/b/a/b", policy) == "repeated_segments"
    assert check(BASE + "/a/x/a", policy) is None


def test_query_params() -> None:
    eight = "&".join(f"p{i}=1" for i in range(8))
    assert check(f"{BASE}/s?{eight}") is None
    assert check(f"{BASE}/s?{eight}&p8=1") == "query_params"
    assert check(f"{BASE}/s?{eight}&&&") is None  # empty parameters are not parameters


def test_static_reason_is_stateless() -> None:
    policy = TrapPolicy(max_pages_per_host=1)
    assert static_reason(BASE + "/a/b/a/b/a/b", policy) == "repeated_segments"
    assert [static_reason(f"{BASE}/p{i}?v={i}", policy) for i in range(5)] == [None] * 5


# --- stateful ----------------------------------------------------------------------------------


def test_query_variants_per_host_and_path() -> None:
    f = TrapFilter(TrapPolicy(max_query_variants_per_path=3))
    assert [f.check(f"{BASE}/search?q={i}") for i in range(4)] == [
        None,
        None,
        None,
        "query_variants",
    ]
    assert f.check(f"{BASE}/search?q=1") is None  # already admitted
    assert f.check(f"{BASE}/search") is None  # no query
    assert f.check(f"{BASE}/other?q=9") is None  # another path
    assert f.check("http://news.example:8081/search?q=9") is None  # another host (port)


def test_pages_per_host() -> None:
    f = TrapFilter(TrapPolicy(max_pages_per_host=2))
    assert [f.check(f"{BASE}/p{i}") for i in range(3)] == [None, None, "pages_per_host"]
    assert f.check(f"{BASE}/seed", count_page=False) is None  # exempt, and not counted
    assert f.check("HTTP://NEWS.example:8080/p9") == "pages_per_host"  # same host, any case
    assert f.check("http://news.example:8081/p0") is None


def test_refused_urls_use_no_quota() -> None:
    f = TrapFilter(TrapPolicy(max_pages_per_host=1, max_query_variants_per_path=1))
    assert f.check(f"{BASE}/a/b/a/b/a/b?x=1") == "repeated_segments"
    assert f.check(f"{BASE}/a/b/a/b/a/b?x=2") == "repeated_segments"
    assert f.check(f"{BASE}/a/b/a/b/a/b?x=3") == "repeated_segments"
    assert f.check(f"{BASE}/a/b/a/b?x=3") is None  # quota intact: first page, first variant
    assert f.check(f"{BASE}/a/b/a/b?x=4") == "query_variants"
    assert f.check(f"{BASE}/p2") == "pages_per_host"


def test_a_refused_page_does_not_record_its_query_variant() -> None:
    f = TrapFilter(TrapPolicy(max_pages_per_host=1, max_query_variants_per_path=1))
    assert f.check(f"{BASE}/s?q=1") is None
    assert f.check(f"{BASE}/t?q=1") == "pages_per_host"
    assert f.check(f"{BASE}/t?q=2", count_page=False) is None  # q=1 was not recorded for /t


# --- calendar ----------------------------------------------------------------------------------

START, END = date(2024, 5, 1), date(2024, 5, 10)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/calendar/2031/07/", "calendar"),
        ("/calendar/2024/05/", None),
        ("/calendar/2031/07/15/day-view", "calendar"),  # after a calendar word
        ("/Agenda/2031-07-15", "calendar"),
        ("/2024/05/13/", None),  # three days after the end: within the slack
        ("/2024/05/14/", "calendar"),
        ("/2024/04/28", None),
        ("/2024/04/27", "calendar"),
        ("/2024/04/", None),  # April overlaps the slack (April 28-30)
        ("/2024/03/", "calendar"),
        ("/2019/05/12/page/2/", "calendar"),
        ("/archive/2031/07/index.html", "calendar"),
        ("/2019/05/12/old-story-about-it", None),  # an article, not a calendar page
        ("/events?month=2031-07", "calendar"),
        ("/events?month=2024-05", None),
        ("/events?year=2031&month=7", "calendar"),
        ("/events?year=2024&month=5&day=9", None),
        ("/events?year=2024&month=5&day=20", "calendar"),
        ("/events?date=20310715", "calendar"),
        ("/events?id=20310715", None),  # a compact number under a non-date key
        ("/events?from=2031%2D07%2D01", "calendar"),
        ("/calendar/2024/02/31", "calendar"),  # clamped to 29 February
        ("/story/12345", None),
    ],
)
def test_calendar_reason(path: str, reason: str | None) -> None:
    assert calendar_reason(BASE + path, START, END, 3) == reason


def test_calendar_slack_and_month_ends() -> None:
    assert calendar_reason(BASE + "/2024/04/", START, END, 0) == "calendar"  # April 30 < May 1
    assert calendar_reason(BASE + "/2024/04/", START, END, 1) is None
    assert calendar_reason(BASE + "/calendar/2024/02/29", date(2024, 3, 1), END, 0) == "calendar"
    assert calendar_reason(BASE + "/calendar/2024/02/29", date(2024, 3, 1), END, 1) is None


def test_trap_filter_applies_the_calendar_before_counting() -> None:
    f = TrapFilter(TrapPolicy(max_pages_per_host=1), CalendarWindow(START, END, 0))
    assert f.check(BASE + "/calendar/2031/07/") == "calendar"
    assert f.check(BASE + "/calendar/2024/05/") is None
    assert TrapFilter().check(BASE + "/calendar/2031/07/") is None  # no window: no check


# --- a real crawl ------------------------------------------------------------------------------


def test_pages_per_host_zero_means_no_limit() -> None:
    f = TrapFilter(TrapPolicy(max_pages_per_host=0))
    assert all(f.check(f"{BASE}/p{i}") is None for i in range(3000))
