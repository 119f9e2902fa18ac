"""Extraction health as a Scrapy extension: per-site signals of the crawl, drift alarms, stats.

The extraction pipeline hands every page it analysed to :meth:`HealthExtension.observe`. When
the spider closes (before the upload extension lists ``crawls/`` for the manifest), the
extension tallies the pages per site (``archive/health/signals.py``), compares each site with its
own history read from the archive (``archive/health/drift.py``), writes
``crawls/<crawl-id>/health.json`` and sets the stats a Spidermon monitor can read:

- ``newsarc/health/<host>/pages``, ``…/articles`` (ints) and ``…/<signal>`` (rates, floats);
- ``newsarc/health/alarms`` (int) and ``newsarc/health/alarm_list`` (the alarms as dicts).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.errors import ArchiveFormatError, StorageError
from archive.health.drift import ALPHA, MIN_CHANGE, MIN_CRAWLS, MIN_PAGES, detect
from archive.health.signals import SIGNALS, PageObservation, Tally
from archive.health.store import CrawlHealth, as_history, first_captures, read_history
from archive.storage import open_storage
from archive.storage.keys import Storage

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


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
        self.tally = Tally()
        self.health: CrawlHealth | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthExtension:
        s = crawler.settings
        if not s.getbool("NEWSARC_HEALTH") or not s.get("NEWSARC_EVENT_DIR"):
            raise NotConfigured
        if s.get("NEWSARC_REDIS_URL"):
            raise NotConfigured  # a distributed crawl's workers each see part of the pages
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
        )
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def observe(self, page: PageObservation) -> None:
        self.tally.add(page)

    def spider_closed(self, spider: Any) -> None:
        if not len(self.tally):
            return
        slug = self.event_dir.name
        try:
            history = [h for h in read_history(self.storage, slug) if h.crawl_id != self.crawl_id]
        except (StorageError, ArchiveFormatError) as exc:
            logger.warning("cannot read the event's extraction health history: %s", exc)
            self.stats.inc_value("newsarc/health/history_unavailable")
            history = []
        sites = self.tally.sites(first_captures(history))
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
