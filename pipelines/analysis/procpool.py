"""A process pool run from the asyncio loop: tasks and results over pipes, no threads.

``concurrent.futures.ProcessPoolExecutor`` feeds its workers from a feeder thread and collects
results in a management thread; in a crawl both contend for the GIL with the reactor
(benchmarks/README.md), and one crashed worker breaks that pool for good. Here the loop writes
each task straight to a worker's pipe (non-blocking) and reads results when the selector says
they are there. A worker that dies fails only the task it was running; the task queued behind
it goes to another worker, and a new worker takes its place.

Each worker holds at most ``prefetch`` tasks (one running, the rest waiting in its pipe), so
a worker never idles while the loop is busy; the rest wait here, in submission order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any

from archive.pipes import widen

logger = logging.getLogger(__name__)
_HEADER = struct.Struct("!Q")
_READ_CHUNK = 1 << 20


class WorkerCrashed(RuntimeError):
    """The worker process running a task exited before returning its result."""


class PoolClosed(RuntimeError):
    """The pool was closed, or lost too many workers, before the task ran."""


@dataclass
class _Task:
    id: int
    payload: bytes
    future: asyncio.Future[Any]


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process of the context
    tasks: Connection  # our end of the task pipe (write)
    results: Connection  # our end of the result pipe (read)
    held: deque[_Task] = field(default_factory=deque)  # sent, in the order it runs them
    out: bytearray = field(default_factory=bytearray)  # framed tasks not yet in the pipe
    inbox: bytearray = field(default_factory=bytearray)  # result bytes not yet a whole frame


class LoopPool:
    """``await pool.run(fn, *args)`` runs ``fn(*args)`` in a worker process.

    ``fn`` and the arguments must pickle (a module-level function, plain values). Use it from
    one event loop: :meth:`start` inside it, :meth:`run` from its coroutines. The context
    must start workers afresh ("forkserver" or "spawn"): a forked worker would inherit the
    other workers' pipes, and their deaths would go unnoticed.
    """

    def __init__(
        self,
        workers: int,
        context: BaseContext,
        *,
        prefetch: int = 2,
        max_restarts: int = 16,
        name: str = "extraction",
    ) -> None:
        if context.get_start_method() == "fork":
            raise ValueError("LoopPool needs a 'forkserver' or 'spawn' context, not 'fork'")
        self.size = max(1, workers)
        self.context = context
        self.prefetch = max(1, prefetch)
        self.max_restarts = max_restarts
        self.name = name  # what the workers do, for the log
        self.restarts = 0
        self.crashes = 0
        self._workers: list[_Worker] = []
        self._waiting: deque[_Task] = deque()
        self._next_id = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        for _ in range(self.size):
            self._spawn()

    def close(self) -> None:
        """Fail what has not been sent, let the workers finish what they hold, and join them."""
        self._closed = True
        while self._waiting:
            self._settle(self._waiting.popleft(), PoolClosed("the pool was closed"))
        for worker in list(self._workers):
            self._retire(worker)
            worker.results.close()  # a result nobody will read must not block its worker
            worker.process.join()
            for task in worker.held:
                self._settle(task, PoolClosed("the pool was closed"))
        self._workers.clear()

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers]

    # -- tasks ----------------------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        if self._loop is None:
            raise PoolClosed("the pool is not started")
        future: asyncio.Future[Any] = self._loop.create_future()
        if self._closed or not self._workers:
            why = "the pool is closed" if self._closed else "every worker has crashed"
            future.set_exception(PoolClosed(why))
            return future
        self._next_id += 1
        payload = pickle.dumps((self._next_id, fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        self._waiting.append(_Task(self._next_id, payload, future))
        self._dispatch()
        return future

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self.submit(fn, *args)

    def _dispatch(self) -> None:
        while self._waiting and self._workers:
            worker = min(self._workers, key=lambda w: len(w.held))
            if len(worker.held) >= self.prefetch:
                return
            task = self._waiting.popleft()
            if task.future.cancelled():
                continue
            worker.held.append(task)
            worker.out += _HEADER.pack(len(task.payload))
            worker.out += task.payload
            self._flush(worker)

    def _flush(self, worker: _Worker) -> None:
        assert self._loop is not None
        fd = worker.tasks.fileno()
        while worker.out:
            try:
                sent = os.write(fd, worker.out)
            except BlockingIOError:
                break
            except OSError:  # the worker is gone; its result pipe reports it
                worker.out.clear()
                return
            del worker.out[:sent]
        if worker.out:
            self._loop.add_writer(fd, self._flush, worker)
        else:
            self._loop.remove_writer(fd)

    def _readable(self, worker: _Worker) -> None:
        fd = worker.results.fileno()
        while True:
            try:
                chunk = os.read(fd, _READ_CHUNK)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self._lost(worker)
                return
            worker.inbox += chunk
        self._receive(worker)
        self._dispatch()

    def _receive(self, worker: _Worker) -> None:
        inbox = worker.inbox
        start = 0
        while len(inbox) - start >= _HEADER.size:
            (length,) = _HEADER.unpack_from(inbox, start)
            end = start + _HEADER.size + length
            if len(inbox) < end:
                break
            task_id, ok, value = pickle.loads(memoryview(inbox)[start + _HEADER.size : end])
            start = end
            task = worker.held.popleft()
            assert task.id == task_id, "results come back in the order tasks were sent"
            if ok:
                self._settle(task, None, value)
            else:
                self._settle(task, value)
        del inbox[:start]

    # -- workers --------------------------------------------------------------------------------

    def _spawn(self) -> None:
        assert self._loop is not None
        task_read, task_write = self.context.Pipe(duplex=False)
        result_read, result_write = self.context.Pipe(duplex=False)
        for end in (task_write, result_read):
            widen(end.fileno())  # a page goes into the pipe in one write
        process = self.context.Process(  # type: ignore[attr-defined]
            target=_serve, args=(task_read, result_write), daemon=True
        )
        process.start()
        task_read.close()
        result_write.close()
        os.set_blocking(task_write.fileno(), False)
        os.set_blocking(result_read.fileno(), False)
        worker = _Worker(process, task_write, result_read)
        self._workers.append(worker)
        self._loop.add_reader(result_read.fileno(), self._readable, worker)

    def _retire(self, worker: _Worker) -> None:
        assert self._loop is not None
        self._loop.remove_reader(worker.results.fileno())
        self._loop.remove_writer(worker.tasks.fileno())
        worker.tasks.close()  # the worker sees end of input once it has read what it holds
        if worker in self._workers:
            self._workers.remove(worker)

    def _lost(self, worker: _Worker) -> None:
        """The worker's result pipe closed: it died. Fail the task it ran, requeue the rest."""
        self._receive(worker)  # results it sent before dying still count
        self._retire(worker)
        worker.results.close()
        worker.process.join(timeout=5)  # it has closed its pipes: it is exiting
        code = worker.process.exitcode
        self.crashes += 1
        if worker.held:
            running = worker.held.popleft()
            message = f"worker {worker.process.pid} exited with code {code} running this task"
            self._settle(running, WorkerCrashed(message))
        self._waiting.extendleft(reversed(worker.held))
        worker.held.clear()
        logger.warning("%s worker %s exited (code %s)", self.name, worker.process.pid, code)
        if self._closed:
            return
        if self.restarts < self.max_restarts:
            self.restarts += 1
            self._spawn()
        elif not self._workers:
            while self._waiting:
                self._settle(self._waiting.popleft(), PoolClosed("every worker has crashed"))
        self._dispatch()

    @staticmethod
    def _settle(task: _Task, error: BaseException | None, value: Any = None) -> None:
        if task.future.done():
            return
        if error is not None:
            task.future.set_exception(error)
        else:
            task.future.set_result(value)


