"""The crawl's uploads as a Scrapy extension: WARCs on rotation, texts as written, the article
set and the dedup index at the end, then the manifest — last.

While the store is down the crawl goes on and files wait in the spool; when the spool holds more
than ``NEWSARC_SPOOL_LIMIT`` bytes the engine is paused (no fetching, nothing dropped) until
uploads catch up. A crawl that ends with uploads pending leaves a pending manifest and sets
``newsarc/upload/pending``; the CLI then exits 5 and says to run ``newsarc upload --resume``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from twisted.internet import task

from archive.cdxj.indexing import EVENT_INDEX, index_path_for, merge_event_index, merge_local
from archive.errors import StorageError
from archive.state.sqlite import STATE_DIR, STATE_FILE
from archive.storage import open_storage
from archive.storage.uploader import Uploader
from archive.version import VERSION
from pipelines.health import HealthExtension
from pipelines.warc import WarcService

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
FORCED = "newsarc/shutdown/forced"  # stat: the crawl was stopped by a second Ctrl-C
FORCED_REASON = "shutdown (forced)"


def finish_reason(stats: dict[str, Any]) -> str:
    """The crawl's finish reason, ``shutdown (forced)`` after a second Ctrl-C."""
    return FORCED_REASON if stats.get(FORCED) else str(stats.get("finish_reason") or "")


# per-event files every crawl continues: kept in the spool, uploaded at the end of each crawl
KEPT_FILES = ("dedup/index.sqlite", f"{STATE_DIR}/{STATE_FILE}")


