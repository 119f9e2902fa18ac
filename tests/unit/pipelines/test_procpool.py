"""The loop-driven process pool: results, errors, large payloads, crashed workers, closing."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from pipelines.analysis.procpool import LoopPool, PoolClosed, WorkerCrashed

CONTEXT = multiprocessing.get_context("forkserver")


def square(n: int) -> int:
    return n * n


def pid(_: Any = None) -> int:
    return os.getpid()


def echo(data: bytes) -> bytes:
    return data[::-1]


def die(code: int) -> None:
    os._exit(code)


def fail(text: str) -> int:
    return int(text)


class Unpicklable(Exception):
    def __init__(self) -> None:
        super().__init__("carries a lock")
        self.lock = multiprocessing.Lock()  # a Lock does not pickle outside process start-up

    def __reduce__(self) -> Any:
        raise TypeError("no")


def raise_unpicklable() -> None:
    raise Unpicklable()


def with_pool(body: Callable[[LoopPool], Awaitable[Any]], workers: int = 2, **kw: Any) -> Any:
    async def main() -> Any:
        pool = LoopPool(workers, CONTEXT, **kw)
        pool.start()
        try:
            return await body(pool)
        finally:
            pool.close()

    return asyncio.run(main())


def test_results_come_back_for_every_task() -> None:
    async def body(pool: LoopPool) -> list[int]:
        return list(await asyncio.gather(*(pool.run(square, n) for n in range(200))))

    assert with_pool(body) == [n * n for n in range(200)]


def test_tasks_spread_over_the_workers() -> None:
    async def body(pool: LoopPool) -> tuple[set[int], set[int]]:
        pids = await asyncio.gather(pool.run(pid), pool.run(pid))  # both idle: one each
        return set(pids), set(pool.pids)

    seen, workers = with_pool(body)
    assert len(seen) == 2 and seen == workers and os.getpid() not in seen


def test_an_exception_reaches_the_caller_with_its_type() -> None:
    async def body(pool: LoopPool) -> tuple[str, int]:
        with pytest.raises(ValueError, match="invalid literal"):
            await pool.run(fail, "x")
        with pytest.raises(RuntimeError, match="Unpicklable"):
            await pool.run(raise_unpicklable)
        return "ok", await pool.run(fail, "7")

    assert with_pool(body) == ("ok", 7)


def test_payloads_larger_than_a_pipe_buffer_pass_both_ways() -> None:
    blobs = [os.urandom(3_000_000 + i) for i in range(6)]

    async def body(pool: LoopPool) -> list[bytes]:
        return list(await asyncio.gather(*(pool.run(echo, b) for b in blobs)))

    assert with_pool(body) == [b[::-1] for b in blobs]


def test_task_pipes_hold_a_whole_page_so_one_write_sends_it() -> None:
    import fcntl

    from archive.pipes import PIPE_BYTES

    async def body(pool: LoopPool) -> list[int]:
        await pool.run(square, 3)  # the workers are up
        return [
            fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
            for w in pool._workers
            for fd in (w.tasks.fileno(), w.results.fileno())
        ]

    assert with_pool(body) == [PIPE_BYTES] * 4  # Linux's default is 64 KiB


def test_a_crashed_worker_fails_only_its_task_and_is_replaced() -> None:
    async def body(pool: LoopPool) -> None:
        before = set(pool.pids)
        crash = pool.submit(die, 3)
        others = [pool.submit(square, n) for n in range(40)]
        with pytest.raises(WorkerCrashed, match="exited with code 3"):
            await crash
        assert await asyncio.gather(*others) == [n * n for n in range(40)]
        assert pool.crashes == 1 and pool.restarts == 1
        assert len(pool.pids) == 2 and set(pool.pids) != before
        assert await pool.run(square, 9) == 81  # and the pool goes on

    with_pool(body)


def test_when_workers_may_not_be_restarted_the_remaining_tasks_fail_clearly() -> None:
    async def body(pool: LoopPool) -> None:
        crash = pool.submit(die, 1)
        queued = pool.submit(square, 2)  # held behind the crashing task, then nowhere to go
        with pytest.raises(WorkerCrashed):
            await crash
        with pytest.raises(PoolClosed, match="every worker has crashed"):
            await queued
        with pytest.raises(PoolClosed):
            await pool.run(square, 3)

    with_pool(body, workers=1, max_restarts=0)


def test_close_fails_unsent_tasks_and_joins_the_workers() -> None:
    async def main() -> None:
        pool = LoopPool(1, CONTEXT, prefetch=1)
        pool.start()
        processes = [w.process for w in pool._workers]
        assert await pool.run(square, 4) == 16
        held, unsent = pool.submit(square, 5), pool.submit(square, 6)
        pool.close()
        assert held.done() and unsent.done()
        assert (
            held.cancelled() or held.exception() is None or isinstance(held.exception(), PoolClosed)
        )
        with pytest.raises(PoolClosed):
            unsent.result()
        # ended on their own (under load the forkserver may report a clean exit as 255:
        # CPython issue 140867; a failing worker exits 1 or by a signal)
        assert all(not p.is_alive() and p.exitcode in (0, 255) for p in processes)
        with pytest.raises(PoolClosed):
            await pool.run(square, 1)

    asyncio.run(main())


def test_a_fork_context_is_refused() -> None:
    with pytest.raises(ValueError, match="forkserver"):
        LoopPool(1, multiprocessing.get_context("fork"))
