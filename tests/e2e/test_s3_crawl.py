"""Crawls into a real S3 server (Ceph RGW started by the suite): layout, verified manifest,
outages during and after the crawl, the spool bound, resume, and no credentials anywhere."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.demoweb import DemoWeb, demo_event_path
from tests.conftest import NEWSARC, SLUG, connect_args, newsarc
from tests.support.archives import s3_env
from tests.support.s3fixtures import S3Server
from tests.support.services.fault_proxy import FaultProxy


def wait_until(predicate: Callable[[], bool], timeout: float = 90) -> None:
    """Poll a condition with a deadline (synchronisation on state, not on time)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def listing(client: Any, bucket: str, prefix: str) -> dict[str, int]:
    out = {}
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                out[obj["Key"]] = obj["Size"]
    except client.exceptions.NoSuchBucket:
        return {}  # nothing was ever written
    return out


def shape(keys: set[str]) -> set[str]:
    """Keys with crawl ids, timestamps, serials, hosts and document ids made generic."""
    out = set()
    for key in keys:
        key = re.sub(r"\d{8}T\d{6}Z", "<crawl>", key)
        key = re.sub(r"-\d{17}-\d{5}-[^/]+\.warc\.gz$", "-<ts>.warc.gz", key)
        key = re.sub(r"-\d{17}-\d{5}-[^/]+\.cdxj$", "-<ts>.cdxj", key)
        key = re.sub(r"/text/[0-9a-f]{16}\.txt$", "/text/<id>.txt", key)
        out.add(key)
    return out


