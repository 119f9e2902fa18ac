"""Scrapy item pipelines: thin adapters over the pure extract, relevance, dedup and store cores.

Order (``ITEM_PIPELINES`` in crawler/settings.py): extraction (process pool) → relevance →
dedup → store. Every drop is counted under ``newsarc/…``.
"""

from __future__ import annotations

import asyncio
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured

from archive.articles import article_id  # noqa: F401  (re-exported)
from pipelines.article import parse_when
from pipelines.extraction import (  # noqa: F401  (re-exported: the item and helpers live there)
    ArticleItem,
    ExtractionPipeline,
    event_scorer,
    extraction_pool,
    hints_for,
)
from pipelines.relevance import RelevanceScorer
from pipelines.store import ArticleStore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class RelevancePipeline:
    """Keeps on-event articles; off-event pages stay in the WARC and are only counted."""

    def __init__(self, scorer: RelevanceScorer, stats: Any) -> None:
        self.scorer = scorer
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RelevancePipeline:
        scorer = event_scorer(crawler)
        if scorer is None:
            raise NotConfigured("relevance needs the event spider")
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

    The index (SQLite, rewrite alignment) runs on one dedicated thread: never on the reactor,
    in arrival order, and with SQLite used only by the thread that opened it.
    """

    def __init__(self, path: Path, stats: Any) -> None:
        self.path = path
        self.stats = stats
        self.index: Any = None
        self.stories: set[str] = set()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="newsarc-dedup")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(Path(crawler.settings["NEWSARC_EVENT_DIR"]) / "dedup", crawler.stats)

    async def open_spider(self) -> None:
        from pipelines.dedup import DedupIndex

        self.path.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        self.index = await loop.run_in_executor(
            self._thread, DedupIndex, self.path / "index.sqlite"
        )

    def close_spider(self) -> None:
        if self.index is not None:
            self._thread.submit(self.index.close).result()
        self._thread.shutdown(wait=True)
        self.stats.set_value("newsarc/dedup/stories", len(self.stories))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        article = item.article
        loop = asyncio.get_running_loop()
        item.verdict = await loop.run_in_executor(
            self._thread,
            self.index.add,
            item.id,
            item.url,
            article.canonical_url,
            parse_when(article.date),
            item.signatures,
        )
        self.stats.inc_value(f"newsarc/dedup/{item.verdict.kind}")
        self.stories.add(item.verdict.story)
        return item


class StorePipeline:
    """On-event articles to ``articles/<crawl-id>.jsonl``, canonical texts to ``text/``."""

    def __init__(self, store: ArticleStore, event: Any, stats: Any) -> None:
        self.store = store
        self.event = event
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        s = crawler.settings
        store = ArticleStore(s["NEWSARC_EVENT_DIR"], s["NEWSARC_CRAWL_ID"])
        return cls(store, getattr(crawler.spider, "event", None), crawler.stats)

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
        record = article_record(item, self.store.crawl_id, self.event.slug if self.event else "")
        canonical = item.verdict is None or item.verdict.kind == "unique"
        self.store.add(record, canonical_text=item.article.text if canonical else None)
        self.stats.inc_value("newsarc/articles")
        return record


def article_record(item: ArticleItem, crawl_id: str, event: str) -> dict[str, Any]:
    """One line of ``articles/<crawl-id>.jsonl`` (the schema in the README)."""
    a, v = item.article, item.verdict
    return {
        "id": item.id,
        "url": item.url,
        "canonical_url": a.canonical_url,
        "title": a.title,
        "author": "; ".join(a.authors) or None,
        "authors": list(a.authors),
        "date": a.date,
        "date_source": a.date_source,
        "sitename": a.sitename,
        "language": a.language,
        "tags": list(a.tags),
        "text": a.text,
        "word_count": a.word_count,
        "text_sha256": a.text_sha256,
        "truncated": a.truncated,
        "fetched_at": item.fetched_at,
        "crawl_id": crawl_id,
        "event": event,
        "relevance": item.relevance.to_dict() if item.relevance else None,
        "dup": {"kind": v.kind, "of": v.of, "score": round(v.score, 3)} if v else None,
        "story": v.story if v else None,
        "warc": item.warc,
        "extractor": a.extractor,
    }
