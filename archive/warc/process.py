"""A :class:`~archive.warc.writer.WarcWriter` in a process of its own, with the writer's methods.

Building records is mostly Python (headers, digests, gzip members, the CDXJ line) between short
calls into zlib and hashlib, each of which gives up the GIL and has to win it back. On a thread
of a busy crawl process every one of those hand-overs waits for the reactor, so a record that
costs 0.85 ms of CPU took 2 ms, and queued behind the others ~20 ms (benchmarks/README.md).
Here the caller only pickles each call down a pipe and goes on (:meth:`WriterProcess.submit`);
the child builds, compresses, writes and indexes on a core of its own, and a reader thread,
waiting without the GIL, settles each call's future from the child's reply.

Calls are carried out in the order they are sent (one pipe, one child), so everything the writer
promises holds: records of one exchange are contiguous, a killed crawl leaves at most one
incomplete member. A send blocks only when the child is a pipe's worth (1 MiB) behind. Files the
child closes (rotation, :meth:`~WriterProcess.close`) are reported back with the replies and
passed to :attr:`~WriterProcess.on_close` here, on the reader thread. A child that dies makes
every pending and later call raise :class:`~archive.errors.WarcWriteError`, which stops the
crawl as a full disk does.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from archive.errors import WarcWriteError
from archive.pipes import widen
from archive.warc import records as warc
from archive.warc.writer import ExchangeLocations, WarcWriter


class WriterProcess:
    """``WarcWriter``'s methods, run by a writer that ``factory()`` builds in a child process.

    :meth:`submit` sends a call and returns at once with a future of its result: calls are
    pipelined, so a burst of exchanges costs the child one wake-up, not one round trip each,
    and a caller waits only for its own call. A reader thread takes the replies (in call order)
    and settles the futures. The plain methods (``write_exchange``…) submit and wait.

    ``factory`` must pickle (a module-level function or a ``functools.partial`` of one, with
    plain arguments); the child calls it once. The context must start the child afresh
    ("forkserver", the default, or "spawn"): a forked copy of a crawl process would inherit its
    reactor, threads and sockets.
    """

    def __init__(
        self, factory: Callable[[], WarcWriter], context: BaseContext | None = None
    ) -> None:
        ctx = context or multiprocessing.get_context("forkserver")
        task_read, self._tasks = ctx.Pipe(duplex=False)
        self._results, result_write = ctx.Pipe(duplex=False)
        for conn in (self._tasks, self._results):
            widen(conn.fileno())
        self._process = ctx.Process(  # type: ignore[attr-defined]
            target=_serve, args=(factory, task_read, result_write), daemon=True
        )
        self._process.start()
        task_read.close()
        result_write.close()
        self.closed_files: list[Path] = []
        self.records_written = 0
        self.bytes_written = 0
        self.on_close: Callable[[Path], None] | None = None  # called on the reader thread
        self._gone: str | None = None  # why the child cannot be asked any more
        self._pending: deque[Future[Any]] = deque()
        self._lock = threading.Lock()  # a call's future is queued in the order it is sent
        self._reader = threading.Thread(target=self._read, name="newsarc-warc-replies", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def submit(self, method: str, *args: Any) -> Future[Any]:
        """Send ``method(*args)`` to the writer; a future of its result (or its exception).

        Safe from any thread. A write blocks only when the child is a pipe's worth (1 MiB)
        behind: the crawl then waits for its disk, as it should."""
        future: Future[Any] = Future()
        payload = pickle.dumps((method, args), pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._gone is None:
                self._pending.append(future)
                try:
                    self._tasks.send_bytes(payload)
                    return future
                except OSError as exc:  # the child is gone; the reader fails what is pending
                    self._gone = self._gone or f"cannot be written to ({exc!r})"
            why = self._gone
        if not future.done():
            future.set_exception(WarcWriteError(f"the WARC writer process is gone: {why}"))
        return future

    def write_exchange(self, exchange: warc.HttpExchange) -> ExchangeLocations:
        """Write response, request (and chunked-framing metadata) records contiguously."""
        result: ExchangeLocations = self.submit("write_exchange", exchange).result()
        return result

    def write_metadata(
        self, target_uri: str, refers_to: str, items: Iterable[tuple[str, str]]
    ) -> warc.RecordLocation:
        future = self.submit("write_metadata", target_uri, refers_to, list(items))
        result: warc.RecordLocation = future.result()
        return result

    def barrier(self) -> Future[Any]:
        """A future done once every call sent before this one has been carried out."""
        return self.submit("barrier")

    def close(self) -> Path | None:
        """Close the current file (fsync, rename from ``.open``), then end the child: the
        last call. Returns the closed file's final path. Safe to call twice."""
        if self._gone is not None and not self._pending:
            self._stop()
            return None
        try:
            final: Path | None = self.submit("close").result()
        finally:
            self._stop()
        return final

    # -- internals ----------------------------------------------------------------------------

    def _read(self) -> None:
        """The reader thread: settle each pending call's future from its reply, in order."""
        while True:
            try:
                ok, value, closed, records, size = pickle.loads(self._results.recv_bytes())
            except (OSError, EOFError) as exc:
                self._lost(exc)
                return
            self.records_written, self.bytes_written = records, size
            for path in closed:
                self.closed_files.append(path)
                if self.on_close is not None:
                    self.on_close(path)
            future = self._pending.popleft()
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _lost(self, exc: BaseException) -> None:
        """No more replies: the child exited (after ``close``, or died). Fail what waits."""
        self._process.join(timeout=5)
        with self._lock:
            if self._gone is None:
                self._gone = f"exited with code {self._process.exitcode} ({exc!r})"
            why = self._gone
            pending, self._pending = list(self._pending), deque()
        for future in pending:
            future.set_exception(WarcWriteError(f"the WARC writer process {why}"))

    def _stop(self) -> None:
        with self._lock:
            self._gone = self._gone or "closed"
            with contextlib.suppress(OSError):
                self._tasks.close()
        self._process.join(timeout=30)
        if self._process.is_alive():  # stuck (a hung disk): it must not outlive the crawl
            self._process.kill()
            self._process.join()
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=30)
        with contextlib.suppress(OSError):
            self._results.close()


