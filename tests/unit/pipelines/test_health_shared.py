"""Extraction health of a distributed crawl (real Redis): workers send their observations in
batches, the last one concludes on all of them as one process would; Redis down loses none."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, cast

import pytest
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from archive.cluster.connection import CrawlKeys, connect
from archive.cluster.health import SharedTally
from archive.health.signals import PageObservation
from archive.storage import open_storage
from pipelines import health
from pipelines.health import HealthExtension
from tests.support.redisserver import free_port

CRAWL = "20250402T100000Z"


def _pages(n: int) -> list[PageObservation]:
    rng = random.Random(3)
    pages = []
    for i in range(n):
        host = rng.choice(["a.test", "b.test"])
        url = f"https://{host}/news/{i}"
        if rng.random() < 0.6:
            pages.append(PageObservation(url, 20_000, "2025-04-02T10:00:00Z", article=True,
                                         text_chars=1500 + i, title=True, date="2025-04-01",
                                         text_sha256="wall" if i % 7 == 0 else url,
                                         extractor="trafilatura 2.3.1"))  # fmt: skip
        else:
            pages.append(PageObservation(url, 20_000, "2025-04-02T10:00:00Z"))
    return pages


def _extension(event_dir: Path, shared: SharedTally | None) -> HealthExtension:
    stats = MemoryStatsCollector(get_crawler())
    return HealthExtension(open_storage(str(event_dir.parent)), event_dir, CRAWL, stats,
                           shared=shared)  # fmt: skip


def _written(event_dir: Path) -> dict[str, Any]:
    data = json.loads((event_dir / "crawls" / CRAWL / "health.json").read_text())
    return dict(data["sites"])


def test_workers_health_is_what_one_process_writes(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "BATCH_PAGES", 40)  # several batches per worker
    pages = _pages(300)
    alone = _extension(tmp_path / "one" / "ev", None)
    for p in pages:
        alone.observe(p)
    alone.spider_closed(None)

    shared = SharedTally(connect(redis_url), CrawlKeys("ev", CRAWL))
    workers = [_extension(tmp_path / f"w{n}" / "ev", shared) for n in range(3)]
    for n, p in enumerate(pages):
        workers[(n * 7) % 3].observe(p)
    for w in workers:
        w.spider_closed(None)  # the last batches; nobody concludes yet
    assert not any((tmp_path / f"w{n}" / "ev" / "crawls").exists() for n in range(3))
    assert cast(int, connect(redis_url).llen(shared.key)) > 3
    workers[1].conclude_shared()  # the worker that finishes the crawl
    assert _written(tmp_path / "w1" / "ev") == _written(tmp_path / "one" / "ev")
    stats = workers[1].stats.get_stats()
    assert stats["newsarc/health/a.test/pages"] == sum(p.host == "a.test" for p in pages)
    assert stats["newsarc/health/alarms"] == 0


def test_a_redis_outage_keeps_the_observations_for_a_later_batch(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "BATCH_PAGES", 40)
    pages = _pages(200)
    down = SharedTally(connect(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5),
                       CrawlKeys("ev", CRAWL))  # fmt: skip
    worker = _extension(tmp_path / "w" / "ev", down)
    for p in pages[:100]:
        worker.observe(p)  # no error: counted, kept, tried again 40 pages later
    assert worker.stats.get_value("newsarc/health/send_failed") == 2  # at 40 and 80, not 60 times
    assert len(worker.tally) == 100
    worker.shared = up = SharedTally(connect(redis_url), CrawlKeys("ev", CRAWL))  # Redis is back
    for p in pages[100:]:
        worker.observe(p)
    worker.spider_closed(None)
    worker.conclude_shared()
    assert sum(s["pages"] for s in _written(tmp_path / "w" / "ev").values()) == 200
    assert len(up.collect()) == 200
