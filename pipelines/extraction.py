"""Extraction as a Scrapy item pipeline: the process pool, and the item it makes of a Page.

The pool runs ``pipelines.analysis.worker`` (extraction, relevance, dedup signatures; the page's
links for the spider). The spider finds the pipeline with ``crawler.get_item_pipeline`` to read a
page's links from the same parse; such a page is not sent to the pool twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from archive.articles.record import article_id
from pipelines.analysis.item import ArticleItem, hints_for
from pipelines.analysis.procpool import LoopPool, WorkerCrashed
from pipelines.analysis.signals import observe
from pipelines.analysis.worker import PageAnalysis, analyse_page, warm
from pipelines.health import HealthExtension
from pipelines.page import Page
from pipelines.relevance.scorer import RelevanceScorer

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


def event_scorer(settings: BaseSettings) -> RelevanceScorer | None:
    """The relevance scorer of the event being crawled (``NEWSARC_EVENT``; None without one)."""
    event = settings.get("NEWSARC_EVENT")
    if event is None:
        return None
    threshold = settings.getfloat("NEWSARC_RELEVANCE_THRESHOLD", 0.5)
    return RelevanceScorer(event.match, event.window(), threshold)


class ExtractionPipeline:
    """Runs extraction, relevance and dedup signatures in a process pool; Page → ArticleItem.

    With the event's scorer the workers judge relevance and sign on-event articles only
    (pipelines/analysis/worker.py); ``RelevancePipeline`` then drops the off-event ones. The spider
    may have had a page analysed already, to read its links from the same parse
    (``crawler.get_item_pipeline(ExtractionPipeline)``, :meth:`analyse_page`); such a page is not
    sent twice.
    """

    def __init__(
        self,
        workers: int,
        stats: Any,
        scorer: RelevanceScorer | None = None,
        health: HealthExtension | None = None,
        *,
        gate: bool = True,
        line_model: bool = False,
    ) -> None:
        self.workers = workers
        self.stats = stats
        self.scorer = scorer
        self.health = health  # gets every analysed page's extraction signals
        self.gate = gate  # skip extraction of pages lacking a required term (relevance/gate.py)
        self.line_model = line_model  # the learned line model edits the text (extract_linemodel)
        self.pool: LoopPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        settings = crawler.settings
        workers = settings.getint("NEWSARC_EXTRACT_WORKERS") or os.cpu_count() or 1
        return cls(
            workers,
            crawler.stats,
            event_scorer(settings),
            crawler.get_extension(HealthExtension),
            gate=settings.getbool("NEWSARC_RELEVANCE_GATE", True),
            line_model=settings.getbool("NEWSARC_EXTRACT_LINE_MODEL", False),
        )

    def open_spider(self) -> None:
        # the pool is run from the reactor's asyncio loop: no feeder or result threads
        # competing with the reactor for the GIL, and a crashed worker is replaced
        self.pool = LoopPool(self.workers, multiprocessing.get_context("forkserver"))
        self.pool.start()
        # Workers warm up (imports, language model) while the crawl fetches robots.txt, seeds,
        # feeds and sitemaps; each gets one warm-up task, pages sent meanwhile wait their turn.
        for _ in range(self.workers):
            self.pool.submit(warm).add_done_callback(self._warmed)

    def _warmed(self, future: asyncio.Future[bool]) -> None:
        if not future.cancelled() and future.exception() is not None:
            self.stats.inc_value("newsarc/extract/warm_up_failed")
            logger.warning("extraction worker failed to warm up: %r", future.exception())

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.close()
            if self.pool.restarts:
                self.stats.set_value("newsarc/extract/workers_restarted", self.pool.restarts)
            self.pool = None

    @staticmethod
    def extractable(page: Page) -> bool:
        return (
            page.record is not None and page.status == 200 and "html" in page.content_type.lower()
        )

    async def analyse_page(self, page: Page) -> tuple[tuple[str, str, bool], ...] | None:
        """Analyse ``page`` in the pool now and keep the result on it; its links, or None when
        the pool is not running or the worker failed (the error is kept for ``process_item``)."""
        if self.pool is None or not self.extractable(page):
            return None
        page.analysed = True
        try:
            result: PageAnalysis = await self._in_pool(page, links=True)
        except Exception as exc:  # a bug or crash in a worker must not stop the crawl
            page.analysis_error = exc
            return None
        page.analysis, page.gated = result.analysis, result.gated
        return result.links

    async def _in_pool(self, page: Page, *, links: bool) -> PageAnalysis:
        assert self.pool is not None
        hints = hints_for(page.source, page.discovered_date)
        run = functools.partial(
            analyse_page, links=links, gate=self.gate, line_model=self.line_model
        )
        result: PageAnalysis = await self.pool.run(
            run, page.url, _headers(page), page.body, hints, self.scorer
        )
        return result

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, Page):
            return item
        if not self.extractable(item):
            self.stats.inc_value("newsarc/extract/skipped_not_html")
            raise DropItem(f"not an HTML page: {item.url}")
        assert item.record is not None
        if not item.analysed:  # the spider did not have it analysed for its links
            try:
                result = await self._in_pool(item, links=False)
                item.analysis, item.gated = result.analysis, result.gated
            except Exception as exc:  # a bug or crash in a worker must not stop the crawl
                item.analysis_error = exc
        result, error = item.analysis, item.analysis_error
        if self.health is not None and error is None:
            # a gated page counts as one without an article: a template change that hides the
            # article from the page's text (an app shell, a consent wall) still shows as drift
            self.health.observe(observe(item.url, len(item.body), item.fetched_at, result))
        if error is not None:
            self.stats.inc_value("newsarc/extract/error")
            if isinstance(error, WorkerCrashed):
                self.stats.inc_value("newsarc/extract/worker_crashed")
            raise DropItem(
                f"extraction failed for {item.url}: {error!r}", log_level="WARNING"
            ) from error
        if item.gated:  # in the WARC byte-exact as ever; `newsarc reextract` still reads it
            self.stats.inc_value("newsarc/extract/skipped_off_event")
            raise DropItem(f"off-event (a required term is missing), not extracted: {item.url}")
        if result is None:
            self.stats.inc_value("newsarc/extract/no_article")
            raise DropItem(f"no article text: {item.url}")
        self.stats.inc_value("newsarc/extract/articles")
        return ArticleItem(
            id=article_id(item.record.record_id),
            url=item.url,
            fetched_at=item.fetched_at,
            warc=item.record.as_dict(),
            article=result.article,
            signatures=result.signatures,
            relevance=result.relevance,
        )


def _headers(page: Page) -> dict[str, str]:
    return {k.lower(): v[-1] for k, v in page.headers.items() if v}