def check_manifest(
    client: Any, bucket: str, prefix: str, secret: str | None = None
) -> dict[str, Any]:
    keys = listing(client, bucket, prefix)
    (manifest_key,) = [k for k in keys if k.endswith("/manifest.json")]
    manifest = json.loads(client.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    listed = {f"{prefix}{o['key']}": o for o in manifest["objects"]}
    # the event's merged CDXJ is shared by its crawls, so no manifest lists it
    event_index = f"{prefix}{manifest['event']}/index.cdxj"
    assert set(listed) | {manifest_key, event_index} == set(keys)  # nothing missing or twice
    for key, obj in listed.items():
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert len(body) == obj["size"] == keys[key], key
        assert hashlib.sha256(body).hexdigest() == obj["sha256"], key
        if secret:
            assert secret.encode() not in body, key  # never in a WARC, manifest or article
    return manifest


def demo_to_s3(
    server: S3Server,
    bucket: str,
    spool: Path,
    *extra: str,
    endpoint: str | None = None,
    web: DemoWeb | None = None,
) -> subprocess.CompletedProcess[str]:
    args = ["--out", f"s3://{bucket}/archive", "--spool", str(spool), "--json", *extra]
    if web is None:
        return newsarc("demo", *args, env=s3_env(server, endpoint))
    return newsarc(
        "crawl", str(demo_event_path()), *args, *connect_args(web), env=s3_env(server, endpoint)
    )


def upload_resume(
    server: S3Server, bucket: str, spool: Path, endpoint: str
) -> subprocess.CompletedProcess[str]:
    """`newsarc upload --resume` of a spool into ``s3://bucket/archive``; it must succeed."""
    args = ["--out", f"s3://{bucket}/archive", "--spool", str(spool), "--json"]
    resumed = newsarc("upload", "--resume", *args, env=s3_env(server, endpoint))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return resumed


def check_event_index_holds_the_crawl(client: Any, bucket: str, crawl_id: str) -> None:
    """The event's merged index is the (only) crawl's index: the resume merged it in."""
    crawl_index = f"archive/{SLUG}/crawls/{crawl_id}/index.cdxj"
    event_index = f"archive/{SLUG}/index.cdxj"
    body = {
        k: client.get_object(Bucket=bucket, Key=k)["Body"].read()
        for k in (crawl_index, event_index)
    }
    assert body[event_index] == body[crawl_index] and body[crawl_index].count(b"\n") > 20


def start_s3_crawl(
    server: S3Server, bucket: str, spool: Path, endpoint: str, web: DemoWeb, *extra: str
) -> subprocess.Popen[str]:
    """The demo event crawled into ``s3://bucket/archive`` in the background."""
    return subprocess.Popen(
        [
            *NEWSARC,
            "crawl",
            str(demo_event_path()),
            "--out",
            f"s3://{bucket}/archive",
            "--spool",
            str(spool),
            "--json",
            *extra,
            *connect_args(web),
        ],
        env=s3_env(server, endpoint),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_demo_into_s3_matches_the_local_layout(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str, s3_client: Any
) -> None:
    result = demo_to_s3(s3_server, s3_bucket, tmp_path / "spool")
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(result.stdout)
    assert stats["articles"] == 18 and stats["archive"] == f"s3://{s3_bucket}/archive/{SLUG}"
    manifest = check_manifest(s3_client, s3_bucket, "archive/", s3_server.secret_key)
    assert manifest["finish_reason"] == "finished" and manifest["event"] == SLUG
    # the spool keeps only what the next crawl continues (dedup index, crawl state) and the lock
    left = [p.relative_to(tmp_path / "spool").as_posix() for p in (tmp_path / "spool").rglob("*.*")]
    assert sorted(p for p in left if not p.endswith((".toml", ".json"))) == [
        f"{SLUG}/crawl.lock",
        f"{SLUG}/dedup/index.sqlite",
        f"{SLUG}/state/crawl-state.sqlite",
    ]
    local = newsarc("demo", "--out", str(tmp_path / "local"), "--json")
    assert local.returncode == 0
    local_keys = {
        p.relative_to(tmp_path / "local").as_posix()
        for p in (tmp_path / "local").rglob("*")
        if p.is_file() and p.name != "crawl.lock"  # the local lock stays; the S3 lease goes
    }
    s3_keys = {k.removeprefix("archive/") for k in listing(s3_client, s3_bucket, "archive/")}
    assert shape(local_keys) == shape(s3_keys)
    for output in (result.stdout, result.stderr):
        assert s3_server.secret_key not in output


def test_outage_during_the_crawl_spools_then_uploads_everything(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str, s3_client: Any, fault_proxy: FaultProxy
) -> None:
    fault_proxy.inject("503", count=10**6)  # the store is down when the crawl starts
    with DemoWeb(slow_seconds=0.1) as web:
        proc = start_s3_crawl(
            s3_server,
            s3_bucket,
            tmp_path / "spool",
            fault_proxy.url,
            web,
            "--warc-size",
            "50KB",
            "-s",
            "NEWSARC_UPLOAD_MAX_BACKOFF=1",
        )
        web.wait_for(lambda xs: len(xs) >= 40, timeout=60)  # crawling goes on while it is down
        seen = sum(fault_proxy.counts.values())
        wait_until(lambda: sum(fault_proxy.counts.values()) > seen)  # an upload met the outage
        fault_proxy.clear()  # the store comes back
        stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr[-3000:]
    counters = json.loads(stdout)["counters"]
    assert counters["newsarc/upload/manifest"] == 1
    manifest = check_manifest(s3_client, s3_bucket, "archive/")
    assert sum(1 for o in manifest["objects"] if o["key"].endswith(".warc.gz")) >= 3


def test_store_still_down_at_the_end_then_upload_resume(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str, s3_client: Any, fault_proxy: FaultProxy
) -> None:
    fault_proxy.inject("503", count=10**6)
    with DemoWeb(slow_seconds=0.1) as web:
        result = demo_to_s3(
            s3_server,
            s3_bucket,
            tmp_path / "spool",
            "-s",
            "NEWSARC_UPLOAD_DRAIN_TIMEOUT=2",
            "-s",
            "NEWSARC_UPLOAD_MAX_BACKOFF=1",
            endpoint=fault_proxy.url,
            web=web,
        )
    assert result.returncode == 5, result.stderr[-3000:]
    assert "newsarc upload --resume" in result.stderr
    assert not [k for k in listing(s3_client, s3_bucket, "archive/") if k.endswith("manifest.json")]
    assert list((tmp_path / "spool").rglob("manifest.pending.json"))
    fault_proxy.clear()
    resumed = upload_resume(s3_server, s3_bucket, tmp_path / "spool", fault_proxy.url)
    assert json.loads(resumed.stdout)["manifests"] == 1
    manifest = check_manifest(s3_client, s3_bucket, "archive/")
    assert not list((tmp_path / "spool").rglob("*.warc.gz"))
    check_event_index_holds_the_crawl(s3_client, s3_bucket, manifest["crawl_id"])


def test_an_event_index_that_cannot_be_updated_leaves_the_crawl_pending(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str, s3_client: Any, fault_proxy: FaultProxy
) -> None:
    # every upload works; only reading the event's merged index fails
    fault_proxy.inject("503", count=10**6, match=f"/{s3_bucket}/archive/{SLUG}/index.cdxj")
    spool = tmp_path / "spool"
    result = demo_to_s3(s3_server, s3_bucket, spool, endpoint=fault_proxy.url)
    assert result.returncode == 5, result.stderr[-3000:]
    assert "cannot update the event's index" in result.stderr
    keys = listing(s3_client, s3_bucket, "archive/")
    assert not [k for k in keys if k.endswith("manifest.json")]
    assert f"archive/{SLUG}/index.cdxj" not in keys
    assert len([k for k in keys if k.endswith("/index.cdxj")]) == 1  # the crawl's own
    fault_proxy.clear()
    upload_resume(s3_server, s3_bucket, spool, fault_proxy.url)
    manifest = check_manifest(s3_client, s3_bucket, "archive/")
    check_event_index_holds_the_crawl(s3_client, s3_bucket, manifest["crawl_id"])


def test_a_full_spool_pauses_fetching_until_uploads_catch_up(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str, s3_client: Any, fault_proxy: FaultProxy
) -> None:
    fault_proxy.inject("503", count=10**6)
    with DemoWeb(slow_seconds=0.1) as web:
        proc = start_s3_crawl(
            s3_server,
            s3_bucket,
            tmp_path / "spool",
            fault_proxy.url,
            web,
            "--warc-size",
            "20KB",
            "-s",
            "NEWSARC_SPOOL_LIMIT=30000",
            "-s",
            "NEWSARC_UPLOAD_MAX_BACKOFF=1",
            "-v",
        )
        assert proc.stderr is not None
        for line in proc.stderr:  # condition, not timing: the crawl says it paused
            if "pausing fetches" in line:
                break
        served_at_pause = len(web.exchanges)
        fault_proxy.clear()
        stdout, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0
    counters = json.loads(stdout)["counters"]
    assert counters["newsarc/upload/pauses"] >= 1
    assert len(web.exchanges) > served_at_pause  # and it went on after the store came back
    check_manifest(s3_client, s3_bucket, "archive/")


def test_resets_stalls_and_truncated_uploads_during_a_crawl_are_recovered(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str, s3_client: Any, fault_proxy: FaultProxy
) -> None:
    # a few of each fault on the uploads of a crawl, then the store behaves again
    fault_proxy.inject("reset", count=2, match="PUT")
    fault_proxy.inject("truncate_upload", count=2, match="PUT")
    fault_proxy.inject("cut_upload", count=1, match="PUT")
    fault_proxy.inject("503", count=3, match="PUT")
    fault_proxy.inject("delay", count=1, match="HEAD", seconds=2.0)
    with DemoWeb(slow_seconds=0.1) as web:
        result = demo_to_s3(
            s3_server,
            s3_bucket,
            tmp_path / "spool",
            "--warc-size",
            "40KB",
            "-s",
            "NEWSARC_UPLOAD_MAX_BACKOFF=1",
            endpoint=fault_proxy.url,
            web=web,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert fault_proxy.pending() == 0  # every injected fault was hit
    assert sum(fault_proxy.injected.values()) == 9
    manifest = check_manifest(s3_client, s3_bucket, "archive/", s3_server.secret_key)
    assert sum(1 for o in manifest["objects"] if o["key"].endswith(".warc.gz")) >= 4
