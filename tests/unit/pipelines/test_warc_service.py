"""The crawl's WARC service: queued metadata records land in order, and their failures stop it."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from scrapy.utils.test import get_crawler

from archive.errors import WarcWriteError
from archive.warc.reader import iter_records
from archive.warc.records import HttpExchange
from archive.warc.writer import WarcWriter
from pipelines.warc import WarcService
from tests.support.warcs import exchange, fixed_writer

PLAIN = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi"


def plain(url: str) -> HttpExchange:
    return exchange(url, PLAIN)


class RefusingWriter(WarcWriter):
    """Writes exchanges; refuses metadata as a full disk would."""

    def write_metadata(self, *args: Any, **kwargs: Any) -> Any:
        raise WarcWriteError("No space left on device")


async def _flush(service: WarcService) -> None:
    """Wait until the WARC thread has run every job queued so far."""
    await asyncio.get_running_loop().run_in_executor(service._executor, lambda: None)


def test_queued_metadata_follows_its_response_and_is_counted(tmp_path: Path) -> None:
    stats = get_crawler().stats
    service = WarcService(fixed_writer(tmp_path), stats=stats)

    async def crawl() -> str:
        locations = await service.write_exchange(plain("http://globe.test/1"))
        service.queue_metadata(
            "http://globe.test/1",
            locations.response.record_id,
            [("outlink", "http://globe.test/2")],
        )
        await service.write_exchange(plain("http://globe.test/2"))
        return locations.response.record_id

    record_id = asyncio.run(crawl())
    service.close()
    assert stats.get_value("newsarc/warc/records") == 2 + 1 + 2
    (path,) = service.writer.closed_files
    with Path(path).open("rb") as fh:
        records = [(r.type, r.target_uri, r.get("WARC-Concurrent-To")) for r in iter_records(fh)]
    kinds = [(kind, uri) for kind, uri, _ in records if kind != "warcinfo"]
    assert kinds == [
        ("response", "http://globe.test/1"),
        ("request", "http://globe.test/1"),
        ("metadata", "http://globe.test/1"),
        ("response", "http://globe.test/2"),
        ("request", "http://globe.test/2"),
    ]
    assert [ref for kind, _, ref in records if kind == "metadata"] == [record_id]


def test_a_failed_queued_write_stops_the_crawl_and_the_next_call_raises(tmp_path: Path) -> None:
    fatal: list[WarcWriteError] = []
    writer = RefusingWriter(tmp_path, "t", host="h")
    service = WarcService(writer, stats=get_crawler().stats, on_fatal=fatal.append)

    async def crawl() -> WarcWriteError | None:
        locations = await service.write_exchange(plain("http://globe.test/1"))
        service.queue_metadata("http://globe.test/1", locations.response.record_id, [])
        await _flush(service)  # the failure reached the reactor before this result did
        try:
            service.queue_metadata("http://globe.test/1", locations.response.record_id, [])
        except WarcWriteError as exc:
            return exc
        return None

    raised = asyncio.run(crawl())
    service.close()
    assert raised is not None and "No space left" in str(raised)
    assert fatal == [raised] and service.failed is raised  # reported once
    assert service.stats.get_value("newsarc/warc/records") == 2  # the exchange, not the metadata


def test_a_queued_failure_after_the_last_reactor_turn_is_still_reported(tmp_path: Path) -> None:
    release = threading.Event()

    class LateRefusal(RefusingWriter):
        def write_metadata(self, *args: Any, **kwargs: Any) -> Any:
            release.wait()
            return super().write_metadata(*args, **kwargs)

    fatal: list[WarcWriteError] = []
    service = WarcService(LateRefusal(tmp_path, "t", host="h"), on_fatal=fatal.append)

    async def crawl() -> None:
        locations = await service.write_exchange(plain("http://globe.test/1"))
        service.queue_metadata("http://globe.test/1", locations.response.record_id, [])

    asyncio.run(crawl())
    release.set()  # the write fails only now, with the loop gone
    service.close()
    assert service.failed is not None and fatal == [service.failed]


def test_a_bug_in_a_queued_write_loses_the_record_not_the_crawl(tmp_path: Path) -> None:
    class Buggy(WarcWriter):
        def write_metadata(self, *args: Any, **kwargs: Any) -> Any:
            raise TypeError("bad item")

    stats = get_crawler().stats
    service = WarcService(Buggy(tmp_path, "t", host="h"), stats=stats)

    async def crawl() -> None:
        locations = await service.write_exchange(plain("http://globe.test/1"))
        service.queue_metadata("http://globe.test/1", locations.response.record_id, [])
        await _flush(service)
        await service.write_exchange(plain("http://globe.test/2"))

    asyncio.run(crawl())
    service.close()
    assert service.failed is None
    assert stats.get_value("newsarc/warc/metadata_errors") == 1
    assert stats.get_value("newsarc/warc/records") == 4


def test_the_service_with_a_writer_process_queues_metadata_behind_its_response(
    tmp_path: Path,
) -> None:
    import functools

    from archive.warc.process import WriterProcess

    stats = get_crawler().stats
    service = WarcService(WriterProcess(functools.partial(fixed_writer, tmp_path)), stats=stats)

    async def crawl() -> list[str]:
        first = await service.write_exchange(plain("http://globe.test/1"))
        service.queue_metadata("http://globe.test/1", first.response.record_id, [("a", "b")])
        second = await service.write_exchange(plain("http://globe.test/2"))
        await asyncio.wrap_future(service.barrier())
        return [first.response.record_id, second.response.record_id]

    ids = asyncio.run(crawl())
    service.close()
    assert stats.get_value("newsarc/warc/records") == 2 + 1 + 2
    assert stats.get_value("newsarc/warc/files") == 1
    (path,) = service.writer.closed_files
    with Path(path).open("rb") as fh:
        records = [(r.type, r.target_uri, r.get("WARC-Concurrent-To")) for r in iter_records(fh)]
    assert [kind for kind, _, _ in records] == [
        "warcinfo",
        "response",
        "request",
        "metadata",
        "response",
        "request",
    ]
    assert [ref for kind, _, ref in records if kind == "metadata"] == [ids[0]]


def test_a_failed_write_in_the_writer_process_stops_the_crawl(tmp_path: Path) -> None:
    import functools

    from archive.warc.process import WriterProcess

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    fatal: list[WarcWriteError] = []
    writer = WriterProcess(functools.partial(WarcWriter, blocker / "warc", "t", host="h"))
    service = WarcService(writer, stats=get_crawler().stats, on_fatal=fatal.append)

    async def crawl() -> None:
        await service.write_exchange(plain("http://globe.test/1"))

    try:
        asyncio.run(crawl())
    except WarcWriteError as exc:
        raised: WarcWriteError | None = exc
    else:
        raised = None
    service.close()
    assert raised is not None and "cannot create WARC file" in str(raised)
    assert fatal == [raised] and service.failed is raised
