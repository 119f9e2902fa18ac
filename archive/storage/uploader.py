"""Upload a crawl's files from the local spool to the archive's storage, in threads, losing nothing.

- Files are uploaded by worker threads (never the caller's thread, never Scrapy's reactor).
- An upload that fails because the store is unavailable is retried with exponential back-off
  (capped) for as long as the uploader runs; the file stays in the spool meanwhile.
- A local copy is deleted only after a verified upload (size and sha256 checked by the backend),
  unless ``keep_local``; a file whose storage *is* the spool (a local archive) is only verified.
- ``spooled_bytes`` lets the crawl pause fetching when the spool outgrows its bound.
- The manifest (every object with size and sha256) is written last: a crawl is complete exactly
  when ``<slug>/crawls/<crawl-id>/manifest.json`` exists in storage. If uploads are still pending
  when the crawl ends, ``manifest.pending.json`` stays in the spool for ``newsarc upload --resume``.

Clock and sleep are constructor parameters so tests can drive back-off without waiting.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.errors import StorageError, StorageUnavailable, StorageVerifyError
from archive.storage.keys import ObjectInfo, Storage, object_key

logger = logging.getLogger(__name__)
PENDING = "manifest.pending.json"
SKIP_SUFFIXES = (".open", ".tmp", ".pending.json", ".lock")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class UploadStats:
    uploaded: int = 0
    bytes: int = 0
    retries: int = 0
    failed: int = 0  # permanent (non-outage) failures
    max_spooled: int = 0  # most bytes waiting for upload at once
    objects: dict[str, ObjectInfo] = field(default_factory=dict)


class Uploader:
    def __init__(
        self,
        storage: Storage,
        spool: str | os.PathLike[str],
        *,
        keep_local: bool = False,
        threads: int = 2,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.storage = storage
        self.spool = Path(spool)
        self.keep_local = keep_local or self._same_place()
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.stats = UploadStats()
        self.available = True
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}  # key -> size
        self._futures: list[Future[Any]] = []
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="newsarc-upload")

    # -- public API -------------------------------------------------------------------------------

    @property
    def spooled_bytes(self) -> int:
        with self._lock:
            return sum(self._pending.values())

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def key_for(self, path: Path) -> str:
        return object_key(*path.resolve().relative_to(self.spool.resolve()).parts)

    def submit(self, path: str | os.PathLike[str], *, keep: bool = False) -> str:
        """Queue a complete local file (anywhere under the spool) for upload; returns its key.

        ``keep`` keeps the local copy after upload (state the next crawl reads: the dedup index).
        """
        path = Path(path)
        key = self.key_for(path)
        with self._lock:
            if key in self._pending:
                return key
            self._pending[key] = path.stat().st_size
            self.stats.max_spooled = max(self.stats.max_spooled, sum(self._pending.values()))
        self._futures.append(self._pool.submit(self._upload, key, path, keep))
        return key

    def submit_tree(
        self, root: str | os.PathLike[str], *, keep: Callable[[Path], bool] = lambda _: False
    ) -> list[str]:
        """Queue every complete file under ``root`` (for resume, and for end-of-crawl batches);
        ``.open``, temporary and pending-manifest files are skipped. Returns the keys."""
        root = Path(root)
        if not root.is_dir():
            return []
        return [
            self.submit(path, keep=keep(path))
            for path in sorted(root.rglob("*"))
            if path.is_file() and not path.name.endswith(SKIP_SUFFIXES)
        ]

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued upload is done; False if some are pending at the deadline."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for future in list(self._futures):
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                future.result(timeout=remaining)
            except TimeoutError:
                return False
            except Exception:  # counted in stats.failed by the worker
                continue
        return self.pending == 0

    def close(self) -> None:
        """Stop retrying and wait for the worker threads (pending files stay in the spool)."""
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def write_manifest(
        self, slug: str, crawl_id: str, info: dict[str, Any], keys: Iterable[str]
    ) -> bool:
        """Write the crawl's manifest last. Returns False (and leaves a pending manifest) if any
        listed object is not verified in storage yet."""
        keys = sorted(set(keys))
        objects = []
        missing = []
        for key in keys:
            stat = self.stats.objects.get(key) or self._stat(key)
            if stat is None:
                missing.append(key)
            else:
                objects.append({"key": key, "size": stat.size, "sha256": stat.sha256})
        manifest = {**info, "crawl_id": crawl_id, "event": slug, "objects": objects}
        if missing:
            self.write_pending(slug, crawl_id, info, keys)
            return False
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        self.storage.put_bytes(
            object_key(slug, "crawls", crawl_id, "manifest.json"),
            data,
            content_type="application/json",
        )
        local = self.spool / slug / "crawls" / crawl_id / "manifest.json"
        if not local.exists():  # a copy in the spool: the next crawl knows what this one listed
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(data)
        (self.spool / slug / "crawls" / crawl_id / PENDING).unlink(missing_ok=True)
        return True

    def write_pending(
        self, slug: str, crawl_id: str, info: dict[str, Any], keys: Iterable[str]
    ) -> Path:
        """Record in the spool what the manifest must list, for ``newsarc upload --resume``."""
        crawl_dir = self.spool / slug / "crawls" / crawl_id
        crawl_dir.mkdir(parents=True, exist_ok=True)
        path = crawl_dir / PENDING
        data = {**info, "crawl_id": crawl_id, "event": slug, "keys": sorted(set(keys))}
        path.write_text(json.dumps(data, indent=1))
        return path

    # -- worker ----------------------------------------------------------------------------------

    def _upload(self, key: str, path: Path, keep: bool) -> None:
        delay = self.backoff
        sha = file_sha256(path)
        mismatches = 0
        while True:
            try:
                info = self.storage.put_file(key, path, sha256=sha)
                break
            except StorageVerifyError as exc:  # the store kept something else: send it again
                mismatches += 1
                if mismatches >= 3:
                    logger.error("upload of %s failed verification 3 times: %s", key, exc)
                    with self._lock:
                        self.stats.failed += 1
                    return
            except StorageUnavailable as exc:
                self.available = False
                with self._lock:
                    self.stats.retries += 1
                if self._stopping.is_set():
                    logger.warning("storage unavailable, %s stays in the spool: %s", key, exc)
                    return
                logger.info("storage unavailable (%s); retrying %s in %.0fs", exc, key, delay)
                self.sleep(delay)
                delay = min(self.max_backoff, delay * 2)
            except StorageError as exc:
                logger.error("upload of %s failed: %s", key, exc)
                with self._lock:
                    self.stats.failed += 1
                return
        self.available = True
        with self._lock:
            self.stats.uploaded += 1
            self.stats.bytes += info.size
            self.stats.objects[key] = info
            self._pending.pop(key, None)
        if not (self.keep_local or keep):
            path.unlink(missing_ok=True)

    def _stat(self, key: str) -> ObjectInfo | None:
        try:
            return self.storage.stat(key)
        except StorageError:
            return None

    def _same_place(self) -> bool:
        root = getattr(self.storage, "root", None)
        return root is not None and Path(root).resolve() == self.spool.resolve()
