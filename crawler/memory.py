"""Give freed memory back to the system now and then (glibc's ``malloc_trim``).

A crawl allocates in bursts: a 6 MB sitemap becomes a parse tree of tens of MB in libxml2, a
WARC file's CDXJ is sorted when it closes, a page body is 50 KB. Freed, that memory stays in the
process's heap, where glibc keeps it for later: the peak RSS then holds every burst's high-water
mark, not what the crawl still uses. ``malloc_trim(0)`` returns the free pages inside the heaps
too, so this extension calls it every ``NEWSARC_MALLOC_TRIM_INTERVAL`` seconds (a few
milliseconds each). Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def _malloc_trim() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


class MemoryTrim:
    def __init__(self, interval: float, stats: Any, trim: Any) -> None:
        self.interval = interval
        self.stats = stats
        self.trim = trim
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MemoryTrim:
        interval = crawler.settings.getfloat("NEWSARC_MALLOC_TRIM_INTERVAL")
        trim = _malloc_trim() if interval > 0 else None
        if trim is None:
            raise NotConfigured  # switched off, or not glibc: nothing to say about it
        ext = cls(interval, crawler.stats, trim)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self._loop = task.LoopingCall(self.run)
        self._loop.start(self.interval, now=False)

    def spider_closed(self, spider: Any) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()

    def run(self) -> None:
        released = self.trim(0)
        self.stats.inc_value("newsarc/memory/trims")
        if released:
            self.stats.inc_value("newsarc/memory/trims_released")
