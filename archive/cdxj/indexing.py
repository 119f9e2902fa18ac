"""Where CDXJ indexes live, and how they are written and merged (files and storage, no Scrapy).

Three levels, all sorted and identical in form to ``cdxj-indexer --sort`` output:

- ``<slug>/cdxj/<name>.cdxj`` — one per WARC ``<slug>/warc/<name>.warc.gz``, written by the WARC
  writer when it closes the file (or by :func:`index_warc_file` for WARCs from elsewhere);
- ``<slug>/crawls/<crawl-id>/index.cdxj`` — a merge of one crawl's WARC indexes;
- ``<slug>/index.cdxj`` — every capture of the event: the previous event index merged with each
  new crawl's index. Lookups binary-search this one (:mod:`archive.cdxj.lookup`).

The ``filename`` field of every line is the WARC's basename, resolved against ``<slug>/warc/``.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from archive.cdxj.index import cdxj_bytes, index_warc, merge_sorted, response_line, sort_lines
from archive.errors import NotInArchive
from archive.storage import open_object
from archive.storage.atomicfile import atomic_write
from archive.storage.keys import Storage, object_key
from archive.warc import records as warc

WARC_SUFFIX = ".warc.gz"
CDXJ_SUFFIX = ".cdxj"
EVENT_INDEX = "index.cdxj"


def index_name(warc_name: str) -> str:
    """``x.warc.gz`` → ``x.cdxj``."""
    base = warc_name[: -len(WARC_SUFFIX)] if warc_name.endswith(WARC_SUFFIX) else warc_name
    return base + CDXJ_SUFFIX


def index_path_for(warc_path: Path) -> Path:
    """The index of a local ``<slug>/warc/<name>.warc.gz``: ``<slug>/cdxj/<name>.cdxj``."""
    return warc_path.parent.parent / "cdxj" / index_name(warc_path.name)


def warc_key(slug: str, name: str) -> str:
    return object_key(slug, "warc", name)


def cdxj_key(slug: str, warc_name: str) -> str:
    return object_key(slug, "cdxj", index_name(warc_name))


def event_index_key(slug: str) -> str:
    return object_key(slug, EVENT_INDEX)


def crawl_index_key(slug: str, crawl_id: str) -> str:
    return object_key(slug, "crawls", crawl_id, EVENT_INDEX)


def write_lines(path: Path, lines: Iterable[str]) -> int:
    """Write lines (each ended by one ``\\n``) to ``path`` atomically. Returns the line count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with atomic_write(path, text=True) as out:
        for line in lines:
            out.write(line if line.endswith("\n") else line + "\n")
            count += 1
    return count


def read_lines(path: Path) -> Iterator[str]:
    with path.open("r", encoding="utf-8", newline="") as fh:
        yield from fh


def index_warc_file(warc_path: Path, out: Path | None = None) -> Path:
    """Index a local WARC offline into its sorted per-WARC CDXJ (beside it by default)."""
    target = out or index_path_for(warc_path)
    with warc_path.open("rb") as fh:
        lines = sort_lines(index_warc(fh, warc_path.name))
    write_lines(target, lines)
    return target


def merge_local(indexes: Iterable[Path], out: Path) -> int:
    """Merge sorted index files into one sorted file. Returns the line count."""
    paths = list(indexes)
    files = [path.open("r", encoding="utf-8", newline="") for path in paths]
    try:
        return write_lines(out, merge_sorted(files))
    finally:
        for fh in files:
            fh.close()


def stored_lines(storage: Storage, key: str, *, buffer_size: int = 1 << 20) -> Iterator[str]:
    """Lines of a stored index, streamed (nothing if it does not exist)."""
    if storage.stat(key) is None:
        return
    with open_object(storage, key, buffer_size=buffer_size) as raw:
        yield from io.TextIOWrapper(raw, encoding="utf-8", newline="")


def merge_event_index(storage: Storage, slug: str, crawl_index: Path, out: Path) -> int:
    """The event's stored index merged with one crawl's index, written to ``out``. Merging
    drops identical lines, so merging the same crawl twice changes nothing."""
    with crawl_index.open("r", encoding="utf-8", newline="") as new:
        return write_lines(out, merge_sorted([stored_lines(storage, event_index_key(slug)), new]))


def merge_stored_crawl(storage: Storage, slug: str, crawl_id: str, workdir: Path) -> int:
    """Merge a stored crawl index into the stored event index (``upload --resume``)."""
    crawl = workdir / slug / "crawls" / crawl_id / f"{EVENT_INDEX}.resume"
    if write_lines(crawl, stored_lines(storage, crawl_index_key(slug, crawl_id))) == 0:
        crawl.unlink()
        return 0
    out = workdir / slug / f"{EVENT_INDEX}.resume"
    try:
        count = merge_event_index(storage, slug, crawl, out)
        storage.put_file(event_index_key(slug), out)
    finally:
        for path in (crawl, out):
            with contextlib.suppress(OSError):
                path.unlink()
    return count


