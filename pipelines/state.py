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
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.errors import StorageError
from archive.state import CrawlState, UrlState
from archive.state.reconcile import reconcile
from archive.state.schedule import RefetchPolicy, policy_for, reschedule
from archive.state.sqlite import SqliteCrawlState, state_path
from archive.storage import open_object
from pipelines.upload import UploadExtension
from pipelines.warc import WarcService

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def open_state(settings: Any, event_dir: Path) -> CrawlState:
    """The event's SQLite state; in a distributed crawl (``NEWSARC_REDIS_URL``) the crawl's
    state in Redis, filled from the SQLite state by the worker that created the crawl."""
    url = settings.get("NEWSARC_REDIS_URL")
    if not url:
        return SqliteCrawlState(state_path(event_dir))
    from archive.cluster.connection import CrawlKeys, connect
    from archive.state.redis import RedisCrawlState

    keys = CrawlKeys(settings["NEWSARC_CLUSTER_EVENT"], settings["NEWSARC_CRAWL_ID"])
    state = RedisCrawlState(connect(url), keys)
    stored = state_path(event_dir)
    if settings.getbool("NEWSARC_CLUSTER_CREATED") and stored.exists():
        source = SqliteCrawlState(stored)
        try:
            logger.info("crawl state: %d URLs copied into Redis", state.load(iter(source)))
        finally:
            source.close()
    return state


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
        self,
        url: str,
        article_id: str,
        text_sha256: str | None,
        date: str | None,
        *,
        text: str | None = None,
        story: str | None = None,
        revision: int = 1,
    ) -> None:
        """The URL holds an on-event article: re-check it on the article schedule from now on."""
        known = self.state.get(url)
        if known is None:
            return
        known.kind, known.article_id, known.text_sha256 = "article", article_id, text_sha256
        known.text, known.story, known.revision = text, story, revision
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
            open_state(s, Path(event_dir)),
            full=s.getbool("NEWSARC_FULL"),
            policy=policy_for(getattr(s.get("NEWSARC_EVENT"), "recrawl", None)),
            window_end=getattr(s.get("NEWSARC_EVENT"), "end", None),
            clock=lambda: time.time() + skew,
        )
        crawler.stats.set_value("newsarc/state/known_urls", ext.known_at_start)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        if not s.get("NEWSARC_REDIS_URL"):  # a distributed crawl's last worker adopts orphans
            crawler.signals.connect(
                lambda: ext.reconcile(
                    crawler.get_extension(WarcService), crawler.get_extension(UploadExtension)
                ),
                signal=signals.spider_opened,
                weak=False,
            )
        crawler.signals.connect(ext.item_done, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_done, signal=signals.item_dropped)
        return ext

    def prior_article(self, url: str) -> UrlState | None:
        """The URL's state when an article of it is stored already (its latest revision)."""
        known = self.state.get(url)
        if known is None or known.kind != "article" or not known.article_id or known.text is None:
            return None
        return known

    def reconcile(self, warc: WarcService | None, upload: UploadExtension | None = None) -> None:
        """Note what an interrupted crawl archived (the WARCs this crawl adopted) but did not note
        in the state: those URLs are completed, not fetched again. A WARC uploaded and removed
        from the spool before that crawl died is read back from storage."""
        if warc is None:
            return
        for path in warc.adopted:
            opener = None
            if not path.exists() and upload is not None:
                storage, key = upload.uploader.storage, upload.uploader.key_for(path)
                opener = partial(open_object, storage, key)
            noted = reconcile(self.state, path, self.schedule, self.clock(), opener=opener)
            if noted:
                logger.info("crawl state: %d captures of %s noted", noted, path.name)

    def item_done(self, item: Any, **_: Any) -> None:
        """A page's article was stored, or the page dropped on purpose: a crawl resumed after a
        kill need not analyse it again (before this, a replayed page is analysed anew)."""
        url = item.get("url") if isinstance(item, dict) else getattr(item, "url", None)
        if not url:
            return
        try:
            self.state.mark_analysed(url)
        except StorageError:
            logger.debug("crawl state: %s not marked analysed", url)

    def spider_closed(self) -> None:
        self.state.close()
