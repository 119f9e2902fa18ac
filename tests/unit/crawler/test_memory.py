"""crawler/memory.py: freed memory goes back to the system (glibc's malloc_trim), on a timer."""

from __future__ import annotations

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.memory import MemoryTrim, _malloc_trim


def rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_switched_off_with_an_interval_of_zero() -> None:
    crawler = get_crawler(settings_dict={"NEWSARC_MALLOC_TRIM_INTERVAL": 0})
    with pytest.raises(NotConfigured):
        MemoryTrim.from_crawler(crawler)


def test_a_trim_gives_freed_heap_memory_back_and_is_counted() -> None:
    trim = _malloc_trim()
    assert trim is not None  # this machine's libc is glibc
    crawler = get_crawler(settings_dict={"NEWSARC_MALLOC_TRIM_INTERVAL": 10})
    ext = MemoryTrim.from_crawler(crawler)
    assert crawler.stats is not None
    # 100k objects of 2 KB from the heap (below the mmap threshold), one in ten kept so the
    # heap cannot shrink from its top: only a trim inside the heap returns the rest
    blocks = [bytes(2000) for _ in range(100_000)]
    kept = blocks[::10]
    del blocks
    before = rss_kib()
    ext.run()
    after = rss_kib()
    assert crawler.stats.get_value("newsarc/memory/trims") == 1
    assert before - after > 50_000  # about 180 MB were freed; most of it left the process
    del kept