def rebuild_event_index(storage: Storage, slug: str, workdir: Path) -> tuple[int, int]:
    """Index every WARC of an event that has no index yet, then rebuild ``<slug>/index.cdxj``
    from all per-WARC indexes. Returns (WARCs indexed now, lines in the event index)."""
    indexed = opened = 0
    have = {info.key for info in storage.iter(f"{slug}/cdxj/")}
    keys: list[str] = []
    for info in storage.iter(f"{slug}/warc/"):
        name = info.key.rsplit("/", 1)[-1]
        if not name.endswith(WARC_SUFFIX):
            opened += name.endswith(WARC_SUFFIX + ".open")
            continue
        key = cdxj_key(slug, name)
        keys.append(key)
        if key in have:
            continue
        with open_object(storage, info.key) as fh:
            lines = sort_lines(index_warc(fh, name))
        storage.put_bytes(key, cdxj_bytes(lines))
        indexed += 1
    if not keys:
        still = f" ({opened} still open)" if opened else ""
        raise NotInArchive(f"no closed WARC files under {storage.uri}/{slug}/warc/{still}")
    target = workdir / slug / EVENT_INDEX
    count = merge_stored(storage, keys, target)
    storage.put_file(event_index_key(slug), target)
    return indexed, count


def merge_stored(storage: Storage, keys: list[str], out: Path, *, fan_in: int = 64) -> int:
    """Merge many stored sorted indexes into ``out``, at most ``fan_in`` open at a time."""
    if len(keys) <= fan_in:
        sources = [stored_lines(storage, k, buffer_size=1 << 18) for k in keys]
        return write_lines(out, merge_sorted(sources))
    parts: list[Path] = []
    try:
        for start in range(0, len(keys), fan_in):
            part = out.with_name(f"{out.name}.part{len(parts)}")
            merge_stored(storage, keys[start : start + fan_in], part, fan_in=fan_in)
            parts.append(part)
        return merge_local(parts, out)
    finally:
        for part in parts:
            with contextlib.suppress(OSError):
                part.unlink()


def cdxj_line(
    exchange: warc.HttpExchange, block: warc.ResponseBlock, where: warc.RecordLocation
) -> str:
    """The CDXJ line of a response record as written (what cdxj-indexer reads back from it).

    warcio parses the start of any response block as an HTTP head (even one that does not begin
    with ``HTTP/``) and digests what follows it when the record has no WARC-Payload-Digest, so
    the whole stored block is passed and the digest only when the record carries one.
    """
    head = warc.split_head(block.block)[0]
    has_digest = bool(head) and block.block.startswith(b"HTTP/")  # exchange_records' own rule
    revisit = block.record_type == "revisit"  # always carries the original's payload digest
    return response_line(
        url=exchange.url,
        warc_date=warc.warc_date(exchange.date),
        http_head=block.block,
        payload_digest=block.payload_digest if has_digest or revisit else None,
        offset=where.offset,
        length=where.length,
        filename=where.filename,
        rec_type=block.record_type,
    )


class LiveIndex:
    """The CDXJ of each WARC file as the writer writes it (a ``warc.writer.RecordIndex``): lines
    gathered per response record, written sorted to ``<slug>/cdxj/<name>.cdxj`` when the file is
    closed, before the file is announced as closed.

    Memory is bounded: lines are kept in one buffer (not a string each, which would pin the
    allocator's memory long after), and every ``chunk_lines`` lines are sorted and spilled to a
    temporary file; closing merges the spilled runs (an external merge sort)."""

    def __init__(self, chunk_lines: int = 20_000) -> None:
        self.chunk_lines = chunk_lines
        self._lines = bytearray()
        self._count = 0
        self._runs: list[Path] = []

    def add(
        self, exchange: warc.HttpExchange, block: warc.ResponseBlock, where: warc.RecordLocation
    ) -> None:
        self._lines += cdxj_line(exchange, block, where).encode("utf-8") + b"\n"
        self._count += 1
        if self._count >= self.chunk_lines:
            fd, name = tempfile.mkstemp(prefix="newsarc-cdxj-", suffix=".run")
            os.close(fd)
            run = Path(name)
            self._runs.append(run)
            write_lines(run, self._sorted())

    def _sorted(self) -> list[str]:
        buffer, self._lines, self._count = self._lines, bytearray(), 0
        return sort_lines(line.decode("utf-8") for line in buffer.split(b"\n") if line)

    def close(self, path: Path) -> None:
        runs, self._runs = self._runs, []
        last = self._sorted()
        try:
            if not runs:
                write_lines(index_path_for(path), last)
                return
            files = [run.open("r", encoding="utf-8", newline="") for run in runs]
            try:
                write_lines(index_path_for(path), merge_sorted([*files, last]))
            finally:
                for fh in files:
                    fh.close()
        finally:
            for run in runs:
                with contextlib.suppress(OSError):
                    run.unlink()
