"""Spider traps: the pure TrapFilter / calendar_reason, and a real crawl through TrapMiddleware."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from typing import Any

import pytest

from crawler.policy.traps import (
    TrapFilter,
    TrapPolicy,
)
from tests.support.crawlrun import run_crawls
from tests.support.httpserver import RecordingServer, Reply, html_links


def check(url: str, policy: TrapPolicy | None = None) -> str | None:
    return TrapFilter(policy).check(url)


# --- stateless ---------------------------------------------------------------------------------


# --- stateful ----------------------------------------------------------------------------------


# --- calendar ----------------------------------------------------------------------------------

START, END = date(2024, 5, 1), date(2024, 5, 10)


# --- a real crawl ------------------------------------------------------------------------------

TRAP_LINKS = {
    "/a/b/a/b/a/b/": "repeated_segments",
    "/long?q=" + "x" * 200: "url_length",
    "/calendar/2031/07/": "calendar",
    "/d" + "".join(f"/{i}" for i in range(13)): "path_depth",
    "/q?" + "&".join(f"p{i}=1" for i in range(9)): "query_params",
}
OK_LINKS = ["/calendar/2024/05/", *(f"/search?q={i}" for i in range(5))]


@pytest.fixture(scope="module")
def crawl() -> Iterator[tuple[RecordingServer, RecordingServer, dict[str, Any]]]:
    page = [Reply(body=html_links())]
    links = {**{p: page for p in OK_LINKS}, **{p: page for p in TRAP_LINKS}}
    traps = RecordingServer({"/start": [Reply(body=html_links(*TRAP_LINKS, *OK_LINKS))], **links})
    capped = RecordingServer(
        {"/start": [Reply(body=html_links(*(f"/p{i}" for i in range(8))))]}
        | {f"/p{i}": page for i in range(8)}
    )
    settings = {
        "USER_AGENT": "newsarc-test",
        "ROBOTSTXT_OBEY": True,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawler.middlewares.hostslot.HostSlotMiddleware": 45,
            "crawler.middlewares.traps.TrapMiddleware": 60,
            "crawler.middlewares.robots.CrawlDelayRobotsTxtMiddleware": 100,
        },
        "NEWSARC_MAX_URL_LENGTH": 200,
        "NEWSARC_MAX_QUERY_VARIANTS_PER_PATH": 3,
        "NEWSARC_MAX_PAGES_PER_HOST": 6,
    }
    with ExitStack() as stack:
        stack.enter_context(traps)
        stack.enter_context(capped)
        scenario = {
            "settings": settings,
            "urls": [traps.url("/start"), capped.url("/start")],
            "seeds": True,
            "follow": True,
            "event": {"start": "2024-05-01", "end": "2024-05-10", "slack_days": 1},
        }
        yield traps, capped, run_crawls({"traps": scenario})


def test_traps_are_refused_and_counted(crawl: tuple[RecordingServer, RecordingServer, Any]) -> None:
    traps, _, results = crawl
    stats = results["traps"]["stats"]
    for reason in TRAP_LINKS.values():
        assert stats[f"newsarc/trap/{reason}"] == 1, reason
    assert stats["newsarc/trap/query_variants"] == 2
    fetched = traps.paths()
    assert not set(TRAP_LINKS) & set(fetched)
    assert sorted(fetched) == sorted(
        ["/robots.txt", "/start", "/calendar/2024/05/"]
        + [p for p in fetched if p.startswith("/search?q=")]
    )
    assert len([p for p in fetched if p.startswith("/search?q=")]) == 3


def test_page_cap_exempts_seeds_and_robots(
    crawl: tuple[RecordingServer, RecordingServer, Any],
) -> None:
    _, capped, results = crawl
    fetched = capped.paths()
    assert fetched[:2] == ["/robots.txt", "/start"]
    assert len(fetched) == 2 + 6  # six pages admitted, neither robots.txt nor the seed counted
    assert results["traps"]["stats"]["newsarc/trap/pages_per_host"] == 2


def test_traps_are_logged_at_debug_only(
    crawl: tuple[RecordingServer, RecordingServer, Any],
) -> None:
    log = crawl[2]["_log"]
    assert "Spider trap" not in log  # the crawl logs at INFO
    assert "] ERROR:" not in log
