"""Run one event crawl in this process and return its stats (used by the CLI and the tests)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.event.spec import EventSpec
from crawler.spiders.event import EventSpider

LOG_LEVELS = {0: "WARNING", 1: "INFO", 2: "DEBUG"}


@dataclass(frozen=True)
class CrawlOptions:
    output: str = "newsarc-data"  # local working directory (the archive itself unless storage)
    storage: str | None = None  # s3://bucket/prefix when the archive lives in object storage
    keep_local: bool = False
    connect_to: dict[str, str] | None = None
    allow_private_addresses: bool = False
    verbose: int = 0
    progress: bool = False
    operator: str = ""
    extra: dict[str, Any] | None = None


def crawl_settings(options: CrawlOptions) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    values: dict[str, Any] = {
        "NEWSARC_OUTPUT": options.output,
        "NEWSARC_STORAGE": options.storage,
        "NEWSARC_KEEP_LOCAL": options.keep_local,
        "NEWSARC_CONNECT_TO": dict(options.connect_to or {}),
        "NEWSARC_ALLOW_PRIVATE_ADDRESSES": options.allow_private_addresses,
        "LOG_LEVEL": LOG_LEVELS.get(options.verbose, "DEBUG"),
    }
    if options.operator:
        values["NEWSARC_OPERATOR"] = options.operator
    values.update(options.extra or {})
    if options.progress:
        values["EXTENSIONS"] = {
            **settings.getdict("EXTENSIONS"),
            **values.get("EXTENSIONS", {}),
            "crawler.cli.progress.ProgressLine": 0,
        }
    for name, value in values.items():
        settings.set(name, value, priority="cmdline")
    return settings


@contextmanager
def logger_levels(level: str) -> Iterator[None]:
    """Filter at the loggers, for one crawl. Scrapy leaves the root logger at NOTSET and its own
    "scrapy" logger at DEBUG and filters in its handler, so every "Crawled" and "Dropped" DEBUG
    line would be built and thrown away (two records per page)."""
    loggers = [logging.getLogger(), logging.getLogger("scrapy")]
    before = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(level)
    try:
        yield
    finally:
        for logger, old in zip(loggers, before, strict=True):
            logger.setLevel(old)


@contextmanager
def batch_scheduling(enabled: bool = True) -> Iterator[None]:
    """Run the crawl under Linux's SCHED_BATCH policy (``chrt --batch``), then restore the
    caller's. A crawl is batch work: its reactor wakes hundreds of times a second (a socket, a
    pipe, a thread handing back a record), and under the default policy each wakeup preempts an
    extraction worker mid-page, whose caches then refill. Batch threads wake without
    preempting; they run when a time slice ends, at the same share of the CPU. Threads and
    processes started inside (the WARC and dedup threads, the forkserver and its extraction
    workers) inherit the policy. Unprivileged, no priority change; a no-op where unsupported."""
    policy = getattr(os, "SCHED_BATCH", None)
    if not enabled or policy is None:
        yield
        return
    try:
        before = os.sched_getscheduler(0)
        before_param = os.sched_getparam(0)
        os.sched_setscheduler(0, policy, os.sched_param(0))
    except OSError:  # not permitted here (e.g. a real-time caller): crawl as we are
        yield
        return
    try:
        yield
    finally:
        with suppress(OSError):
            os.sched_setscheduler(0, before, before_param)


def run_crawl(event: EventSpec, options: CrawlOptions) -> dict[str, Any]:
    """Crawl ``event`` to completion (blocking). Returns the crawl's Scrapy stats."""
    settings = crawl_settings(options)
    with batch_scheduling(settings.getbool("NEWSARC_BATCH_SCHEDULING", True)):
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(EventSpider)
        process.crawl(crawler, event=event)
        with logger_levels(settings.get("LOG_LEVEL")):
            process.start()
    sys.stderr.flush()
    return dict(crawler.stats.get_stats() or {})
