"""Extraction health as a Scrapy extension: per-site signals of the crawl, drift alarms, stats.

The extraction pipeline hands every page it analysed to :meth:`HealthExtension.observe`. When
the spider closes (before the upload extension lists ``crawls/`` for the manifest), the
extension tallies the pages per site (``archive/health/signals.py``), compares each site with its
own history read from the archive (``archive/health/drift.py``), writes
``crawls/<crawl-id>/health.json`` and sets the stats a Spidermon monitor can read:

- ``newsarc/health/<host>/pages``, ``…/articles`` (ints) and ``…/<signal>`` (rates, floats);
- ``newsarc/health/alarms`` (int) and ``newsarc/health/alarm_list`` (the alarms as dicts).

In a distributed crawl (``NEWSARC_REDIS_URL``) each worker sees part of the pages: it sends its
observations to Redis in batches (``archive/cluster/health.py``; every 500 pages or 10 s) and
on closing, and the last worker, which finishes the crawl (``pipelines/cluster.py``), concludes
on all of them (:meth:`HealthExtension.conclude_shared`): one ``health.json`` for the crawl, as
one process would write it. A worker killed mid-crawl loses its last batch, and the pages it
observed without acknowledging them are observed again by the worker that fetches them again:
its crawl's tallies are then approximate.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.cluster.connection import UNAVAILABLE, CrawlKeys, connect
from archive.cluster.health import SharedTally
from archive.errors import ArchiveFormatError, StorageError
from archive.health.drift import ALPHA, MIN_CHANGE, MIN_CRAWLS, MIN_PAGES, detect
from archive.health.signals import SIGNALS, PageObservation, Tally
from archive.health.store import CrawlHealth, as_history, first_captures, read_history
from archive.storage import open_storage
from archive.storage.keys import Storage

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
BATCH_PAGES = 500  # a worker of a distributed crawl sends its observations this many at a time
BATCH_SECONDS = 10.0  # … or this often, whichever comes first


class HealthExtension:
    def __init__(
        self,
        storage: Storage,
        event_dir: Path,
        crawl_id: str,
        stats: Any,
        *,
        alpha: float = ALPHA,
        min_change: float = MIN_CHANGE,
        min_crawls: int = MIN_CRAWLS,
        min_pages: int = MIN_PAGES,
        shared: SharedTally | None = None,
    ) -> None:
        self.storage = storage
        self.event_dir = event_dir
        self.crawl_id = crawl_id
        self.stats = stats
        self.options = {
            "alpha": alpha,
            "min_change": min_change,
            "min_crawls": min_crawls,
            "min_pages": min_pages,
        }
        self.tally = Tally()  # in a distributed crawl: the batch not sent yet
        self.shared = shared  # the crawl's workers' observations (distributed crawls)
        self.unsent = 0  # pages in the batch (``len(tally)`` walks every host)
        self.send_at = BATCH_PAGES  # batch size at which to send (later after a failure)
        self.sent = time.monotonic()
        self.health: CrawlHealth | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthExtension:
        s = crawler.settings
        if not s.getbool("NEWSARC_HEALTH") or not s.get("NEWSARC_EVENT_DIR"):
            raise NotConfigured
        shared = None
        if s.get("NEWSARC_REDIS_URL"):  # each worker sees part of the pages: they pool them
            keys = CrawlKeys(s["NEWSARC_CLUSTER_EVENT"], s["NEWSARC_CRAWL_ID"])
            shared = SharedTally(connect(s["NEWSARC_REDIS_URL"]), keys)
        storage = open_storage(s.get("NEWSARC_STORAGE") or s["NEWSARC_OUTPUT"])
        ext = cls(
            storage,
            Path(s["NEWSARC_EVENT_DIR"]),
            s["NEWSARC_CRAWL_ID"],
            crawler.stats,
            alpha=s.getfloat("NEWSARC_HEALTH_ALPHA"),
            min_change=s.getfloat("NEWSARC_HEALTH_MIN_CHANGE"),
            min_crawls=s.getint("NEWSARC_HEALTH_MIN_CRAWLS"),
            min_pages=s.getint("NEWSARC_HEALTH_MIN_PAGES"),
            shared=shared,
        )
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def observe(self, page: PageObservation) -> None:
        self.tally.add(page)
        if self.shared is None:
            return
        self.unsent += 1
        due = self.unsent >= self.send_at or time.monotonic() - self.sent >= BATCH_SECONDS
        if due and not self._send():
            self.send_at = self.unsent + BATCH_PAGES  # Redis is down: not on every page

    def _send(self) -> bool:
        """Send the batch to the crawl's workers' list; kept for the next try if Redis is down."""
        assert self.shared is not None
        try:
            self.shared.push(self.tally)
        except UNAVAILABLE as exc:
            logger.warning("cannot send extraction health observations to Redis: %s", exc)
            self.stats.inc_value("newsarc/health/send_failed")
            return False
        finally:
            self.sent = time.monotonic()
        self.tally = Tally()
        self.unsent = 0
        self.send_at = BATCH_PAGES
        return True

    def spider_closed(self, spider: Any) -> None:
        if self.shared is not None:
            self._send()  # the last worker concludes on every worker's pages
            return
        self._conclude(self.tally)

    def conclude_shared(self) -> None:
        """The last worker of a distributed crawl: signals and alarms of every worker's pages."""
        if self.shared is None:
            return
        try:
            tally = self.shared.collect()
        except UNAVAILABLE as exc:
            logger.error("cannot read the workers' extraction health observations: %s", exc)
            self.stats.inc_value("newsarc/health/shared_unavailable")
            return
        tally.merge(self.tally)  # what this worker could not send
        self._conclude(tally)

    def _conclude(self, tally: Tally) -> None:
        if not len(tally):
            return
        slug = self.event_dir.name
        try:
            history = [h for h in read_history(self.storage, slug) if h.crawl_id != self.crawl_id]
        except (StorageError, ArchiveFormatError) as exc:
            logger.warning("cannot read the event's extraction health history: %s", exc)
            self.stats.inc_value("newsarc/health/history_unavailable")
            history = []
        sites = tally.sites(first_captures(history))
        alarms = detect(self.crawl_id, sites, as_history(history), **self.options)  # type: ignore[arg-type]
        self.health = CrawlHealth(self.crawl_id, "crawl", sites, alarms)
        self.health.write(self.event_dir)
        for host, site in sites.items():
            self.stats.set_value(f"newsarc/health/{host}/pages", site.pages)
            self.stats.set_value(f"newsarc/health/{host}/articles", site.articles)
            for signal in SIGNALS:
                rate = site.rate(signal.name)
                if rate is not None:
                    self.stats.set_value(f"newsarc/health/{host}/{signal.name}", round(rate, 4))
        self.stats.set_value("newsarc/health/alarms", len(alarms))
        self.stats.set_value("newsarc/health/alarm_list", [a.to_json() for a in alarms])
        for alarm in alarms:
            logger.warning("extraction drift: %s", alarm.line())