def _serve(tasks: Connection, results: Connection) -> None:
    """A worker's life: read a task, run it, write its result, until the task pipe closes.

    Ctrl-C reaches the whole process group; the parent decides when workers stop (it closes
    their task pipes), so a worker ignores SIGINT rather than die mid-task.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _serve_forever(tasks, results)
    except (BrokenPipeError, EOFError):  # the parent closed its ends: nothing left to do
        return


def _serve_forever(tasks: Connection, results: Connection) -> None:
    with (
        os.fdopen(tasks.fileno(), "rb", closefd=False) as source,
        os.fdopen(results.fileno(), "wb", closefd=False) as sink,
    ):
        while header := source.read(_HEADER.size):
            if len(header) < _HEADER.size:
                return
            (length,) = _HEADER.unpack(header)
            task_id, fn, args = pickle.loads(source.read(length))
            try:
                reply = pickle.dumps((task_id, True, fn(*args)), pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:
                reply = _error_reply(task_id, exc)
            sink.write(_HEADER.pack(len(reply)))
            sink.write(reply)
            sink.flush()


def _error_reply(task_id: int, exc: BaseException) -> bytes:
    try:
        return pickle.dumps((task_id, False, exc), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle still reaches the caller, as text
        return pickle.dumps((task_id, False, RuntimeError(repr(exc))), pickle.HIGHEST_PROTOCOL)
