"""Re-run extraction, relevance and dedup over an event's stored WARCs, without crawling.

For a new trafilatura, a better extractor or new relevance terms: the WARC is the source of
truth. Discovery hints (feed/sitemap dates) come back from the pages' metadata records.
Results go to a new article set ``articles/<crawl-id>.jsonl`` (crawl id ``reextract-…``) and a
fresh dedup index that replaces the old one only when the run completes.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import shutil
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.articles.record import article_id
from archive.articles.store import ArticleStore
from archive.warc.http import HttpParseError, parse_response
from archive.warc.reader import Record, iter_records
from archive.warc.records import RecordLocation
from pipelines.analysis.item import ArticleItem, hints_for
from pipelines.analysis.procpool import LoopPool
from pipelines.analysis.worker import analyse
from pipelines.extract.article import parse_when
from pipelines.relevance.scorer import RelevanceScorer

logger = logging.getLogger(__name__)


@dataclass
class ReextractSummary:
    crawl_id: str
    responses: int = 0
    articles: int = 0
    counts: Counter[str] = field(default_factory=Counter)


def _metadata_hints(files: list[Path]) -> dict[str, tuple[str, str | None]]:
    """response record id → (discovery source, discovered date) from metadata records."""
    hints: dict[str, tuple[str, str | None]] = {}
    for path in files:
        with path.open("rb") as fh:
            for record in iter_records(fh):
                if record.type != "metadata":
                    continue
                fields = dict(
                    line.split(": ", 1)
                    for line in record.block.decode("utf-8", "replace").split("\r\n")
                    if ": " in line
                )
                if "discovery" in fields:
                    target = record.get("WARC-Concurrent-To") or ""
                    hints[target] = (fields["discovery"], fields.get("discovered-date"))
    return hints


def _html_responses(files: list[Path]) -> Iterator[tuple[Path, Record, Any]]:
    for path in files:
        with path.open("rb") as fh:
            for record in iter_records(fh):
                if record.type != "response" or record.get("WARC-Truncated"):
                    continue
                try:
                    http = parse_response(record.block)
                except HttpParseError:
                    continue
                if http.status == 200 and "html" in (http.header("Content-Type") or "").lower():
                    yield path, record, http


def reextract(
    event_dir: Path,
    scorer: RelevanceScorer,
    slug: str,
    *,
    workers: int = 2,
    crawl_id: str | None = None,
) -> ReextractSummary:
    from pipelines.dedup.index import DedupIndex

    files = sorted((event_dir / "warc").glob("*.warc.gz"))
    crawl_id = crawl_id or "reextract-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    summary = ReextractSummary(crawl_id)
    hints = _metadata_hints(files)
    new_index = event_dir / "dedup.new"
    shutil.rmtree(new_index, ignore_errors=True)
    new_index.mkdir(parents=True)
    index = DedupIndex(new_index / "index.sqlite")
    store = ArticleStore(event_dir, crawl_id)
    store.open()
    run = _Run(scorer, index, store, slug, summary)
    try:
        asyncio.run(_analyse_all(files, hints, workers, run))
    finally:
        store.close()
        index.close()
    old = event_dir / "dedup"
    shutil.rmtree(old, ignore_errors=True)
    new_index.rename(old)
    return summary


@dataclass
class _Run:
    scorer: RelevanceScorer
    index: Any  # pipelines.dedup.index.DedupIndex
    store: ArticleStore
    slug: str
    summary: ReextractSummary


async def _analyse_all(
    files: list[Path], hints: dict[str, tuple[str, str | None]], workers: int, run: _Run
) -> None:
    """Send every HTML response to the pool, a few per worker ahead, and file results in order."""
    pool = LoopPool(workers, multiprocessing.get_context("forkserver"))
    pool.start()
    pending: deque[tuple[Path, Record, asyncio.Future[Any]]] = deque()
    try:
        for path, record, http in _html_responses(files):
            run.summary.responses += 1
            source, dated = hints.get(record.record_id, ("unknown", None))
            future = pool.submit(
                analyse,
                record.target_uri,
                http.header_dict(),
                http.body,
                hints_for(source, dated),
                run.scorer,
            )
            pending.append((path, record, future))
            while len(pending) > 4 * workers:
                await _finish(run, *pending.popleft())
        while pending:
            await _finish(run, *pending.popleft())
    finally:
        pool.close()


async def _finish(run: _Run, path: Path, record: Record, future: asyncio.Future[Any]) -> None:
    try:
        result = await future
    except Exception as exc:  # a bad page or a crashed worker costs that page, not the run
        run.summary.counts["extract_error"] += 1
        logger.warning("extraction failed for %s: %r", record.target_uri, exc)
        return
    scorer, index, store, slug, summary = run.scorer, run.index, run.store, run.slug, run.summary
    if result is None:
        summary.counts["no_article"] += 1
        return
    article, relevance, sig = result
    location = RecordLocation(
        path.name,
        record.offset,
        record.length,
        record.record_id,
        record.get("WARC-Payload-Digest"),
    )
    item = ArticleItem(
        id=article_id(record.record_id),
        url=record.target_uri,
        fetched_at=record.get("WARC-Date"),
        warc=location.as_dict(),
        article=article,
        signatures=sig,
    )
    item.relevance = relevance or scorer.score(article)
    if not item.relevance.on_event:
        summary.counts[f"off_event/{item.relevance.reason}"] += 1
        return
    item.verdict = index.add(
        item.id, item.url, article.canonical_url, parse_when(article.date), sig
    )
    summary.counts[f"dup/{item.verdict.kind}"] += 1
    store.add(
        item.record(store.crawl_id, slug).to_json(),
        canonical_text=article.text if item.verdict.kind == "unique" else None,
    )
    summary.articles += 1
