"""Politeness in real crawls against local servers: robots.txt, Crawl-delay, Retry-After.

The crawls run once per module in a subprocess (``tests/support/crawlrun.py``), all scenarios
side by side in one reactor; the servers (``tests/support/httpserver.py``) record arrival times
with ``time.monotonic()`` and the assertions compare those, never sleeping.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import pytest

from tests.support.crawlrun import run_crawls
from tests.support.httpserver import RecordingServer, Reply, html_links

# seconds: a request is timed when the crawler sends it, recorded when the server reads it;
# the latency in between varies (connection set-up, a loaded machine)
TOLERANCE = 0.1


# --- pure cores --------------------------------------------------------------------------------


# --- real crawls -------------------------------------------------------------------------------

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.hostslot.HostSlotMiddleware": 45,
    "crawler.middlewares.traps.TrapMiddleware": 60,
    "crawler.middlewares.robots.CrawlDelayRobotsTxtMiddleware": 100,
    "crawler.middlewares.retryafter.RetryAfterMiddleware": 560,
}


def crawl_settings(**overrides: Any) -> dict[str, Any]:
    """Explicit settings for a test crawl: our middlewares, no Scrapy retry of 429/503."""
    settings: dict[str, Any] = {
        "USER_AGENT": "newsarc-test",
        "ROBOTSTXT_OBEY": True,
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "SPIDER_MIDDLEWARES": {"crawler.middlewares.hostslot.HostSlotMiddleware": 900},
        "RETRY_HTTP_CODES": [500, 502, 504, 522, 524, 408],
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "NEWSARC_BACKOFF_BASE": 0.3,
        "NEWSARC_MAX_RETRY_AFTER": 5,
        "NEWSARC_RETRY_AFTER_TIMES": 2,
    }
    settings.update(overrides)
    return settings


PAGE = [Reply(body=html_links())]
NO_ROBOTS: dict[str, list[Reply]] = {}


def http_date_in(seconds: float) -> str:
    return formatdate(time.time() + seconds, usegmt=True)


@dataclass
class Crawls:
    servers: dict[str, RecordingServer]
    results: dict[str, Any]

    def stats(self, scenario: str) -> dict[str, Any]:
        return dict(self.results[scenario]["stats"])

    def statuses(self, scenario: str) -> dict[str, int]:
        return {url: status for url, status in self.results[scenario]["responses"]}


def _servers() -> dict[str, RecordingServer]:
    robots = {"/robots.txt": [Reply(body=b"User-agent: *\nDisallow: /private/\n")]}
    delay = {"/robots.txt": [Reply(body=b"User-agent: *\nCrawl-delay: 1\n")]}
    limited = [Reply(429, headers={"Retry-After": "1"}), *PAGE]
    chain = {f"/o{i}": [Reply(body=html_links(f"/o{i + 1}"))] for i in range(6)}
    other = RecordingServer({**chain, "/o6": PAGE})
    start = [Reply(body=html_links("/a", "/b", other.url("/o0")))]
    return {
        "robots": RecordingServer(
            {**robots, "/public": PAGE, **{f"/private/{c}": PAGE for c in "xyzw"}}
        ),
        "robots404": RecordingServer(
            {"/robots.txt": [Reply(404, b"User-agent: *\nDisallow: /\n")], "/page": PAGE}
        ),
        "delayed": RecordingServer({**delay, **{f"/a{i}": PAGE for i in range(4)}}),
        "fast": RecordingServer({f"/b{i}": PAGE for i in range(6)}),
        "limited": RecordingServer({"/start": start, "/a": limited, "/b": limited}),
        "other": other,
        "date": RecordingServer(
            {"/d": [Reply(503, headers={"Retry-After": lambda: http_date_in(2)}), *PAGE]}
        ),
        "backoff": RecordingServer({"/k": [Reply(503), Reply(503), *PAGE]}),
        "too_long": RecordingServer({"/t": [Reply(429, headers={"Retry-After": "3600"})]}),
        "exhausted": RecordingServer({"/e": [Reply(429, headers={"Retry-After": "0"})]}),
        "fair_slow": RecordingServer({**delay, **{f"/f{i}": PAGE for i in range(3)}}),
        "fair_fast": RecordingServer({f"/g{i}": PAGE for i in range(6)}),
    }


def _scenarios(s: dict[str, RecordingServer]) -> dict[str, dict[str, Any]]:
    def urls(name: str, *paths: str) -> list[str]:
        return [s[name].url(p) for p in paths]

    fair = urls("fair_slow", "/f0", "/f1", "/f2") + urls("fair_fast", *(f"/g{i}" for i in range(6)))
    return {
        # five requests wait for one robots.txt at once: each must be checked against it
        "robots": {
            "settings": crawl_settings(),
            "urls": urls("robots", "/public", *(f"/private/{c}" for c in "xyzw")),
        },
        "robots404": {"settings": crawl_settings(), "urls": urls("robots404", "/page")},
        # default DOWNLOAD_DELAY_JITTER (0.5): the Crawl-delay must survive randomisation
        "crawl_delay": {
            "settings": crawl_settings(),
            "urls": urls("delayed", *(f"/a{i}" for i in range(4)))
            + urls("fast", *(f"/b{i}" for i in range(6))),
        },
        # /a and /b go one after the other (a delay keeps them apart: Scrapy 2.19 can exceed
        # CONCURRENT_REQUESTS_PER_DOMAIN for requests enqueued in the same event-loop turn)
        "retry_after": {
            "settings": crawl_settings(
                CONCURRENT_REQUESTS_PER_DOMAIN=1, DOWNLOAD_DELAY=0.2, DOWNLOAD_DELAY_JITTER=0
            ),
            "urls": urls("limited", "/start"),
            "follow": True,
        },
        "throttle": {
            "settings": crawl_settings(),
            "urls": urls("date", "/d")
            + urls("backoff", "/k")
            + urls("too_long", "/t")
            + urls("exhausted", "/e"),
        },
        "fairness": {
            "settings": crawl_settings(
                CONCURRENT_REQUESTS=2,
                SCHEDULER_PRIORITY_QUEUE="scrapy.pqueues.DownloaderAwarePriorityQueue",
            ),
            "urls": fair,
        },
    }


@pytest.fixture(scope="module")
def crawls() -> Iterator[Crawls]:
    with ExitStack() as stack:
        servers = {name: stack.enter_context(server) for name, server in _servers().items()}
        yield Crawls(servers, run_crawls(_scenarios(servers)))


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def test_robots_disallow_is_obeyed(crawls: Crawls) -> None:
    assert sorted(crawls.servers["robots"].paths()) == ["/public", "/robots.txt"]
    assert crawls.stats("robots")["robotstxt/forbidden"] == 4


def test_robots_4xx_allows_everything_whatever_its_body(crawls: Crawls) -> None:
    assert crawls.servers["robots404"].paths() == ["/robots.txt", "/page"]
    assert crawls.statuses("robots404") == {crawls.servers["robots404"].url("/page"): 200}


def test_crawl_delay_spaces_one_host_and_not_the_other(crawls: Crawls) -> None:
    delayed, fast = crawls.servers["delayed"], crawls.servers["fast"]
    assert delayed.paths()[0] == "/robots.txt" and len(delayed.paths()) == 5
    robots_gap, *page_gaps = gaps(delayed.times())
    assert robots_gap >= 1.0 - 2 * TOLERANCE  # the first connection's set-up delays robots.txt
    assert min(page_gaps) >= 1.0 - TOLERANCE, page_gaps
    assert len(fast.paths()) == 7  # robots.txt (404) + 6 pages
    assert fast.times()[-1] - fast.times()[0] < 0.9
    assert fast.times()[-1] < delayed.times()[2]  # all done before the delayed host's 2nd page
    assert crawls.stats("crawl_delay")["newsarc/robots/crawl_delay_hosts"] == 1
    slots = crawls.results["crawl_delay"]["slots"]
    assert slots[f"127.0.0.1:{delayed.port}"] == {"delay": 1.0, "jitter": 0.0}
    assert slots[f"127.0.0.1:{fast.port}"] == {"delay": 0.0, "jitter": 0.5}  # untouched


def test_retry_after_pauses_the_host_then_retries(crawls: Crawls) -> None:
    limited = crawls.servers["limited"]
    hits = limited.hits
    assert sorted(p for p, _ in hits) == ["/a", "/a", "/b", "/b", "/robots.txt", "/start"]
    first_429 = next(i for i, (p, _) in enumerate(hits) if p in ("/a", "/b"))
    # every request after a 429 (the first hit of /a and of /b) waits out Retry-After: 1
    for i in (first_429, first_429 + 1):
        assert hits[i + 1][1] - hits[i][1] >= 1.0 - TOLERANCE, hits
    statuses = crawls.statuses("retry_after")
    assert statuses[limited.url("/a")] == statuses[limited.url("/b")] == 200
    assert crawls.stats("retry_after")["newsarc/retry_after/waits"] == 2


def test_retry_after_pause_does_not_hold_other_hosts(crawls: Crawls) -> None:
    limited, other = crawls.servers["limited"], crawls.servers["other"]
    first_429 = next(t for p, t in limited.hits if p in ("/a", "/b"))
    chain = other.times()
    assert len(other.paths()) == 8  # robots.txt + /o0 … /o6, one link at a time
    assert max(gaps(chain)) < 0.2 + 0.6  # DOWNLOAD_DELAY 0.2 + fetch and parse
    # the chain kept going while the limited host was paused (not the reactor, not all slots)
    paused = [t for t in chain if first_429 < t < first_429 + 1.0 - TOLERANCE]
    assert len(paused) >= 3, (first_429, chain)


def test_retry_after_http_date(crawls: Crawls) -> None:
    first, retry = crawls.servers["date"].times("/d")
    assert 1.0 - TOLERANCE <= retry - first <= 2.5
    assert crawls.statuses("throttle")[crawls.servers["date"].url("/d")] == 200


def test_missing_retry_after_backs_off_exponentially(crawls: Crawls) -> None:
    first_gap, second_gap = gaps(crawls.servers["backoff"].times("/k"))
    assert first_gap >= 0.3 - TOLERANCE
    assert second_gap >= 0.6 - TOLERANCE
    assert crawls.statuses("throttle")[crawls.servers["backoff"].url("/k")] == 200


def test_retry_after_beyond_the_cap_gives_up(crawls: Crawls) -> None:
    assert crawls.servers["too_long"].paths() == ["/robots.txt", "/t"]
    assert crawls.statuses("throttle")[crawls.servers["too_long"].url("/t")] == 429
    stats = crawls.stats("throttle")
    assert stats["newsarc/retry_after/gave_up/too_long"] == 1


def test_retries_are_limited(crawls: Crawls) -> None:
    assert crawls.servers["exhausted"].paths() == ["/robots.txt", "/e", "/e", "/e"]
    stats = crawls.stats("throttle")
    assert stats["newsarc/retry_after/gave_up/exhausted"] == 1
    assert stats["newsarc/retry_after/gave_up"] == 2  # too_long + exhausted
    assert stats["newsarc/retry_after/waits"] == 1 + 2 + 2  # date, backoff, exhausted
    assert "retry/count" not in stats  # Scrapy's RetryMiddleware did not retry 429/503 again


def test_a_crawl_delayed_host_does_not_starve_others(crawls: Crawls) -> None:
    slow, fast = crawls.servers["fair_slow"], crawls.servers["fair_fast"]
    assert len(slow.paths()) == 4 and len(fast.paths()) == 7
    # CONCURRENT_REQUESTS=2 and the slow host's requests listed first: without per-host slots
    # at scheduling time both places go to slow requests waiting out their Crawl-delay.
    assert fast.times()[-1] < slow.times()[2]
