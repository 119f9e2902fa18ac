"""Session fixtures: the bundled demo web on 127.0.0.1 and one real crawl of it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archive.warc.reader import Record, iter_records
from crawler.demoweb import DemoWeb, demo_event_path
from tests.support.archives import archive, s3_archive  # noqa: F401 (the demo archive, local and S3)
from tests.support.redisserver import RedisServer
from tests.support.s3fixtures import *  # noqa: F403 (real S3 fixtures)
from tests.support.tls import tls_server  # noqa: F401 (an HTTPS server for secure.test)

SLUG = "demo-wang-yi-moscow"


NEWSARC = [sys.executable, "-m", "crawler"]  # the newsarc command, in this interpreter


def newsarc(*args: str, timeout: float = 300, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run the ``newsarc`` command in a subprocess (a Twisted reactor cannot restart)."""
    return subprocess.run(
        [*NEWSARC, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def connect_args(web: DemoWeb) -> list[str]:
    out = []
    for host, target in web.connect_to().items():
        out += ["--connect-to", f"{host}={target}"]
    return out


def warc_records(directory: Path) -> list[Record]:
    records: list[Record] = []
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as fh:
            records += list(iter_records(fh))
    return records


@dataclass
class DemoCrawl:
    web: DemoWeb
    out: Path
    stats: dict[str, Any]
    stderr: str
    returncode: int

    @property
    def warc_dir(self) -> Path:
        return self.out / SLUG / "warc"

    @property
    def counters(self) -> dict[str, int]:
        return dict(self.stats["counters"])

    def records(self) -> list[Record]:
        return warc_records(self.warc_dir)


@pytest.fixture(scope="session")
def demo_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCrawl]:
    out = tmp_path_factory.mktemp("demo-crawl")
    with DemoWeb(slow_seconds=0.5, huge_bytes=8 * 1024 * 1024) as web:
        proc = newsarc(
            "crawl",
            str(demo_event_path()),
            "--out",
            str(out),
            "--json",
            "--warc-size",
            "100KB",
            *connect_args(web),
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        yield DemoCrawl(web, out, json.loads(proc.stdout), proc.stderr, proc.returncode)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the session (see tests/support/redisserver.py)."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    from archive.cluster.connection import connect

    connect(redis_server.url).flushall()
    return redis_server.url
