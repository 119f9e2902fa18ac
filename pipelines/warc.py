"""The crawl's WARC writer as a Scrapy component: one per crawler.

Calls to the writer are carried out in order, off the reactor, so records of one exchange stay
contiguous: by the WARC process (``NEWSARC_WARC_PROCESS``, on by default;
archive/warc/process.py), which takes each call down a pipe and builds, compresses, writes and
indexes the records without touching this process's GIL (the reactor waits only when that
process is a pipe's worth behind), or, with the setting off, by one dedicated thread. It is a
Scrapy extension (``EXTENSIONS``); the download handler, the spider and the upload extension
find it with ``crawler.get_extension(WarcService)``.

A write failure is fatal: :meth:`WarcService.write_exchange` re-raises
:class:`~archive.errors.WarcWriteError` after asking the engine to close the spider with
reason ``warc_write_error``; the CLI turns that into exit code 3.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import socket
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from archive.cdxj.indexing import LiveIndex, index_path_for, index_warc_file
from archive.errors import WarcWriteError
from archive.storage.uploader import PENDING
from archive.warc import records as warc
from archive.warc.process import WriterProcess
from archive.warc.repair import repair_directory
from archive.warc.writer import DEFAULT_MAX_SIZE, ExchangeLocations, WarcWriter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def unlisted_warcs(directory: Path, event_dir: Path) -> list[Path]:
    """Complete WARC files in ``directory`` that no crawl's manifest (or pending manifest) lists:
    those of a crawl that was killed before it could write one."""
    listed: set[str] = set()
    for manifest in [*event_dir.glob("crawls/*/manifest.json"), *event_dir.rglob(PENDING)]:
        try:
            data = json.loads(manifest.read_text())
        except (OSError, ValueError):
            continue
        entries = data.get("objects") or data.get("keys") or []
        for entry in entries:
            key = entry.get("key") if isinstance(entry, dict) else entry
            listed.add(str(key).rsplit("/", 1)[-1])
    here = {p.name for p in directory.glob("*.warc.gz")}
    # uploaded and removed from the spool before the crawl died: its index is still here
    gone = {
        idx.name.removesuffix(".cdxj") + ".warc.gz"
        for idx in (directory.parent / "cdxj").glob("*.cdxj")
    } - here
    return sorted(directory / name for name in here | gone if name not in listed)


def new_writer(
    directory: Path,
    prefix: str,
    *,
    host: str,
    max_size: int,
    info: list[tuple[str, str]],
    cdxj: bool,
) -> WarcWriter:
    """The crawl's writer (in the WARC process: module level, so that it pickles)."""
    index = LiveIndex() if cdxj else None
    return WarcWriter(directory, prefix, host=host, max_size=max_size, info=info, index=index)


