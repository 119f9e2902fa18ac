"""The crawl state: per-URL records that survive the process, and when each URL is due again."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from archive.state import UrlState
from archive.state.schedule import DAY, HOUR, MINUTE, RefetchPolicy, next_interval, reschedule
from archive.state.sqlite import SqliteCrawlState, state_path

NOW = datetime(2025, 4, 2, 12, 0, tzinfo=UTC)
POLICY = RefetchPolicy()


def test_records_round_trip_and_survive_a_reopen(tmp_path: Path) -> None:
    path = state_path(tmp_path / "ev")
    state = SqliteCrawlState(path)
    a = UrlState("http://a.test/", kind="feed", status=200, etag='"x"', next_due=50.0)
    a.warc = {"filename": "f.warc.gz", "offset": 10, "length": 99}
    state.put(a)
    state.put(UrlState("http://b.test/", kind="article", next_due=float("inf")))
    state.put(UrlState("http://c.test/", kind="page", next_due=10.0))
    state.close()
    again = SqliteCrawlState(path)
    assert again.get("http://a.test/") == a
    assert again.get("http://nowhere.test/") is None
    assert again.due(60.0) == [("http://c.test/", "page"), ("http://a.test/", "feed")]
    assert len(again.due(float("inf"))) == len(again) == 3
    again.close()


def test_a_state_from_an_older_newsarc_gains_the_new_fields(tmp_path: Path) -> None:
    path = state_path(tmp_path / "ev")
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE urls (url TEXT PRIMARY KEY, kind, next_due)")
        db.execute("INSERT INTO urls VALUES ('http://a.test/', 'seed', 5.0)")
    state = SqliteCrawlState(path)
    old = state.get("http://a.test/")
    assert old is not None and old.kind == "seed" and old.published is None
    state.put(UrlState("http://a.test/", kind="seed", published="2025-04-01"))
    assert state.get("http://a.test/").published == "2025-04-01"  # type: ignore[union-attr]
    state.close()


@pytest.mark.parametrize(
    ("kind", "previous", "changed", "expected"),
    [
        ("feed", 0.0, False, 30 * MINUTE),  # first time: the kind's default
        ("feed", 30 * MINUTE, False, 45 * MINUTE),  # unchanged: x1.5
        ("feed", 5 * HOUR, False, 6 * HOUR),  # ... up to the cap
        ("feed", 30 * MINUTE, True, 15 * MINUTE),  # changed: halved
        ("feed", 6 * MINUTE, True, 5 * MINUTE),  # ... down to the floor
        ("sitemap", 0.0, False, HOUR),
        ("other", 0.0, False, 7 * DAY),
    ],
)
def test_source_intervals_adapt(kind: str, previous: float, changed: bool, expected: float) -> None:
    got = next_interval(POLICY, kind, previous, changed=changed, now=NOW)
    assert got == pytest.approx(expected)


def test_articles_decay_then_stop_after_the_window() -> None:
    def after(hours: float) -> float | None:
        published = datetime.fromtimestamp(NOW.timestamp() - hours * HOUR, UTC)
        return next_interval(
            POLICY, "article", 0.0, changed=False, now=NOW, published=published,
            window_end=date(2025, 4, 5),
        )  # fmt: skip

    assert [after(1), after(5), after(30), after(24 * 9)] == [15 * MINUTE, HOUR, 3 * HOUR, DAY]
    late = datetime(2025, 4, 14, tzinfo=UTC)
    assert (
        next_interval(POLICY, "article", 0, changed=False, now=late, window_end=date(2025, 4, 5))
        is None
    )
    state = UrlState("u", kind="article", first_fetch="2025-04-02T11:00:00Z")
    reschedule(state, changed=False, now=NOW.timestamp(), policy=POLICY, window_end=None)
    assert state.interval == 15 * MINUTE and state.next_due == NOW.timestamp() + 15 * MINUTE
    reschedule(
        state, changed=False, now=late.timestamp(), policy=POLICY, window_end=date(2025, 4, 5)
    )
    assert state.next_due == float("inf")


def test_kind_of_a_discovery_source() -> None:
    from archive.state import kind_of

    assert kind_of("feed", "http://a.test/rss.xml") == "feed"
    assert kind_of("feed:http://a.test/rss.xml", "http://a.test/story") == "page"  # an entry
    assert kind_of("sitemap:http://a.test/s.xml", "http://a.test/story") == "page"
    assert kind_of("robots-sitemap", "http://a.test/s.xml") == "sitemap"
    assert kind_of("gdelt", "http://api.test/doc") == "search"
    assert kind_of("recheck:article", "http://a.test/story") == "article"
    assert kind_of(None, "http://a.test/robots.txt") == "robots"
    assert kind_of("link", "http://a.test/x") == "page"


def test_marking_a_page_analysed_changes_only_that_field(tmp_path: Path) -> None:
    state = SqliteCrawlState(state_path(tmp_path / "ev"))
    a = UrlState("http://a.test/", kind="article", status=200, etag='"x"', next_due=5.0)
    state.put(a)
    state.mark_analysed("http://a.test/")
    state.mark_analysed("http://unknown.test/")  # not known: nothing to mark, no row made
    marked = state.get("http://a.test/")
    assert marked is not None and marked.analysed
    assert marked == UrlState(**{**a.__dict__, "analysed": True})
    assert state.get("http://unknown.test/") is None and len(state) == 1
    state.close()
