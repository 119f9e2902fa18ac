"""The event's crawl state as a Scrapy extension: opened before the first request, closed (and
checkpointed, for the upload) when the spider closes.

Components find it with ``crawler.get_extension(CrawlStateExtension)``: the incremental
middleware (``crawler/middlewares/incremental.py``) reads and writes it per URL, the store
pipeline marks which URLs are articles. The state itself is :mod:`archive.state`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.state import CrawlState, UrlState
from archive.state.schedule import RefetchPolicy, reschedule
from archive.state.sqlite import SqliteCrawlState, state_path

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class CrawlStateExtension:
    def __init__(
        self,
        state: CrawlState,
        *,
        full: bool = False,
        policy: RefetchPolicy | None = None,
        window_end: date | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = state
        self.full = full  # --full: every known URL is due now (still fetched conditionally)
        self.policy = policy or RefetchPolicy()
        self.window_end = window_end
        self.clock = clock
        self.known_at_start = len(state)

    def schedule(self, known: UrlState, *, changed: bool, now: float) -> None:
        """Set ``known``'s interval and next due time (``archive/state/schedule.py``)."""
        reschedule(known, changed=changed, now=now, policy=self.policy, window_end=self.window_end)

    def mark_article(
        self, url: str, article_id: str, text_sha256: str | None, date: str | None
    ) -> None:
        """The URL holds an on-event article: re-check it on the article schedule from now on."""
        known = self.state.get(url)
        if known is None:
            return
        known.kind, known.article_id, known.text_sha256 = "article", article_id, text_sha256
        known.published = date or known.published
        known.interval = 0.0
        self.schedule(known, changed=False, now=self.clock())
        self.state.put(known)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlStateExtension:
        s = crawler.settings
        if not s.getbool("NEWSARC_INCREMENTAL", True):
            raise NotConfigured
        event_dir = s.get("NEWSARC_EVENT_DIR")
        if not event_dir:
            raise NotConfigured("no event directory")
        skew = s.getfloat("NEWSARC_CLOCK_SKEW", 0.0)
        ext = cls(
            SqliteCrawlState(state_path(Path(event_dir))),
            full=s.getbool("NEWSARC_FULL"),
            window_end=getattr(s.get("NEWSARC_EVENT"), "end", None),
            clock=lambda: time.time() + skew,
        )
        crawler.stats.set_value("newsarc/state/known_urls", ext.known_at_start)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self) -> None:
        self.state.close()
