"""A failed WARC write stops the crawl (exit 3) and leaves every complete record intact."""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from archive.errors import WarcWriteError
from archive.warc.reader import iter_records
from crawler.demoweb import DemoWeb, demo_event_path
from tests.conftest import NEWSARC, SLUG, connect_args
from tests.support.warcs import exchange, fixed_writer


def test_a_torn_write_is_cut_back_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = fixed_writer(tmp_path)
    writer.write_exchange(exchange("http://globe.test/1"))
    good = writer.current_path
    assert good is not None
    size = good.stat().st_size
    real_write = os.write

    def half_then_full(fd: int, data: bytes | memoryview) -> int:
        if len(data) > 100:
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(WarcWriteError, match="No space left"):
        writer.write_exchange(exchange("http://globe.test/2"))
    monkeypatch.undo()
    assert good.stat().st_size == size
    final = writer.close()
    assert final is not None
    with final.open("rb") as fh:
        uris = [r.target_uri for r in iter_records(fh) if r.type == "response"]
    assert uris == ["http://globe.test/1"]


def limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))


def test_crawl_stops_with_exit_code_3_when_the_disk_refuses(tmp_path: Path) -> None:
    with DemoWeb() as web:
        proc = subprocess.run(
            [
                *NEWSARC,
                "crawl",
                str(demo_event_path()),
                "--out",
                str(tmp_path),
                "-s",
                "ITEM_PIPELINES={}",  # only the WARC writer meets the limit
                *connect_args(web),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=limit_file_size,
        )
        served = len(web.exchanges)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "WARC write failed" in proc.stderr and "File too large" in proc.stderr
    files = list((tmp_path / SLUG / "warc").glob("*.warc.gz"))
    assert len(files) == 1 and files[0].stat().st_size <= 60_000
    with files[0].open("rb") as fh:
        responses = [r for r in iter_records(fh) if r.type == "response"]
    assert 10 < len(responses) < served  # stopped early, and kept what it had written
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(files[0])])
    assert check.returncode == 0
