"""The event lock: one crawl per event; a dead holder's lock is free; live files are never
repaired."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archive.errors import EventLocked, ExitCode
from archive.storage.lock import LocalLock, event_lock
from archive.warc.repair import repair_directory
from tests.support import REPO
from tests.support.warcs import exchange, fixed_writer

HOLD = """
import sys
from archive.storage.lock import event_lock
with event_lock(sys.argv[1], slug="ev"):
    print("held", flush=True)
    sys.stdin.read()  # until the parent closes stdin, or kills us
"""


@contextmanager
def holder_process(event_dir: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(event_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_a_second_holder_is_refused_with_the_first_ones_name(tmp_path: Path) -> None:
    with holder_process(tmp_path / "ev") as proc:
        with pytest.raises(EventLocked) as refused:
            LocalLock(tmp_path / "ev").acquire()
        assert f"pid {proc.pid}" in str(refused.value)
        assert "'ev'" in str(refused.value)
        assert refused.value.exit_code == ExitCode.LOCKED == 6
        assert LocalLock(tmp_path / "ev").held_by_other() is not None


def test_the_lock_of_a_killed_holder_is_free(tmp_path: Path) -> None:
    with holder_process(tmp_path / "ev") as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert LocalLock(tmp_path / "ev").held_by_other() is None
        with event_lock(tmp_path / "ev", slug="ev") as lease:
            assert lease is None  # no S3 lease for a local archive
            assert LocalLock(tmp_path / "ev").held_by_other() is None  # held by this process


def test_in_one_process_the_lock_is_exclusive_too(tmp_path: Path) -> None:
    with event_lock(tmp_path / "ev", slug="ev"), pytest.raises(EventLocked):
        LocalLock(tmp_path / "ev").acquire()
    LocalLock(tmp_path / "ev").acquire()  # released on exit


def open_warc(event_dir: Path) -> Path:
    writer = fixed_writer(event_dir / "warc")
    writer.write_exchange(exchange())
    path = writer._path
    assert path is not None and path.name.endswith(".open")
    os.close(writer._fd)  # type: ignore[arg-type]  # as a killed writer leaves it
    return path


def test_repair_never_touches_the_files_of_a_live_crawl(tmp_path: Path) -> None:
    event_dir = tmp_path / "ev"
    path = open_warc(event_dir)
    with holder_process(event_dir) as proc:
        assert repair_directory(tmp_path) == []
        assert path.exists()  # still open, still where its writer left it
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        (result,) = repair_directory(tmp_path)
    assert result.repaired is not None and result.records >= 2
    assert not path.exists()