class UploadExtension:
    def __init__(
        self,
        crawler: Crawler,
        uploader: Uploader,
        *,
        slug: str,
        crawl_id: str,
        spool_limit: int,
        drain_timeout: float,
    ) -> None:
        self.crawler = crawler
        self.uploader = uploader
        self.slug = slug
        self.crawl_id = crawl_id
        self.spool_limit = spool_limit
        self.drain_timeout = drain_timeout
        self.paused = False
        self._loop: task.LoopingCall | None = None
        self._keys: set[str] = set()
        self.index_pending = False  # the event's index could not be updated

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UploadExtension:
        s = crawler.settings
        spool = Path(s["NEWSARC_OUTPUT"])
        storage = open_storage(s.get("NEWSARC_STORAGE") or str(spool))
        uploader = Uploader(
            storage,
            spool,
            keep_local=s.getbool("NEWSARC_KEEP_LOCAL"),
            threads=s.getint("NEWSARC_UPLOAD_THREADS", 2),
            backoff=s.getfloat("NEWSARC_UPLOAD_BACKOFF", 1.0),
            max_backoff=s.getfloat("NEWSARC_UPLOAD_MAX_BACKOFF", 60.0),
        )
        event_dir = Path(s["NEWSARC_EVENT_DIR"])
        ext = cls(
            crawler,
            uploader,
            slug=event_dir.name,
            crawl_id=s["NEWSARC_CRAWL_ID"],
            spool_limit=s.getint("NEWSARC_SPOOL_LIMIT"),
            drain_timeout=s.getfloat("NEWSARC_UPLOAD_DRAIN_TIMEOUT"),
        )
        for kept in KEPT_FILES:
            ext.fetch_kept(event_dir / kept)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def submit(self, path: Path, *, keep: bool = False) -> None:
        self._keys.add(self.uploader.submit(path, keep=keep))

    def fetch_kept(self, local: Path) -> None:
        """On a fresh machine, continue the event's dedup index or crawl state from storage."""
        if local.exists() or self.uploader.keep_local:
            return
        key = self.uploader.key_for(local)
        try:
            if not self.uploader.storage.exists(key):
                return
            data = self.uploader.storage.get_bytes(key)
        except StorageError as exc:
            # an outage must not stop the crawl: it starts afresh and says so
            logger.warning("cannot fetch the event's %s (%s); starting a new one", local.name, exc)
            self.crawler.stats.inc_value(f"newsarc/upload/{local.parent.name}_unavailable")
            return
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(local)
        self.crawler.stats.inc_value(f"newsarc/upload/{local.parent.name}_fetched")

    def add_health(self, info: dict[str, Any]) -> None:
        """The crawl's drift alarms, for its manifest (when extraction health concluded)."""
        health = self.crawler.get_extension(HealthExtension)
        if health is not None and health.health is not None:
            info["health"] = {"alarms": [a.to_json() for a in health.health.alarms]}

    def _warc(self) -> WarcService:
        service = self.crawler.get_extension(WarcService)
        if service is None:
            raise RuntimeError("uploads need pipelines.warc.WarcService in EXTENSIONS")
        return service

    def spider_opened(self, spider: Any) -> None:
        writer = self._warc().writer
        writer.on_close = self.submit  # every closed WARC goes to storage
        for path in writer.closed_files:  # an interrupted crawl's WARCs, adopted by this one
            if path.exists():
                self.submit(path)
            else:  # uploaded before that crawl died: listed in this crawl's manifest all the same
                self._keys.add(self.uploader.key_for(path))
        self._loop = task.LoopingCall(self.check_spool)
        self._loop.start(1.0, now=False)

    def check_spool(self) -> None:
        spooled = self.uploader.spooled_bytes
        stats = self.crawler.stats
        engine = self.crawler.engine
        if engine is None:
            return
        if not self.paused and spooled > self.spool_limit:
            limit = self.spool_limit
            logger.warning("spool holds %d bytes (limit %d): pausing fetches", spooled, limit)
            engine.pause()
            self.paused = True
            stats.inc_value("newsarc/upload/pauses")
        elif self.paused and spooled <= self.spool_limit * 0.8:
            logger.warning("uploads caught up: resuming fetches")
            engine.unpause()
            self.paused = False

    def build_indexes(self, event_dir: Path) -> None:
        """Merge this crawl's WARC indexes into the crawl index, then into the event's index."""
        writer = self._warc().writer
        indexes = [index_path_for(p) for p in writer.closed_files]
        indexes = [p for p in indexes if p.exists()]
        if not indexes:
            return
        stats = self.crawler.stats
        crawl_index = event_dir / "crawls" / self.crawl_id / EVENT_INDEX
        stats.set_value("newsarc/index/lines", merge_local(indexes, crawl_index))
        for path in indexes:
            self.submit(path)
        try:
            storage = self.uploader.storage
            merge_event_index(storage, self.slug, crawl_index, event_dir / EVENT_INDEX)
        except (StorageError, OSError) as exc:
            # the crawl's own index is uploaded; the crawl ends pending (exit 5) so that
            # `newsarc upload --resume` merges it into the event's index
            logger.error("cannot update the event's index: %s", exc)
            stats.inc_value("newsarc/index/event_index_failed")
            self.index_pending = True
            return
        # shared by every crawl of the event and replaced by the next one: in no manifest
        self.uploader.submit(event_dir / EVENT_INDEX)

    def engine_stopped(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._warc().close()  # idempotent: the last WARC is closed and submitted
        event_dir = self.uploader.spool / self.slug
        self.build_indexes(event_dir)
        for sub in ("articles", "text", "crawls"):
            self._keys.update(self.uploader.submit_tree(event_dir / sub))
        for kept in KEPT_FILES:
            if (event_dir / kept).exists():
                self.submit(event_dir / kept, keep=True)  # the next crawl of the event continues it
        done = self.uploader.drain(self.drain_timeout) and not self.index_pending
        stats = self.crawler.stats
        stats.set_value("newsarc/upload/objects", self.uploader.stats.uploaded)
        stats.set_value("newsarc/upload/bytes", self.uploader.stats.bytes)
        stats.set_value("newsarc/upload/retries", self.uploader.stats.retries)
        stats.set_value("newsarc/upload/spool_max_bytes", self.uploader.stats.max_spooled)
        info = {
            "newsarc": VERSION,
            "storage": self.uploader.storage.uri,
            "finish_reason": finish_reason(stats.get_stats()),
            "stats": {k: v for k, v in (stats.get_stats() or {}).items() if isinstance(v, int)},
        }
        self.add_health(info)
        if done:
            written = self.uploader.write_manifest(self.slug, self.crawl_id, info, self._keys)
        else:
            self.uploader.write_pending(self.slug, self.crawl_id, info, self._keys)
            written = False
        self.uploader.close()
        if not written:
            pending = self.uploader.pending or self.uploader.stats.failed or 1
            stats.set_value("newsarc/upload/pending", pending)
            logger.error("%d objects are not in storage yet; run: newsarc upload --resume", pending)
        else:
            stats.set_value("newsarc/upload/manifest", 1)
