"""Extraction health: per-site signals, the drift test and the health table (archive/health)."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest
from scipy.stats import fisher_exact

from archive.health.drift import detect, fisher_tail
from archive.health.signals import PageObservation, SiteSignals, Tally, site_signals
from archive.health.store import CrawlHealth, as_history
from archive.health.table import health_table

FETCHED = "2025-04-02T10:00:00Z"


def page(
    url: str, *, article: bool = True, date: str | None = "2025-04-01", **kw: object
) -> PageObservation:
    if not article:
        return PageObservation(url, 20_000, FETCHED)
    fields: dict[str, object] = {
        "article": True,
        "text_chars": 2000,
        "title": True,
        "date": date,
        "author": True,
        "on_event": True,
        "language": True,
        "text_sha256": url,
        "extractor": "trafilatura 2.3.1",
    }
    fields.update(kw)
    return PageObservation(url, 20_000, FETCHED, **fields)  # type: ignore[arg-type]


def sites_of(pages: list[PageObservation]) -> dict[str, SiteSignals]:
    tally = Tally()
    for p in pages:
        tally.add(p)
    return tally.sites()


@pytest.mark.parametrize(
    ("x", "n", "big_x", "big_n"),
    [(0, 14, 8, 14), (3, 20, 30, 40), (10, 10, 5, 50), (7, 30, 70, 300), (0, 5, 0, 5)],
)
def test_fisher_tail_is_scipys_one_sided_fisher_exact(
    x: int, n: int, big_x: int, big_n: int
) -> None:
    table = [[x, n - x], [big_x, big_n - big_x]]
    for bad, alternative in (("down", "less"), ("up", "greater")):
        expected = fisher_exact(table, alternative=alternative).pvalue
        assert fisher_tail(x, n, big_x, big_n, bad) == pytest.approx(expected, rel=1e-9)


def test_site_signals_count_fields_walls_and_implausible_dates() -> None:
    wall = "same-consent-wall"
    pages = [
        page("http://a.test/1"),
        page("http://a.test/2", title=False, author=False),
        page("http://a.test/3", date=None, text_sha256=wall),
        page("http://a.test/4", date="2031-01-01", text_sha256=wall, extractor="readability 0.8"),
        page("http://a.test/5", date="1970-01-01"),
        page("http://a.test/list", article=False),
    ]
    s = site_signals(pages, None)
    assert (s.pages, s.articles, s.title, s.author, s.date, s.dated) == (6, 5, 4, 4, 4, 4)
    assert (s.identical, s.future_date, s.early_date, s.fallback) == (2, 1, 1, 1)
    assert s.examples["identical"] == ["http://a.test/3", "http://a.test/4"]
    assert s.examples["article"] == ["http://a.test/list"]
    home = site_signals(
        [page("http://a.test/", article=False), page("http://a.test/news/a-b-c", article=False)],
        None,
    )
    assert home.examples["article"] == ["http://a.test/news/a-b-c", "http://a.test/"]
    assert s.rate("article") == pytest.approx(5 / 6)
    assert s.first_capture == FETCHED
    # the order pages arrive in changes nothing
    assert site_signals(list(reversed(pages)), None) == s
    assert SiteSignals.from_json(s.to_json()) == s


def test_relative_signals_compare_with_the_baseline_median() -> None:
    s = site_signals(
        [page(f"http://a.test/{i}", text_chars=300 if i < 3 else 2000) for i in range(10)], None
    )
    assert s.rate("short_text") is None  # nothing to compare with
    assert s.rate("short_text", {"short_text": 2000.0}) == pytest.approx(0.3)
    assert s.failing("short_text", {"short_text": 2000.0}) == [
        f"http://a.test/{i}" for i in range(3)
    ]


def crawl_of(
    rates: dict[str, float], pages: int, rng: random.Random, crawl: int
) -> list[PageObservation]:
    out = []
    for host, rate in rates.items():
        for i in range(pages):
            out.append(page(f"http://{host}/{crawl}/{i}", article=rng.random() < rate))
    return out


def test_a_broken_site_raises_one_alarm_and_the_others_none() -> None:
    rng = random.Random(7)
    rates = {"a.test": 0.6, "b.test": 0.5, "c.test": 0.8}
    history = [(f"c{i}", sites_of(crawl_of(rates, 20, rng, i)), set()) for i in range(3)]
    broken = crawl_of({**rates, "b.test": 0.0}, 20, rng, 9)
    alarms = detect("c9", sites_of(broken), history)
    assert [(a.site, a.signal) for a in alarms] == [("b.test", "article")]
    alarm = alarms[0]
    assert alarm.after == 0 and 0.3 < alarm.before < 0.7 and alarm.p_value < 1e-3
    assert alarm.baseline == ("c2", "c1", "c0") and len(alarm.examples) == 5
    assert all(url.startswith("http://b.test/9/") for url in alarm.examples)


def test_no_false_alarm_over_twenty_crawls_of_an_unchanged_web() -> None:
    """Sampling noise only: 20 crawls, 4 sites at their own steady rates, every signal tested."""
    rng = random.Random(20)
    rates = {"a.test": 0.6, "b.test": 0.2, "c.test": 0.9, "d.test": 0.45}
    history: list[tuple[str, dict[str, SiteSignals], set[str]]] = []
    alarms = []
    for crawl in range(20):
        pages = []
        for p in crawl_of(rates, 15, rng, crawl):
            if p.article and rng.random() < 0.1:  # a few articles without author or date
                p = page(p.url, author=False, date=None)
            pages.append(p)
        sites = sites_of(pages)
        alarms += detect(f"c{crawl:02}", sites, history)
        history.append((f"c{crawl:02}", sites, set()))
    assert alarms == []


def test_an_alarmed_crawl_is_left_out_of_the_baseline() -> None:
    rng = random.Random(3)
    good = [(f"c{i}", sites_of(crawl_of({"a.test": 0.7}, 20, rng, i)), set()) for i in range(3)]
    broken = sites_of(crawl_of({"a.test": 0.0}, 20, rng, 5))
    history = [*good, ("c5", broken, {"a.test"})]
    # still broken a crawl later: compared with the good crawls, not with the broken one
    alarms = detect("c6", sites_of(crawl_of({"a.test": 0.0}, 20, rng, 6)), history)
    assert [(a.signal, a.baseline) for a in alarms] == [("article", ("c2", "c1", "c0"))]


def test_small_changes_and_small_samples_raise_nothing() -> None:
    rng = random.Random(5)
    history = [(f"c{i}", sites_of(crawl_of({"a.test": 0.6}, 400, rng, i)), set()) for i in range(3)]
    assert detect("c9", sites_of(crawl_of({"a.test": 0.54}, 400, rng, 9)), history) == []
    tiny = [(f"c{i}", sites_of(crawl_of({"a.test": 0.9}, 3, rng, i)), set()) for i in range(3)]
    assert detect("c9", sites_of(crawl_of({"a.test": 0.0}, 3, rng, 9)), tiny) == []


def test_health_table_shows_series_trend_and_alarms() -> None:
    rng = random.Random(11)
    crawls = []
    for i in range(4):
        rate = 0.0 if i == 3 else 0.8
        sites = sites_of(crawl_of({"a.test": rate, "b.test": 0.5}, 20, rng, i))
        alarms = detect(f"c{i}", sites, as_history(crawls))
        crawls.append(CrawlHealth(f"c{i}", "crawl", sites, alarms))
    crawls.append(CrawlHealth("reextract-x", "reextract", {}, []))
    table = health_table("ev", crawls)
    assert table.crawls == ["c0", "c1", "c2", "c3"] and table.reextracts == ["reextract-x"]
    a, b = table.rows
    assert a.site == "a.test" and a.cells["article"].latest == 0 and a.cells["article"].trend == "↓"
    assert len(a.cells["article"].series) == 4 and [x.signal for x in a.alarms] == ["article"]
    assert b.alarms == [] and b.cells["title"].trend == "="
    again = CrawlHealth.from_json(crawls[3].to_json())
    assert again.to_json() == crawls[3].to_json()


def test_the_tally_keeps_pages_without_an_article_compact_and_gives_the_same_signals() -> None:
    """A crawl's tally keeps a count, the first fetch and the longest URLs of the pages without
    an article, not each page; the signals equal those computed from every page."""
    rng = random.Random(5)
    pages = []
    for i in range(3000):
        host = rng.choice(["a.test", "www.b.test", "c.test"])
        path = "/" + "x" * rng.randrange(1, 60) + f"/{i}"
        fetched = f"2025-04-0{rng.randrange(1, 9)}T10:00:00Z"
        if rng.random() < 0.1:
            pages.append(replace(page(f"https://{host}{path}"), fetched_at=fetched))
        else:
            pages.append(PageObservation(f"https://{host}{path}", 20_000, fetched))
    tally = Tally()
    for p in pages:
        tally.add(p)
    assert len(tally) == 3000
    assert sum(len(v) for v in tally.pages.values()) == sum(p.article for p in pages)
    assert all(len(o.longest) <= 20 for o in tally.others.values())  # bounded, not per page
    by_host: dict[str, list[PageObservation]] = {}
    for p in pages:
        by_host.setdefault(p.host, []).append(p)
    expected = {host: site_signals(ps, None) for host, ps in sorted(by_host.items())}
    assert tally.sites() == expected


def test_tallies_of_several_workers_merge_into_the_tally_of_one_process() -> None:
    """A distributed crawl's workers each tally their pages and send them as JSON; merged in any
    order, they give the signals of one tally of every page (walls across workers included)."""
    rng = random.Random(6)
    pages = []
    for i in range(2000):
        host = rng.choice(["a.test", "www.b.test", "c.test"])
        url = f"https://{host}/" + "y" * rng.randrange(1, 40) + f"/{i}"
        fetched = f"2025-04-0{rng.randrange(1, 9)}T1{rng.randrange(0, 10)}:00:00Z"
        if rng.random() < 0.2:
            wall = "wall" if rng.random() < 0.3 else url  # identical bodies land on all workers
            pages.append(replace(page(url, text_sha256=wall), fetched_at=fetched))
        else:
            pages.append(PageObservation(url, 20_000, fetched))
    whole, parts = Tally(), [Tally() for _ in range(3)]
    for p in pages:
        whole.add(p)
        rng.choice(parts).add(p)
    sent = [Tally.from_json(json.loads(json.dumps(part.to_json()))) for part in parts]
    for order in ([0, 1, 2], [2, 0, 1]):
        merged = Tally()
        for k in order:
            merged.merge(sent[k])
        assert len(merged) == len(whole) == 2000
        assert merged.sites({"a.test": "2025-03-01T00:00:00Z"}) == whole.sites(
            {"a.test": "2025-03-01T00:00:00Z"}
        )
    assert any(s.identical for s in whole.sites().values())
