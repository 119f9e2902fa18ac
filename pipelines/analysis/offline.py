"""Re-run extraction, relevance and dedup over an event's stored WARCs, without crawling.

For a new trafilatura, a better extractor or new relevance terms: the WARC is the source of
truth. Discovery hints (feed/sitemap dates) come back from the pages' metadata records. WARCs
are read from the archive itself, a directory or ``s3://`` (streamed, never downloaded whole).
Results go to a new article set ``articles/<crawl-id>.jsonl`` (crawl id ``reextract-…``); the
old sets stay, and readers take an article's newest form (``Archive.articles``).

- The whole event: a fresh dedup index replaces the old one when the run completes.
- One site (``Selection(site=…, since=…)``), after a template change was fixed: only that site's
  captures (on or after ``since``) are re-run, in the WARC files the event's CDXJ index names,
  and the articles join the event's existing dedup index (copied, replaced when the run
  completes). The run's extraction signals go to ``crawls/<crawl-id>/health.json``.

For an ``s3://`` archive, ``work_dir`` holds the outputs, then they are uploaded and verified.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import shutil
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from archive.articles.record import article_id
from archive.articles.store import ArticleStore
from archive.cdxj.indexing import event_index_key, stored_lines
from archive.health.signals import Tally, host_of
from archive.health.store import CrawlHealth, first_captures, read_history
from archive.storage import open_object, open_storage
from archive.storage.keys import Storage
from archive.warc.http import HttpParseError, parse_response
from archive.warc.reader import Record, iter_records
from archive.warc.records import RecordLocation
from pipelines.analysis.item import ArticleItem, hints_for
from pipelines.analysis.procpool import LoopPool
from pipelines.analysis.signals import observe
from pipelines.analysis.worker import analyse
from pipelines.extract.article import parse_when
from pipelines.relevance.scorer import RelevanceScorer

logger = logging.getLogger(__name__)
DEDUP_INDEX = "dedup/index.sqlite"


@dataclass(frozen=True)
class Selection:
    """Which captures to re-run: a site (the host and its subdomains) and/or a first day."""

    site: str | None = None
    since: str | None = None  # YYYY-MM-DD: captures on or after that day (UTC)

    def wants(self, record: Record) -> bool:
        if self.site is not None and not _on_site(record.target_uri, self.site):
            return False
        return self.since is None or (record.get("WARC-Date") or "")[:10] >= self.since

    def wants_line(self, line: str) -> bool:
        """Whether a CDXJ line may be a capture this selection wants (cheap pre-filter)."""
        key, _, rest = line.partition(" ")
        stamp = rest[:8]
        if self.since is not None and stamp < self.since.replace("-", ""):
            return False
        if self.site is None:
            return True
        host = key.split(")", 1)[0].split(",")
        site = list(reversed(self.site.lower().split(".")))
        return host[: len(site)] == site


def _on_site(url: str, site: str) -> bool:
    host, site = host_of(url), site.lower().removeprefix("www.")
    return host == site or host.endswith("." + site)


@dataclass
class ReextractSummary:
    crawl_id: str
    responses: int = 0
    articles: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    uploaded: int = 0  # objects written to an s3:// archive


def _warc_keys(storage: Storage, slug: str, selection: Selection | None) -> list[str]:
    keys = [
        info.key
        for info in storage.iter(f"{slug}/warc/")
        if info.key.endswith(".warc.gz") and info.key.count("/") == 2
    ]
    if selection is None or storage.stat(event_index_key(slug)) is None:
        return sorted(keys)
    import json

    wanted = set()
    for line in stored_lines(storage, event_index_key(slug)):
        if selection.wants_line(line):
            wanted.add(json.loads(line.split(" ", 2)[2]).get("filename"))
    return sorted(k for k in keys if k.rsplit("/", 1)[-1] in wanted)


def _records(storage: Storage, key: str) -> Iterator[Record]:
    with open_object(storage, key) as fh:
        yield from iter_records(fh)


def _metadata_hints(storage: Storage, keys: list[str]) -> dict[str, tuple[str, str | None]]:
    """response record id → (discovery source, discovered date) from metadata records."""
    hints: dict[str, tuple[str, str | None]] = {}
    for key in keys:
        for record in _records(storage, key):
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


def _html_responses(
    storage: Storage, keys: list[str], selection: Selection | None
) -> Iterator[tuple[str, Record, Any]]:
    for key in keys:
        for record in _records(storage, key):
            if record.type != "response" or record.get("WARC-Truncated"):
                continue
            if selection is not None and not selection.wants(record):
                continue
            try:
                http = parse_response(record.block)
            except HttpParseError:
                continue
            if http.status == 200 and "html" in (http.header("Content-Type") or "").lower():
                yield key.rsplit("/", 1)[-1], record, http


def reextract(
    event_dir: Path,
    scorer: RelevanceScorer,
    slug: str,
    *,
    workers: int = 2,
    crawl_id: str | None = None,
    archive: str | None = None,
    selection: Selection | None = None,
    analyse_page: Callable[..., Any] | None = None,
    line_model: bool = False,
) -> ReextractSummary:
    """Re-run the event's stored pages (``selection``: one site's, since a day) into a new
    article set under ``event_dir``. ``archive`` (default: ``event_dir``'s parent directory)
    is where the WARCs are read and, for ``s3://``, where the outputs are uploaded.
    ``analyse_page`` is the worker function (default ``pipelines.analysis.worker.analyse``;
    ``line_model``: with the learned line model editing each text, ``extract_linemodel``)."""
    from pipelines.dedup.index import DedupIndex

    storage = open_storage(archive or str(event_dir.parent))
    remote = storage.uri.startswith("s3://")
    keys = _warc_keys(storage, slug, selection)
    crawl_id = crawl_id or "reextract-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    summary = ReextractSummary(crawl_id)
    hints = _metadata_hints(storage, keys)
    new_index = event_dir / "dedup.new"
    shutil.rmtree(new_index, ignore_errors=True)
    new_index.mkdir(parents=True)
    if selection is not None:  # one site joins the event's index as it is
        _continue_index(storage, event_dir, slug, new_index / "index.sqlite", remote)
    index = DedupIndex(new_index / "index.sqlite")
    store = ArticleStore(event_dir, crawl_id)
    store.open()
    worker = analyse_page or (partial(analyse, line_model=True) if line_model else analyse)
    run = _Run(scorer, index, store, slug, summary, Tally(), worker)
    try:
        asyncio.run(_analyse_all(storage, keys, hints, selection, workers, run))
    finally:
        store.close()
        index.close()
    old = event_dir / "dedup"
    shutil.rmtree(old, ignore_errors=True)
    new_index.rename(old)
    outputs = [store.articles_path, event_dir / DEDUP_INDEX]
    outputs += [store.text_dir / f"{doc}.txt" for doc in run.texts]
    if len(run.tally):
        history = read_history(storage, slug)
        health = CrawlHealth(crawl_id, "reextract", run.tally.sites(first_captures(history)))
        outputs.append(health.write(event_dir))
    if remote:
        for path in outputs:
            storage.put_file(f"{slug}/{path.relative_to(event_dir).as_posix()}", path)
            summary.uploaded += 1
    return summary


def _continue_index(
    storage: Storage, event_dir: Path, slug: str, target: Path, remote: bool
) -> None:
    local = event_dir / DEDUP_INDEX
    if local.exists() and not remote:
        shutil.copyfile(local, target)
    elif storage.stat(f"{slug}/{DEDUP_INDEX}") is not None:
        target.write_bytes(storage.get_bytes(f"{slug}/{DEDUP_INDEX}"))
    elif local.exists():
        shutil.copyfile(local, target)


@dataclass
class _Run:
    scorer: RelevanceScorer
    index: Any  # pipelines.dedup.index.DedupIndex
    store: ArticleStore
    slug: str
    summary: ReextractSummary
    tally: Tally
    analyse_page: Callable[..., Any]
    texts: list[str] = field(default_factory=list)


async def _analyse_all(
    storage: Storage,
    keys: list[str],
    hints: dict[str, tuple[str, str | None]],
    selection: Selection | None,
    workers: int,
    run: _Run,
) -> None:
    """Send every HTML response to the pool, a few per worker ahead, and file results in order."""
    pool = LoopPool(workers, multiprocessing.get_context("forkserver"))
    pool.start()
    pending: deque[tuple[str, Record, int, asyncio.Future[Any]]] = deque()
    try:
        for name, record, http in _html_responses(storage, keys, selection):
            run.summary.responses += 1
            source, dated = hints.get(record.record_id, ("unknown", None))
            future = pool.submit(
                run.analyse_page,
                record.target_uri,
                http.header_dict(),
                http.body,
                hints_for(source, dated),
                run.scorer,
            )
            pending.append((name, record, len(http.body), future))
            while len(pending) > 4 * workers:
                await _finish(run, *pending.popleft())
        while pending:
            await _finish(run, *pending.popleft())
    finally:
        pool.close()


async def _finish(
    run: _Run, name: str, record: Record, html_bytes: int, future: asyncio.Future[Any]
) -> None:
    try:
        result = await future
    except Exception as exc:  # a bad page or a crashed worker costs that page, not the run
        run.summary.counts["extract_error"] += 1
        logger.warning("extraction failed for %s: %r", record.target_uri, exc)
        return
    scorer, index, store, slug, summary = run.scorer, run.index, run.store, run.slug, run.summary
    run.tally.add(observe(record.target_uri, html_bytes, record.get("WARC-Date"), result))
    if result is None:
        summary.counts["no_article"] += 1
        return
    article, relevance, sig = result
    location = RecordLocation(
        name,
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
    canonical = item.verdict.kind == "unique"
    store.add(
        item.record(store.crawl_id, slug).to_json(),
        canonical_text=article.text if canonical else None,
    )
    if canonical:
        run.texts.append(item.id)
    summary.articles += 1
