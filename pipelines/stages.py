"""Scrapy item pipelines: thin adapters over the pure extract, relevance, dedup and store cores.

Order (``ITEM_PIPELINES`` in crawler/settings.py): extraction (process pool) → relevance →
dedup → store. Every drop is counted under ``newsarc/…``.
"""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured

from archive.articles.store import ArticleStore
from archive.errors import StorageError
from pipelines.analysis.item import ArticleItem
from pipelines.analysis.procpool import LoopPool, WorkerCrashed
from pipelines.dedup.revision import compare
from pipelines.extract.article import parse_when
from pipelines.extraction import event_scorer
from pipelines.relevance.scorer import RelevanceScorer
from pipelines.state import CrawlStateExtension

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class RelevancePipeline:
    """Keeps on-event articles; off-event pages stay in the WARC and are only counted."""

    def __init__(self, scorer: RelevanceScorer, stats: Any) -> None:
        self.scorer = scorer
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RelevancePipeline:
        scorer = event_scorer(crawler.settings)
        if scorer is None:
            raise NotConfigured("relevance needs an event (NEWSARC_EVENT)")
        return cls(scorer, crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        if item.relevance is None:  # scored in the worker when extraction had the scorer
            item.relevance = self.scorer.score(item.article)
        if not item.relevance.on_event:
            self.stats.inc_value(f"newsarc/relevance/off_event/{item.relevance.reason}")
            raise DropItem(f"off-event ({item.relevance.reason}): {item.url}")
        self.stats.inc_value("newsarc/relevance/on_event")
        return item


class DedupPipeline:
    """Assigns ``dup`` and ``story`` from the event's persistent dedup index.

    The index (SQLite, band tables, rewrite alignment) lives in one process of its own, fed
    from the reactor's loop through a one-worker :class:`LoopPool`: articles are classified in
    arrival order, SQLite is used only by the process that opened it, and the index's Python
    work never holds the crawl's GIL (on a dedicated thread it stalled the reactor and the WARC
    writer: benchmarks/README.md). A dedup process that dies is replaced; the replacement
    reopens the index (losing at most its uncommitted batch) and the article is classified
    again.
    """

    def __init__(
        self,
        path: Path,
        stats: Any,
        state: CrawlStateExtension | None = None,
        *,
        shared: tuple[str, str, str] | None = None,
    ) -> None:
        self.path = path
        self.shared = shared  # a distributed crawl: (Redis URL, dedup stream key, worker id)
        self.stats = stats
        self.state = state  # a URL stored before is a revision, never a duplicate
        self.pool: LoopPool | None = None
        self.stories: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        s = crawler.settings
        path = Path(s["NEWSARC_EVENT_DIR"]) / "dedup"
        shared = None
        if s.get("NEWSARC_REDIS_URL"):
            from archive.cluster.connection import CrawlKeys

            stream = CrawlKeys(s["NEWSARC_CLUSTER_EVENT"], s["NEWSARC_CRAWL_ID"]).dedup
            shared = (s["NEWSARC_REDIS_URL"], stream, s["NEWSARC_WORKER_ID"])
        return cls(path, crawler.stats, crawler.get_extension(CrawlStateExtension), shared=shared)

    async def open_spider(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.pool = LoopPool(1, multiprocessing.get_context("forkserver"), prefetch=4, name="dedup")
        self.pool.start()
        await self.pool.run(open_index, str(self.path), self.shared)

    async def close_spider(self) -> None:
        if self.pool is None:
            return
        pool, self.pool = self.pool, None
        try:
            await pool.run(close_index, str(self.path))  # commits the last batch
        finally:
            pool.close()
            if pool.restarts:
                self.stats.set_value("newsarc/dedup/process_restarted", pool.restarts)
            self.stats.set_value("newsarc/dedup/stories", len(self.stories))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        if self._revision(item):
            return item
        if self.pool is None:
            raise DropItem(f"the dedup index is closed: {item.url}")
        article = item.article
        args = (item.id, item.url, article.canonical_url, parse_when(article.date), item.signatures)
        try:
            item.verdict = await self.pool.run(add, str(self.path), self.shared, *args)
        except WorkerCrashed:  # the index is reopened in a new process: classify it there
            self.stats.inc_value("newsarc/dedup/process_crashed")
            item.verdict = await self.pool.run(add, str(self.path), self.shared, *args)
        self.stats.inc_value(f"newsarc/dedup/{item.verdict.kind}")
        self.stories.add(item.verdict.story)
        return item

    def _revision(self, item: ArticleItem) -> bool:
        """True when ``item`` is a new revision of an article stored before (its verdict set);
        DropItem when it is the same revision again."""
        try:
            prior = self.state.prior_article(item.url) if self.state is not None else None
        except StorageError:
            return False
        if prior is None:
            return False
        from pipelines.dedup.index import DedupVerdict

        change = compare(prior.text or "", item.article.text)
        if change is None:
            self.stats.inc_value("newsarc/revisions/same_text")
            raise DropItem(f"same text as revision {prior.revision}: {item.url}")
        item.revision, item.previous_id, item.change = prior.revision + 1, prior.article_id, change
        story = prior.story or prior.article_id or item.id
        item.verdict = DedupVerdict("revision", prior.article_id, change.similarity, story)
        self.stats.inc_value("newsarc/dedup/revision")
        self.stories.add(story)
        return True


def replica_path(dedup_dir: Path, worker: str) -> Path:
    """A worker's replica of the event's dedup index in a distributed crawl."""
    return dedup_dir / f"replica-{worker}.sqlite"


# -- the dedup process ------------------------------------------------------------------------
# These run in the pool's worker process, which holds the index it opened (by path) until
# ``close_index``; a replacement worker (after a crash) opens it again on its first ``add``.

_open_indexes: dict[str, Any] = {}


def open_index(path: str, shared: tuple[str, str, str] | None) -> None:
    from pipelines.dedup.index import DedupIndex

    if path in _open_indexes:
        return
    if shared is None:
        _open_indexes[path] = DedupIndex(Path(path) / "index.sqlite")
        return
    from archive.cluster.connection import connect
    from pipelines.dedup.shared import SharedDedup

    url, stream, worker = shared
    replica = replica_path(Path(path), worker)
    if not replica.exists() and (Path(path) / "index.sqlite").exists():
        shutil.copyfile(Path(path) / "index.sqlite", replica)  # the event's index so far
    _open_indexes[path] = SharedDedup(DedupIndex(replica), connect(url), stream)


def add(path: str, shared: tuple[str, str, str] | None, *args: Any) -> Any:
    open_index(path, shared)
    return _open_indexes[path].add(*args)


def close_index(path: str) -> None:
    index = _open_indexes.pop(path, None)
    if index is not None:
        getattr(index, "index", index).close()  # a shared log: its replica


class StorePipeline:
    """On-event articles to ``articles/<crawl-id>.jsonl``, canonical texts to ``text/``."""

    def __init__(
        self,
        store: ArticleStore,
        event: Any,
        stats: Any,
        state: CrawlStateExtension | None = None,
    ) -> None:
        self.store = store
        self.event = event
        self.stats = stats
        self.state = state  # marks stored articles' URLs as articles (their re-fetch schedule)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        s = crawler.settings
        part = s.get("NEWSARC_WORKER_ID") if s.get("NEWSARC_REDIS_URL") else ""
        store = ArticleStore(s["NEWSARC_EVENT_DIR"], s["NEWSARC_CRAWL_ID"], part or "")
        state = crawler.get_extension(CrawlStateExtension)
        return cls(store, s.get("NEWSARC_EVENT"), crawler.stats, state)

    def open_spider(self) -> None:
        self.store.open()
        if self.event is not None and Path(self.event.path).is_file():
            # the event as crawled, so re-extraction and later readers know what it was
            copy = self.store.root / "crawls" / self.store.crawl_id / "event.toml"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.event.path, copy)

    def close_spider(self) -> None:
        self.store.close()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        record = item.record(self.store.crawl_id, self.event.slug if self.event else "").to_json()
        canonical = item.verdict is None or item.verdict.kind in ("unique", "revision")
        self.store.add(record, canonical_text=item.article.text if canonical else None)
        if self.state is not None:
            a = item.article
            try:
                self.state.mark_article(
                    item.url,
                    item.id,
                    a.text_sha256,
                    a.date,
                    text=a.text,
                    story=item.verdict.story if item.verdict else None,
                    revision=item.revision,
                )
            except StorageError:  # logged by the incremental middleware's failures too
                self.stats.inc_value("newsarc/state/write_errors")
        self.stats.inc_value("newsarc/articles")
        return record