def _interactive() -> None:
    """Run under the default policy even when the crawl runs as batch work (``SCHED_BATCH``,
    inherited): a batch process woken by the crawl's call waits for a busy CPU's time slice to
    end, and the crawl's fetch waits with it; this child's work is short and latency-bound."""
    other = getattr(os, "SCHED_OTHER", None)
    if other is not None:
        with contextlib.suppress(OSError):
            if os.sched_getscheduler(0) != other:
                os.sched_setscheduler(0, other, os.sched_param(0))


def _serve(factory: Callable[[], WarcWriter], tasks: Connection, results: Connection) -> None:
    """The child: build the writer, then run each call in order until the pipe closes.

    Ctrl-C reaches the whole process group; the parent decides when the writer stops (its last
    call is ``close``), so the child ignores SIGINT rather than die with a record half-written.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _interactive()
    closed: list[Path] = []
    writer: WarcWriter | None = None
    failure: BaseException | None = None
    try:
        writer = factory()
        writer.on_close = closed.append
    except BaseException as exc:  # reported on the first call
        failure = exc
    while True:
        try:
            method, args = pickle.loads(tasks.recv_bytes())
        except (EOFError, OSError):
            return
        ok, value = True, None
        try:
            if method == "barrier":
                pass
            elif writer is not None:
                value = getattr(writer, method)(*args)
            elif method != "close":  # a writer never built has nothing to close
                raise WarcWriteError(f"cannot start the WARC writer: {failure!r}")
        except BaseException as exc:
            ok, value = False, exc
        records, size = (writer.records_written, writer.bytes_written) if writer else (0, 0)
        reply = (ok, value, list(closed), records, size)
        closed.clear()
        try:
            payload = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that does not pickle: its text still goes back
            payload = pickle.dumps((False, RuntimeError(repr(value)), reply[2], records, size))
        try:
            results.send_bytes(payload)
        except OSError:
            return
        if method == "close":
            return
