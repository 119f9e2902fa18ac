"""Repair ``.warc.gz.open`` files left by a killed crawl: keep every complete record.

The file is scanned gzip member by gzip member; each member must decompress completely and
hold exactly one well-formed WARC record (``WARC/1.x`` header, Content-Length matching the
block, trailing CRLFCRLF). The file is cut after the last good member, fsynced and renamed to
its final ``.warc.gz`` name. A file with no complete record is removed.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.errors import WarcRepairError
from archive.warc.reader import RecordFormatError, iter_members, parse_record
from archive.warc.writer import OPEN_SUFFIX

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepairResult:
    source: Path
    repaired: Path | None  # None when nothing valid remained and the file was removed
    records: int
    bytes_kept: int
    bytes_dropped: int


def scan_members(path: Path) -> tuple[int, int]:
    """Return (number of good records, byte offset just after the last good member)."""
    records = good_end = 0
    with path.open("rb") as fh:
        try:
            for offset, length, data in iter_members(fh):
                parse_record(data, offset, length)
                records, good_end = records + 1, offset + length
        except (zlib.error, RecordFormatError):
            pass
    return records, good_end


def repair_file(path: str | os.PathLike[str]) -> RepairResult:
    src = Path(path)
    if not src.name.endswith(OPEN_SUFFIX):
        raise WarcRepairError(
            f"{src}: not an interrupted WARC file (expected a {OPEN_SUFFIX} name)"
        )
    final = src.with_name(src.name[: -len(OPEN_SUFFIX)])
    if final.exists():
        raise WarcRepairError(f"{src}: {final.name} already exists; not overwriting it")
    try:
        size = src.stat().st_size
        records, good_end = scan_members(src)
        if records == 0:
            src.unlink()
            return RepairResult(src, None, 0, 0, size)
        with src.open("r+b") as fh:
            fh.truncate(good_end)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(src, final)
    except OSError as exc:
        raise WarcRepairError(f"{src}: {exc}") from exc
    return RepairResult(src, final, records, good_end, size - good_end)


WORKERS_DIR = "workers"  # <event>/workers/<worker>.lock: held while a cluster worker lives


def live_writer(path: Path) -> str | None:
    """Who is writing the ``.open`` file ``path`` (``<event>/warc/<name>.open``), if a live crawl
    holds that event's lock; None when its writer is provably dead (or there is no lock)."""
    from archive.storage.lock import LocalLock

    for event_dir in (path.parent.parent, path.parent):
        holder = LocalLock(event_dir).held_by_other()
        if holder is not None:
            return holder.describe()
        worker = worker_writing(path, event_dir)
        if worker is not None:
            return worker
    return None


def worker_writing(path: Path, event_dir: Path) -> str | None:
    """The live worker of a distributed crawl that names ``path`` (``…-<worker>.warc.gz``):
    each holds ``<event>/workers/<worker>.lock`` (flock) while it lives."""
    name = path.name.split(".warc.gz")[0]
    workers = event_dir / WORKERS_DIR
    if not workers.is_dir():
        return None
    for lock in workers.glob("*.lock"):
        if name.endswith("-" + lock.stem):
            holder = worker_alive(event_dir, lock.stem)
            if holder is not None:
                return holder
    return None


def worker_alive(event_dir: Path, worker: str) -> str | None:
    """Who holds ``<event>/workers/<worker>.lock`` (flock, held by a live worker of a
    distributed crawl on this machine); None when nobody does: that worker is dead."""
    import fcntl

    try:
        with (event_dir / WORKERS_DIR / f"{worker}.lock").open("r") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return f"worker {worker} ({fh.read().strip()})"
            fcntl.flock(fh, fcntl.LOCK_UN)
    except OSError:
        return None
    return None


def repair_directory(
    directory: str | os.PathLike[str], *, on_repaired: Callable[[Path], object] | None = None
) -> list[RepairResult]:
    """Repair every ``*.warc.gz.open`` file under a directory (recursively), then call
    ``on_repaired`` with each repaired file (e.g. ``archive.cdxj.indexing.index_warc_file``)."""
    root = Path(directory)
    if not root.exists():
        return []
    results = []
    for path in sorted(root.rglob(f"*.warc.gz{OPEN_SUFFIX}")):
        holder = live_writer(path)
        if holder is not None:  # a crawl is writing it: never touch a live file
            logger.warning("%s is being written by %s: not repaired", path, holder)
            continue
        results.append(repair_file(path))
    for result in results:
        if on_repaired is not None and result.repaired is not None:
            on_repaired(result.repaired)
    return results