class WarcService:
    def __init__(
        self, writer: WarcWriter | WriterProcess, *, stats: Any = None, on_fatal: Any = None
    ) -> None:
        self.writer = writer
        self.stats = stats
        self.on_fatal = on_fatal
        self.failed: WarcWriteError | None = None
        self.closing: asyncio.Future[None] | None = None
        self._closed = False
        # what queued metadata writes did; only the WARC thread writes these
        self._queued_records = 0
        self._queued_errors = 0
        self._queued_failure: WarcWriteError | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsarc-warc")
        self.adopted: list[Path] = []  # an interrupted crawl's WARCs, folded into this crawl

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcService:
        s = crawler.settings
        directory = Path(s.get("NEWSARC_WARC_DIR") or "newsarc-data/warc")
        cdxj = s.getbool("NEWSARC_CDXJ", True)
        for result in repair_directory(directory, on_repaired=index_warc_file if cdxj else None):
            logger.warning(
                "repaired interrupted WARC %s: kept %d records, dropped %d bytes",
                result.source.name,
                result.records,
                result.bytes_dropped,
            )
            crawler.stats.inc_value("newsarc/warc/repaired_files")
        info = [(k, str(v)) for k, v in (s.getdict("NEWSARC_WARCINFO") or {}).items()]
        make = functools.partial(
            new_writer,
            directory,
            s.get("NEWSARC_WARC_PREFIX") or "newsarc",
            host=s.get("NEWSARC_WARC_HOST") or socket.gethostname().split(".")[0] or "newsarc",
            max_size=s.getint("NEWSARC_WARC_MAX_SIZE", DEFAULT_MAX_SIZE),
            info=info,
            cdxj=cdxj,
        )
        writer = WriterProcess(make) if s.getbool("NEWSARC_WARC_PROCESS", True) else make()

        adopted = (
            []  # a distributed crawl: its last worker adopts dead workers' files
            if s.get("NEWSARC_REDIS_URL")
            else unlisted_warcs(directory, Path(s.get("NEWSARC_EVENT_DIR") or directory.parent))
        )
        if adopted:
            # an interrupted crawl's WARCs (repaired above, or rotated before it died): this crawl
            # indexes them, uploads them and lists them in its manifest
            for path in adopted:
                if cdxj and path.exists() and not index_path_for(path).exists():
                    index_warc_file(path)
            writer.closed_files.extend(adopted)
            crawler.stats.set_value("newsarc/warc/adopted_files", len(adopted))
            names = ", ".join(p.name for p in adopted)
            logger.warning("folding %d WARC files of an interrupted crawl into this one: %s",
                           len(adopted), names)  # fmt: skip
        service = cls(writer, stats=crawler.stats)
        service.adopted = adopted

        def fatal(exc: WarcWriteError) -> None:
            crawler.stats.set_value("newsarc/warc/write_error", str(exc))
            engine = crawler.engine
            if engine is not None and engine.running and service.closing is None:
                service.closing = asyncio.ensure_future(
                    engine.close_spider_async(reason="warc_write_error")
                )

        service.on_fatal = fatal
        crawler.signals.connect(service.close, signal=signals.engine_stopped)
        return service

    def _submit(self, method: str, *args: Any) -> Future[Any]:
        """Call the writer's ``method`` behind every call before it: through the WARC process's
        pipe, or on the WARC thread for a writer in this process."""
        if isinstance(self.writer, WriterProcess):
            return self.writer.submit(method, *args)
        if method == "barrier":
            return self._executor.submit(lambda: None)
        return self._executor.submit(getattr(self.writer, method), *args)

    async def _run(self, method: str, *args: Any) -> Any:
        if self.failed is not None:
            raise self.failed
        try:
            return await asyncio.wrap_future(self._submit(method, *args))
        except WarcWriteError as exc:
            self._fail(exc)
            raise

    def _fail(self, exc: WarcWriteError) -> None:
        if self.failed is None:
            logger.error("WARC write failed, stopping the crawl: %s", exc)
        self.failed = exc
        if self.on_fatal is not None:
            self.on_fatal(exc)

    async def write_exchange(self, exchange: warc.HttpExchange) -> ExchangeLocations:
        locations: ExchangeLocations = await self._run("write_exchange", exchange)
        if self.stats is not None:
            self.stats.inc_value("newsarc/warc/responses")
            self.stats.inc_value("newsarc/warc/records", 3 if locations.framing else 2)
        return locations

    def queue_metadata(
        self, target_uri: str, refers_to: str, items: Iterable[tuple[str, str]]
    ) -> None:
        """Queue a metadata record behind the writes before it, without waiting for it.

        For callers that never read the record's location (the spider's discovery
        metadata): it saves the reactor a wake-up and a future per page. A failure is
        handled as in :meth:`write_exchange`, on the reactor; the next call raises it.
        """
        if self.failed is not None:
            raise self.failed
        loop = asyncio.get_running_loop()
        job = self._submit("write_metadata", target_uri, refers_to, list(items))
        job.add_done_callback(lambda done: self._queued(loop, target_uri, done))

    def _queued(self, loop: asyncio.AbstractEventLoop, uri: str, job: Future[Any]) -> None:
        """Runs on the WARC thread (or the WARC process's reply reader); wakes the reactor only
        when the write failed."""
        exc = job.exception()
        if exc is None:
            self._queued_records += 1
        elif isinstance(exc, WarcWriteError):
            self._queued_failure = exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: close() reports it
                loop.call_soon_threadsafe(self._fail, exc)
        else:  # a bug, not the disk: lose this record, not the crawl (as an awaited write would)
            logger.error("metadata record for %s not written", uri, exc_info=exc)
            self._queued_errors += 1

    def barrier(self) -> Future[None]:
        """A future done once every record queued before this call is written (calls are
        carried out first in, first out): what a distributed crawl waits for before it
        acknowledges a request."""
        return self._submit("barrier")

    def close(self) -> None:
        """Close the current file; waits for queued writes first. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if isinstance(self.writer, WriterProcess):
            self.writer.close()  # after every call sent before; then the process ends
        else:
            self._executor.submit(self.writer.close).result()
        self._executor.shutdown(wait=True)
        if self._queued_failure is not None and self.failed is None:
            self._fail(self._queued_failure)  # failed after the reactor's last turn
        if self.stats is not None:
            self.stats.inc_value("newsarc/warc/records", self._queued_records)
            if self._queued_errors:
                self.stats.inc_value("newsarc/warc/metadata_errors", self._queued_errors)
            self.stats.set_value("newsarc/warc/files", len(self.writer.closed_files))
            self.stats.set_value("newsarc/warc/bytes", self.writer.bytes_written)
