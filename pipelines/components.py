"""Scrapy item pipelines: thin adapters over the pure extract, relevance, dedup and store cores.

Order (``ITEM_PIPELINES`` in crawler/settings.py): extraction (process pool) → relevance →
dedup → store. Every drop is counted under ``newsarc/…``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured

from archive.articles import article_id
from pipelines.article import Article, Hints, parse_when
from pipelines.page import Page
from pipelines.relevance import Relevance, RelevanceScorer
from pipelines.store import ArticleStore
from pipelines.worker import analyse, warm

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

HINT_SOURCES = {"feed": "feed", "sitemap": "news-sitemap", "gdelt": "gdelt"}


@dataclass
class ArticleItem:
    """A page on its way through the article pipelines."""

    id: str
    url: str
    fetched_at: str | None
    warc: dict[str, Any]
    article: Article
    signatures: Any
    relevance: Relevance | None = None
    verdict: Any = None


def hints_for(source: str, discovered_date: str | None) -> Hints | None:
    if not discovered_date:
        return None
    kind = HINT_SOURCES.get(source.split(":", 1)[0])
    return Hints(date=discovered_date, date_source=kind) if kind else None


class ExtractionPipeline:
    """Runs extraction + dedup signatures in a process pool; Page → ArticleItem."""

    def __init__(self, workers: int, stats: Any) -> None:
        self.workers = workers
        self.stats = stats
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        workers = crawler.settings.getint("NEWSARC_EXTRACT_WORKERS") or os.cpu_count() or 1
        return cls(workers, crawler.stats)

    async def open_spider(self) -> None:
        context = multiprocessing.get_context("forkserver")
        self.pool = ProcessPoolExecutor(self.workers, mp_context=context)
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self.pool, warm) for _ in range(self.workers)))

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, Page):
            return item
        if item.record is None or item.status != 200 or "html" not in item.content_type.lower():
            self.stats.inc_value("newsarc/extract/skipped_not_html")
            raise DropItem(f"not an HTML page: {item.url}")
        headers = {k.lower(): v[-1] for k, v in item.headers.items() if v}
        assert self.pool is not None
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                self.pool,
                analyse,
                item.url,
                headers,
                item.body,
                hints_for(item.source, item.discovered_date),
            )
        except Exception as exc:  # a bug or crash in a worker must not stop the crawl
            self.stats.inc_value("newsarc/extract/error")
            raise DropItem(
                f"extraction failed for {item.url}: {exc!r}", log_level="WARNING"
            ) from exc
        if result is None:
            self.stats.inc_value("newsarc/extract/no_article")
            raise DropItem(f"no article text: {item.url}")
        article, sig = result
        self.stats.inc_value("newsarc/extract/articles")
        return ArticleItem(
            id=article_id(item.record.record_id),
            url=item.url,
            fetched_at=item.fetched_at,
            warc=item.record.as_dict(),
            article=article,
            signatures=sig,
        )


class RelevancePipeline:
    """Keeps on-event articles; off-event pages stay in the WARC and are only counted."""

    def __init__(self, scorer: RelevanceScorer, stats: Any) -> None:
        self.scorer = scorer
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RelevancePipeline:
        event = getattr(crawler.spider, "event", None)
        if event is None:
            raise NotConfigured("relevance needs the event spider")
        threshold = crawler.settings.getfloat("NEWSARC_RELEVANCE_THRESHOLD", 0.5)
        return cls(RelevanceScorer(event.match, event.window(), threshold), crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
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
