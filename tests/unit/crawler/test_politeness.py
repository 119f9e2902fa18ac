"""Politeness, the pure cores: host keys, Crawl-delay floors, Retry-After and back-off.

The real crawls against local servers are in ``tests/e2e/test_politeness_crawls.py``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from crawler.policy.politeness import (
    RetryAfterPolicy,
    RetryDecision,
    decide_retry,
    delay_floor,
    host_key,
    parse_retry_after,
)
from tests.support.httpserver import Reply

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


# --- pure cores --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "netloc", "key"),
    [
        ("http", "127.0.0.1:8001", "127.0.0.1:8001"),
        ("http", "Example.COM:80", "example.com"),
        ("https", "example.com:443", "example.com"),
        ("https", "example.com:80", "example.com:80"),
        ("http", "user:pw@news.example:8080", "news.example:8080"),
        ("http", "[::1]:80", "[::1]"),
        ("http", "example.com:8080", "example.com:8080"),
    ],
)
def test_host_key(scheme: str, netloc: str, key: str) -> None:
    assert host_key(scheme, netloc) == key


@pytest.mark.parametrize(
    ("delay", "jitter", "floor", "expected"),
    [
        (0.0, 0.5, 1.0, (1.0, 0.0)),  # raised, jitter dropped: 1.0 * 0.5 would undercut
        (4.0, 0.5, 1.0, (4.0, 0.5)),  # 4 * 0.5 = 2 >= 1: untouched
        (1.5, 0.5, 1.0, (1.5, 1 - 1.0 / 1.5)),  # jitter narrowed so the minimum is exactly 1
        (0.5, 0.0, 2.0, (2.0, 0.0)),
        (3.0, 0.2, 0.0, (3.0, 0.2)),  # no floor
    ],
)
def test_delay_floor(
    delay: float, jitter: float, floor: float, expected: tuple[float, float]
) -> None:
    assert delay_floor(delay, jitter, floor) == pytest.approx(expected)


def test_delay_floor_holds_for_every_random_draw() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        delay, jitter, floor = rng.uniform(0, 5), rng.uniform(0, 1.5), rng.uniform(0.01, 5)
        new_delay, new_jitter = delay_floor(delay, jitter, floor)
        assert new_delay >= delay and 0 <= new_jitter <= jitter
        assert new_delay * (1 - new_jitter) >= floor - 1e-9


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (b"0", 0.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Sat, 01 Mar 2025 12:00:30 GMT", 30.0),
        ("Saturday, 01-Mar-25 12:00:30 GMT", 30.0),  # obsolete RFC 850 form
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),  # in the past
        (None, None),
        ("", None),
        ("-5", None),
        ("soon", None),
        ("Sat, 01 Mar 2025 12:00:30 -0000", None),  # no zone information
    ],
)
def test_parse_retry_after(value: str | bytes | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_decide_retry() -> None:
    policy = RetryAfterPolicy(backoff_base=0.5, max_wait=10.0, max_times=3)
    assert decide_retry(policy, 200, "5", 0, NOW) is None
    assert decide_retry(policy, 500, "5", 0, NOW) is None
    assert decide_retry(policy, 429, "5", 0, NOW) == RetryDecision("wait", 5.0, "retry_after")
    assert decide_retry(policy, 503, "10", 2, NOW) == RetryDecision("wait", 10.0, "retry_after")
    assert decide_retry(policy, 503, "11", 0, NOW) == RetryDecision("give_up", 11.0, "too_long")
    assert decide_retry(policy, 429, "1", 3, NOW) == RetryDecision("give_up", 0.0, "exhausted")
    backoffs = [decide_retry(policy, 429, None, n, NOW) for n in range(3)]
    assert [d.delay for d in backoffs if d] == [0.5, 1.0, 2.0]
    assert all(d is not None and d.reason == "backoff" for d in backoffs)
    capped = decide_retry(RetryAfterPolicy(backoff_base=8, max_wait=10), 429, "x", 2, NOW)
    assert capped == RetryDecision(
        "wait", 10.0, "backoff"
    )  # our own back-off is capped, not refused


# --- real crawls -------------------------------------------------------------------------------


NO_ROBOTS: dict[str, list[Reply]] = {}
