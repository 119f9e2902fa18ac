"""One crawl per event at a time: the S3 lease on a real Ceph RGW, and two `newsarc crawl` of one
event started one after the other, on a local archive and on S3."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archive.errors import EventLocked, ExitCode
from archive.storage.lock import Holder, S3Lease
from archive.storage.s3 import S3Storage
from crawler.demoweb import DemoWeb, demo_event_path
from tests.conftest import NEWSARC, SLUG, connect_args
from tests.support import REPO
from tests.support.archives import s3_env
from tests.support.s3fixtures import S3Server


def lease(storage: S3Storage, pid: int, now: float, ttl: float = 60.0) -> S3Lease:
    return S3Lease(
        storage, "ev/crawl.lock", Holder("host", pid, "start"), ttl=ttl, clock=lambda: now
    )


def test_s3_lease_excludes_then_expires(make_s3: Callable[..., S3Storage]) -> None:
    storage = make_s3("lock")
    first = lease(storage, 1, now=1000.0)
    first.acquire()
    try:
        with pytest.raises(EventLocked, match="pid 1"):
            lease(storage, 2, now=1030.0).acquire()  # within the first one's ttl
        taker = lease(storage, 3, now=2000.0)  # the first holder died: its lease has expired
        taker.acquire()
        told: list[bool] = []
        first.on_lost = lambda: told.append(True)
        assert not first.renew() and first.lost  # the dead holder cannot take it back
        assert told == [True]  # and is told, so that its crawl stops
        assert taker.renew()
        taker.release()
        assert storage.get_with_etag("ev/crawl.lock") is None
    finally:
        first.release()


def crawl(out: str, web: DemoWeb, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    args = ["crawl", str(demo_event_path()), "--out", out, "--json", *connect_args(web), *extra]
    return subprocess.Popen(
        [*NEWSARC, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


def warc_responses(directory: Path) -> set[str]:
    from archive.warc.reader import iter_records

    seen = set()
    for path in directory.glob("*.warc.gz"):
        with path.open("rb") as fh:
            seen |= {r.target_uri for r in iter_records(fh) if r.type == "response"}
    return seen


def run_two(
    out: str, env: dict[str, str], *extra: str
) -> tuple[Any, subprocess.CompletedProcess[str]]:
    with DemoWeb(slow_seconds=0.5) as web:
        first = crawl(out, web, env, *extra)
        web.wait_for(lambda exchanges: len(exchanges) >= 3, timeout=120)  # A is crawling
        second = subprocess.run(
            [*NEWSARC, "crawl", str(demo_event_path()), "--out", out, *connect_args(web), *extra],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=120,
            check=False,
        )
        stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-3000:]
    assert second.returncode == ExitCode.LOCKED
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "is being crawled by" in lines[0], second.stderr
    assert f"pid {first.pid}" in lines[0]
    return json.loads(stdout), second


def test_a_second_local_crawl_exits_at_once_and_the_first_one_completes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stats, _ = run_two(str(out), dict(os.environ))
    event_dir = out / SLUG
    manifests = list((event_dir / "crawls").glob("*/manifest.json"))
    assert len(manifests) == 1  # the second crawl left nothing behind
    manifest = json.loads(manifests[0].read_text())
    keys = [o["key"] for o in manifest["objects"]]
    warcs = sorted(event_dir.glob("warc/*.warc.gz"))
    assert warcs and all(any(k.endswith(w.name) for k in keys) for w in warcs)
    assert not list(event_dir.glob("warc/*.open"))
    # every capture in the WARCs is in the event index
    index = (event_dir / "index.cdxj").read_text().splitlines()
    indexed = {json.loads(line.split(" ", 2)[2])["url"] for line in index}
    assert warc_responses(event_dir / "warc") <= indexed
    assert stats["finish_reason"] == "finished"


def test_a_second_s3_crawl_exits_at_once(
    tmp_path: Path, s3_server: S3Server, s3_client: Any, s3_bucket: str
) -> None:
    out = f"s3://{s3_bucket}/archive"
    env = s3_env(s3_server)
    # each crawl has its own spool, as on two machines: only the lease stands between them
    spool_a, spool_b = tmp_path / "a", tmp_path / "b"
    with DemoWeb(slow_seconds=0.5) as web:
        first = crawl(out, web, env, "--spool", str(spool_a))
        web.wait_for(lambda exchanges: len(exchanges) >= 3, timeout=120)
        second = subprocess.run(
            [*NEWSARC, "crawl", str(demo_event_path()), "--out", out, *connect_args(web),
             "--spool", str(spool_b)],
            capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False,
        )  # fmt: skip
        _, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-3000:]
    assert second.returncode == ExitCode.LOCKED, second.stderr[-2000:]
    assert "is being crawled by" in second.stderr and f"pid {first.pid}" in second.stderr
    listed = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=f"archive/{SLUG}/")
    keys = [o["Key"] for o in listed.get("Contents", [])]
    manifests = [k for k in keys if k.endswith("manifest.json")]
    assert len(manifests) == 1
    assert f"archive/{SLUG}/crawl.lock" not in keys  # released
    body = s3_client.get_object(Bucket=s3_bucket, Key=f"archive/{SLUG}/index.cdxj")["Body"].read()
    assert body.strip()
    assert not list(spool_b.rglob("*.warc.gz*"))
