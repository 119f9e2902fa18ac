"""The crawl runner's logging: quiet crawls must not build the records they throw away."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from crawler.runner import logger_levels


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
