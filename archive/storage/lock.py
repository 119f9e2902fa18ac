"""One crawl per event at a time: a lock taken before anything of the event is touched.

- **Local**: ``<dir>/<slug>/crawl.lock``, held with ``fcntl.flock`` for the life of the crawl.
  The kernel drops it when the holder dies (SIGKILL, OOM, reboot), so a lock that can be taken
  proves that no live process writes the event's files: what a dead crawl left open may be
  repaired. The file holds the holder's host, pid and start time, for the message a second
  crawl prints.
- **S3** (``s3://`` archives, where crawls on other machines share the event): a lease object
  ``<slug>/crawl.lock`` created with a conditional PUT (``If-None-Match: *``) and renewed with
  ``If-Match`` on its ETag before it expires. A lease past its expiry belongs to a dead holder and
  is taken over the same way, so a crashed machine blocks the event for at most ``ttl`` seconds;
  a lease whose holder ran on this machine and is gone (killed) is taken over at once.
  A holder that finds its lease taken stops renewing, and ``event_lock`` stops its crawl cleanly
  (SIGTERM to itself: the crawl closes its WARCs and writes its manifest, exit 130).
  When the store cannot be reached at the start, the crawl goes on under its local lock (it
  spools, as in any outage) and says so.

Both raise :class:`archive.errors.EventLocked` (exit code 6) naming the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from archive.errors import EventLocked, PreconditionFailed, StorageError

if TYPE_CHECKING:
    from archive.storage.s3 import S3Storage

LOCK_NAME = "crawl.lock"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    started: str  # ISO 8601, UTC
    expires: float = 0.0  # S3 leases: epoch seconds after which the lease is dead

    @classmethod
    def this_process(cls) -> Holder:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(socket.gethostname(), os.getpid(), now)

    def describe(self) -> str:
        return f"{self.host} pid {self.pid}, started {self.started}"

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode() + b"\n"

    @classmethod
    def parse(cls, data: bytes) -> Holder | None:
        try:
            fields = json.loads(data)
            return cls(
                str(fields["host"]),
                int(fields["pid"]),
                str(fields["started"]),
                float(fields.get("expires", 0.0)),
            )
        except (ValueError, KeyError, TypeError):
            return None


class LocalLock:
    """``fcntl`` lock on ``<event_dir>/crawl.lock`` (see the module docstring)."""

    def __init__(
        self, event_dir: str | os.PathLike[str], holder: Holder | None = None, *, slug: str = ""
    ) -> None:
        self.path = Path(event_dir) / LOCK_NAME
        self.holder = holder or Holder.this_process()
        self.slug = slug or Path(event_dir).name
        self._fh: IO[bytes] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+b")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            other = Holder.parse(fh.read())
            fh.close()
            who = other.describe() if other else "another process"
            raise EventLocked(
                f"event {self.slug!r} is being crawled by {who} (lock {self.path})"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(self.holder.to_bytes())
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.seek(0)
                self._fh.truncate()
            self._fh.close()  # closing drops the flock
            self._fh = None

    def held_by_other(self) -> Holder | None:
        """Who holds the lock now, if another process does (without taking it)."""
        if not self.path.exists():
            return None
        with self.path.open("rb") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = Holder.parse(fh.read()) or Holder("?", 0, "?")
                me = Holder.this_process()
                return None if (holder.host, holder.pid) == (me.host, me.pid) else holder
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return None


class S3Lease:
    """A lease object in S3 (see the module docstring). ``renew`` runs on its own thread."""

    def __init__(
        self,
        storage: S3Storage,
        key: str,
        holder: Holder,
        *,
        slug: str = "",
        ttl: float = 120.0,
        clock: Callable[[], float] = time.time,
        on_lost: Callable[[], object] | None = None,
    ) -> None:
        self.on_lost = on_lost  # called (on the renewal thread) when another holder took over
        self.storage = storage
        self.key = key
        self.holder = holder
        self.slug = slug or key.split("/")[0]
        self.ttl = ttl
        self.clock = clock
        self.etag: str | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _body(self) -> bytes:
        h = self.holder
        return Holder(h.host, h.pid, h.started, self.clock() + self.ttl).to_bytes()

    def acquire(self) -> None:
        try:
            self.etag = self.storage.put_conditional(self.key, self._body(), if_none_match=True)
        except PreconditionFailed:
            self._take_over_if_dead()
        self._thread = threading.Thread(target=self._renew_loop, name="newsarc-lease", daemon=True)
        self._thread.start()

    def _take_over_if_dead(self) -> None:
        current = self.storage.get_with_etag(self.key)
        if current is None:  # released in between: try once more from scratch
            try:
                self.etag = self.storage.put_conditional(self.key, self._body(), if_none_match=True)
                return
            except PreconditionFailed:
                current = self.storage.get_with_etag(self.key)
        data, etag = current if current is not None else (b"", "")
        other = Holder.parse(data)
        if other is not None and other.expires > self.clock() and not _dead_here(other):
            raise EventLocked(
                f"event {self.slug!r} is being crawled by {other.describe()} "
                f"(lease {self.storage.uri}/{self.key}, until "
                f"{datetime.fromtimestamp(other.expires, UTC):%Y-%m-%dT%H:%M:%SZ})"
            )
        try:  # expired (or unreadable): the holder is dead; take it over unless someone was faster
            self.etag = self.storage.put_conditional(self.key, self._body(), if_match=etag)
        except PreconditionFailed:
            raise EventLocked(
                f"event {self.slug!r}: another crawl took over the expired lease "
                f"{self.storage.uri}/{self.key} first"
            ) from None

    def renew(self) -> bool:
        """Extend the lease; False (and ``lost``) if another holder has it now."""
        if self.etag is None or self.lost:
            return False
        try:
            self.etag = self.storage.put_conditional(self.key, self._body(), if_match=self.etag)
        except PreconditionFailed:
            self.lost = True
            if self.on_lost is not None:
                self.on_lost()
            return False
        except StorageError:  # the store is unreachable for now: the next renewal may succeed
            return True
        return True

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl / 4):
            if not self.renew():
                return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.etag is not None and not self.lost:
            with contextlib.suppress(StorageError):
                current = self.storage.get_with_etag(self.key)
                if current is not None and current[1] == self.etag:
                    self.storage.delete(self.key)
        self.etag = None


def _stop_crawl() -> None:
    """Another crawl holds the event now: stop this one cleanly (as SIGTERM does: WARCs closed,
    manifest written) rather than let two write the event."""
    logger.error("the event's lease was taken over by another crawl: stopping this one")
    os.kill(os.getpid(), signal.SIGTERM)


def _dead_here(holder: Holder) -> bool:
    """A holder on this machine whose process is gone (SIGKILL, OOM): its lease is free now."""
    if holder.host != socket.gethostname() or holder.pid <= 0:
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


@contextlib.contextmanager
def event_lock(
    event_dir: str | os.PathLike[str],
    *,
    slug: str,
    storage: Any = None,
    holder: Holder | None = None,
    ttl: float = 120.0,
) -> Iterator[S3Lease | None]:
    """Hold the event's lock: the local one on ``event_dir`` and, for an S3 archive (``storage``
    an S3Storage), its lease. Raises EventLocked before touching anything else."""
    from archive.storage.s3 import S3Storage

    who = holder or Holder.this_process()
    local = LocalLock(event_dir, who, slug=slug)
    local.acquire()
    lease = None
    try:
        if isinstance(storage, S3Storage):
            lease = S3Lease(
                storage, f"{slug}/{LOCK_NAME}", who, slug=slug, ttl=ttl, on_lost=_stop_crawl
            )
            try:
                lease.acquire()
            except EventLocked:
                raise
            except StorageError as exc:
                # the store is down: the crawl spools under its local lock, as it would anyway
                logger.warning("no lease on %s (%s): crawling under the local lock", slug, exc)
                lease = None
        yield lease
    finally:
        if lease is not None:
            lease.release()
        local.release()
