"""Progress while a crawl runs, for people and for logs.

On a terminal (``mode="line"``): one live line on stderr, redrawn twice a second, with the totals
known so far (pages fetched, queued, pages/s, articles, duplicates, errors, refused, time);
log records clear it before they print. Elsewhere (``mode="log"``: cron, systemd, ``nohup``,
a pipe): one plain timestamped line with the same numbers every ``NEWSARC_LOG_INTERVAL`` seconds
(30 by default), so a scheduled run leaves a readable log.

A Scrapy extension the CLI enables in quiet mode (``-v`` has Scrapy's own logs instead).
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import datetime
from typing import Any, TextIO

from scrapy import signals
from twisted.internet import task

from crawler.cli.summary import CrawlSummary

MODES = ("line", "log")


class _ClearLine(logging.Filter):
    """Clears the live line before a log record is written under it (it is redrawn)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def filter(self, record: logging.LogRecord) -> bool:
        self.stream.write("\r\033[K")
        return True


class ProgressLine:
    def __init__(
        self,
        stats: Any,
        *,
        stream: TextIO = sys.stderr,
        mode: str = "line",
        interval: float | None = None,
        clock: Any = time.monotonic,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"progress mode must be one of {MODES}, not {mode!r}")
        self.stats = stats
        self.stream = stream
        self.mode = mode
        self.interval = interval if interval is not None else (0.5 if mode == "line" else 30.0)
        self.clock = clock
        self.started = clock()
        self._loop: task.LoopingCall | None = None
        self._clear = _ClearLine(stream)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressLine:
        mode = crawler.settings.get("NEWSARC_PROGRESS") or "line"
        interval = None if mode == "line" else crawler.settings.getfloat("NEWSARC_LOG_INTERVAL")
        ext = cls(crawler.stats, mode=mode, interval=interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.started = self.clock()
        if self.mode == "line":
            for handler in logging.getLogger().handlers:
                handler.addFilter(self._clear)
        if self.interval > 0:
            self._loop = task.LoopingCall(self.render)
            self._loop.start(self.interval, now=self.mode == "line")

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.mode == "line":
            for handler in logging.getLogger().handlers:
                handler.removeFilter(self._clear)
            self.stream.write("\r\033[K")
            self.stream.flush()

    def render(self) -> None:
        summary = CrawlSummary.from_stats(self.stats.get_stats(), self.clock() - self.started)
        if self.mode == "line":
            self.stream.write("\r\033[K" + summary.progress_line())
        else:
            stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            self.stream.write(f"{stamp} progress: {summary.progress_line()}\n")
        self.stream.flush()
