"""Run one event crawl in this process and return its stats (used by the CLI and the tests)."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import DownloadCancelledError
from scrapy.settings import Settings
from scrapy.utils.ossignal import install_shutdown_handlers, signal_names
from twisted.python.failure import Failure

from crawler.event.spec import EventSpec
from crawler.signals import force_stop
from crawler.spiders.event import EventSpider
from pipelines.upload import FORCED, FORCED_REASON

logger = logging.getLogger("newsarc")
QUIET_LOG_FORMAT = "%(asctime)s %(levelname)s: %(message)s"
LOG_LEVELS = {0: "WARNING", 1: "INFO", 2: "DEBUG"}


@dataclass(frozen=True)
class CrawlOptions:
    output: str = "newsarc-data"  # local working directory (the archive itself unless storage)
    storage: str | None = None  # s3://bucket/prefix when the archive lives in object storage
    keep_local: bool = False
    connect_to: dict[str, str] | None = None
    allow_private_addresses: bool = False
    verbose: int = 0
    progress: str = ""  # "line" (a terminal), "log" (a line every NEWSARC_LOG_INTERVAL) or ""
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
    if not options.verbose:  # quiet: warnings for people, without Scrapy's logger names
        values["LOG_FORMAT"] = QUIET_LOG_FORMAT
    if options.operator:
        values["NEWSARC_OPERATOR"] = options.operator
    values.update(options.extra or {})
    if options.progress:
        values["NEWSARC_PROGRESS"] = options.progress
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


class CrawlProcess(CrawlerProcess):
    """Scrapy's process with newsarc's Ctrl-C (and SIGTERM).

    The first stops scheduling and lets the downloads in flight finish (Scrapy's graceful
    stop), and says so on stderr even in quiet mode. The second stops now, yet through the
    ordinary close: the downloads in flight are cancelled (:data:`crawler.signals.force_stop`),
    so the WARC files are sealed, articles, state and manifest written, and the crawl ends
    with ``shutdown (forced)``. Only a third is Scrapy's unclean stop of the reactor.
    """

    def _signal_shutdown(self, signum: int, _: Any) -> None:
        from twisted.internet import reactor

        install_shutdown_handlers(self._signal_force)
        reactor.callFromThread(self._announce_stop, signum)
        reactor.callFromThread(self._graceful_stop_reactor)

    def _signal_force(self, signum: int, _: Any) -> None:
        from twisted.internet import reactor

        install_shutdown_handlers(self._signal_kill)  # a third: Scrapy's unclean stop
        reactor.callFromThread(self._force_stop, signum)

    def _announce_stop(self, signum: int) -> None:
        active = sum(len(c.engine.downloader.active) for c in self.crawlers if c.engine is not None)
        again = "Ctrl-C" if signum == signal.SIGINT else signal_names[signum]
        logger.warning(
            "stopping: finishing %d download%s, %s again to stop now",
            active,
            "" if active == 1 else "s",
            again,
        )

    def _force_stop(self, signum: int) -> None:
        logger.warning("stopping now: downloads in flight cancelled, sealing the WARC files")
        for crawler in self.crawlers:
            crawler.stats.set_value(FORCED, 1)
            crawler.signals.send_catch_log(signal=force_stop)
            if crawler.engine is not None:
                _cancel_queued(crawler.engine.downloader)


def _cancel_queued(downloader: Any) -> None:
    """Fail the requests waiting in the downloader's per-host queues (for a Crawl-delay or a
    free slot) at once, rather than one per delay; the ones already sent were cancelled."""
    for slot in list(getattr(downloader, "slots", {}).values()):
        queue = getattr(slot, "queue", None)
        while queue:
            request, waiting = queue.popleft()
            waiting.errback(
                Failure(DownloadCancelledError(f"{request.url}: the crawl was stopped"))
            )


def run_crawl(event: EventSpec, options: CrawlOptions) -> dict[str, Any]:
    """Crawl ``event`` to completion (blocking). Returns the crawl's Scrapy stats."""
    settings = crawl_settings(options)
    with batch_scheduling(settings.getbool("NEWSARC_BATCH_SCHEDULING", True)):
        process = CrawlProcess(settings)
        crawler = process.create_crawler(EventSpider)
        process.crawl(crawler, event=event)
        with logger_levels(settings.get("LOG_LEVEL")):
            process.start()
    sys.stderr.flush()
    stats = dict(crawler.stats.get_stats() or {})
    if stats.get(FORCED):
        stats["finish_reason"] = FORCED_REASON
    return stats
