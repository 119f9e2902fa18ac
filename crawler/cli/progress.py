"""A live progress line on stderr (pages, pages/s, articles, duplicates, errors) and the summary.

A Scrapy extension enabled by the CLI when stderr is a terminal and logs are quiet.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from scrapy import signals
from twisted.internet import task

from crawler.cli.summary import CrawlSummary


class ProgressLine:
    def __init__(self, stats: Any, *, stream: TextIO = sys.stderr, interval: float = 0.5) -> None:
        self.stats = stats
        self.stream = stream
        self.interval = interval
        self.started = time.monotonic()
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressLine:
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self._loop = task.LoopingCall(self.render)
        self._loop.start(self.interval, now=True)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.stream.write("\r\033[K")
        self.stream.flush()

    def render(self) -> None:
        summary = CrawlSummary.from_stats(self.stats.get_stats(), time.monotonic() - self.started)
        self.stream.write("\r\033[K" + summary.progress_line())
        self.stream.flush()
