"""The crawl runner: logging (quiet crawls build no records they throw away), scheduling."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator

import pytest

from crawler.runner import batch_scheduling, logger_levels


@pytest.fixture
def scrapy_logging() -> Iterator[None]:
    """The levels Scrapy's configure_logging leaves: root NOTSET, "scrapy" DEBUG."""
    root, scrapy = logging.getLogger(), logging.getLogger("scrapy")
    before = root.level, scrapy.level
    root.setLevel(logging.NOTSET)
    scrapy.setLevel(logging.DEBUG)
    yield
    root.setLevel(before[0])
    scrapy.setLevel(before[1])


@pytest.mark.usefixtures("scrapy_logging")
def test_quiet_crawl_filters_scrapy_debug_lines_at_the_logger() -> None:
    scraper = logging.getLogger("scrapy.core.scraper")  # "Dropped: ..." lines, one per drop
    assert scraper.isEnabledFor(logging.DEBUG)
    with logger_levels("WARNING"):
        assert not scraper.isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("pipelines.extraction").isEnabledFor(logging.INFO)
        assert scraper.isEnabledFor(logging.WARNING)
    assert scraper.isEnabledFor(logging.DEBUG)  # restored after the crawl
    assert logging.getLogger().level == logging.NOTSET


@pytest.mark.usefixtures("scrapy_logging")
def test_verbose_crawl_keeps_scrapy_debug_lines() -> None:
    with logger_levels("DEBUG"):
        assert logging.getLogger("scrapy.core.engine").isEnabledFor(logging.DEBUG)


needs_batch = pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="Linux scheduling only")


@needs_batch
def test_a_crawl_runs_under_batch_scheduling_and_its_threads_inherit_it() -> None:
    before = os.sched_getscheduler(0)
    seen: list[int] = []
    with batch_scheduling():
        assert os.sched_getscheduler(0) == os.SCHED_BATCH
        thread = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
        thread.start()
        thread.join()
    assert seen == [os.SCHED_BATCH]  # the WARC, dedup threads and the forkserver inherit it
    assert os.sched_getscheduler(0) == before  # the caller's policy is back


@needs_batch
def test_batch_scheduling_can_be_turned_off() -> None:
    before = os.sched_getscheduler(0)
    with batch_scheduling(enabled=False):
        assert os.sched_getscheduler(0) == before
