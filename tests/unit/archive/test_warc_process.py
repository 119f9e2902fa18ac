"""archive.warc.process: the WARC writer in a process of its own writes what the writer would."""

from __future__ import annotations

import functools
import os
import signal
from pathlib import Path

import pytest

from archive.errors import WarcWriteError
from archive.warc.process import WriterProcess
from archive.warc.reader import iter_records
from archive.warc.writer import WarcWriter
from tests.support.warcs import exchange, fixed_writer

PLAIN = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"


def _calls(writer: WarcWriter | WriterProcess) -> list[object]:
    out: list[object] = [writer.write_exchange(exchange())]  # chunked: three records
    out.append(writer.write_metadata("http://globe.test/a", "<urn:x>", [("outlink", "http://b/")]))
    out.append(writer.write_exchange(exchange("http://globe.test/b", PLAIN)))
    out.append(writer.close())
    return out


def test_same_bytes_locations_and_counters_as_the_writer_in_process(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    local = fixed_writer(here)
    remote = WriterProcess(functools.partial(fixed_writer, there))
    expected, got = _calls(local), _calls(remote)
    assert got[:3] == expected[:3]  # ExchangeLocations / RecordLocation, field for field
    assert got[3] == there / Path(str(expected[3])).name
    assert [p.name for p in remote.closed_files] == [p.name for p in local.closed_files]
    assert (remote.records_written, remote.bytes_written) == (
        local.records_written,
        local.bytes_written,
    )
    (mine,), (theirs,) = local.closed_files, remote.closed_files
    assert theirs.read_bytes() == mine.read_bytes()
    # close() ended the child (under load the forkserver may report a clean exit as 255:
    # CPython issue 140867; a failing child exits 1 or by a signal)
    assert not remote._process.is_alive() and remote._process.exitcode in (0, 255)


def test_rotated_files_reach_on_close_here_in_order(tmp_path: Path) -> None:
    remote = WriterProcess(functools.partial(fixed_writer, tmp_path, max_size=1500))
    seen: list[Path] = []
    remote.on_close = seen.append
    for n in range(6):
        remote.write_exchange(exchange(f"http://globe.test/{n}", PLAIN))
    remote.close()
    assert len(seen) >= 3 and seen == remote.closed_files
    assert all(p.exists() and not p.name.endswith(".open") for p in seen)
    uris = []
    for path in seen:
        with path.open("rb") as fh:
            uris += [r.target_uri for r in iter_records(fh) if r.type == "response"]
    assert uris == [f"http://globe.test/{n}" for n in range(6)]


def test_a_write_error_in_the_child_is_raised_here_and_the_child_goes_on(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the WARC directory should be")
    remote = WriterProcess(functools.partial(WarcWriter, blocker / "warc", "t", host="h"))
    with pytest.raises(WarcWriteError, match="cannot create WARC file"):
        remote.write_exchange(exchange())
    blocker.unlink()  # the disk is back: the same child writes the next exchange
    location = remote.write_exchange(exchange("http://globe.test/b", PLAIN))
    assert remote.close() == blocker / "warc" / location.response.filename


def test_a_dead_child_fails_every_later_call_without_hanging(tmp_path: Path) -> None:
    remote = WriterProcess(functools.partial(fixed_writer, tmp_path))
    remote.write_exchange(exchange())
    assert remote.pid is not None
    os.kill(remote.pid, signal.SIGKILL)
    with pytest.raises(WarcWriteError, match="process"):
        remote.write_exchange(exchange("http://globe.test/b", PLAIN))
    with pytest.raises(WarcWriteError, match="gone"):
        remote.write_metadata("http://globe.test/b", "<urn:x>", [])
    assert remote.close() is None  # nothing left to close: no hang, no second error
    # what the child wrote before it died is an .open file, whole records only (repairable)
    (left,) = tmp_path.glob("*.warc.gz.open")
    with left.open("rb") as fh:
        assert [r.type for r in iter_records(fh)][:2] == ["warcinfo", "response"]


def _broken_factory() -> WarcWriter:
    raise ValueError("bad settings")


def test_a_writer_that_cannot_be_built_is_a_write_error() -> None:
    remote = WriterProcess(_broken_factory)
    with pytest.raises(WarcWriteError, match="bad settings"):
        remote.write_exchange(exchange())
    remote.close()


def test_calls_are_pipelined_and_carried_out_in_order(tmp_path: Path) -> None:
    remote = WriterProcess(functools.partial(fixed_writer, tmp_path))
    futures = [
        remote.submit("write_exchange", exchange(f"http://globe.test/{n}", PLAIN))
        for n in range(20)
    ]
    barrier = remote.barrier()  # sent after all twenty, before any reply was read
    barrier.result(timeout=30)
    assert all(f.done() for f in futures)  # replies come in call order
    offsets = [f.result().response.offset for f in futures]
    assert offsets == sorted(offsets) and len(set(offsets)) == 20
    (path,) = [remote.close()]
    with Path(str(path)).open("rb") as fh:
        uris = [r.target_uri for r in iter_records(fh) if r.type == "response"]
    assert uris == [f"http://globe.test/{n}" for n in range(20)]
