"""Recurring crawls of an s3:// archive: a crawl killed after some WARCs were uploaded is folded
into the next one, and a crawl on a fresh machine (an empty spool) continues the event's state."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from archive.cdxj.index import parse_line
from archive.warc.reader import iter_records
from crawler.demoweb import DemoWeb, demo_event_path
from tests.conftest import NEWSARC, SLUG, connect_args
from tests.support import REPO
from tests.support.archives import s3_env
from tests.support.s3fixtures import S3Server


def crawl(out: str, spool: Path, web: DemoWeb, env: dict[str, str]) -> list[str]:
    return [*NEWSARC, "crawl", str(demo_event_path()), "--out", out, "--spool", str(spool),
            "--warc-size", "100KB", "--json", *connect_args(web)]  # fmt: skip


def test_killed_then_resumed_then_a_fresh_machine(
    tmp_path: Path, s3_server: S3Server, s3_client: Any, s3_bucket: str
) -> None:
    out, env = f"s3://{s3_bucket}/archive", s3_env(s3_server)
    spool = tmp_path / "spool"
    with DemoWeb(slow_seconds=0.2) as web:
        killed = subprocess.Popen(crawl(out, spool, web, env), env=env, cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        web.wait_for(lambda exchanges: len(exchanges) >= 60, timeout=120)  # WARCs have rotated
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
        resumed = subprocess.run(crawl(out, spool, web, env), env=env, cwd=REPO,
                                 capture_output=True, text=True, timeout=600,
                                 check=False)  # fmt: skip
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        fresh = subprocess.run(crawl(out, tmp_path / "fresh-spool", web, env), env=env,
                               cwd=REPO, capture_output=True, text=True, timeout=600,
                               check=False)  # fmt: skip
        assert fresh.returncode == 0, fresh.stderr[-3000:]
        clean = subprocess.run(crawl(str(tmp_path / "clean"), tmp_path / "clean-spool", web, env),
                               env=env, cwd=REPO, capture_output=True, text=True, timeout=600,
                               check=False)  # fmt: skip
        assert clean.returncode == 0, clean.stderr[-3000:]
    assert json.loads(resumed.stdout)["counters"]["newsarc/warc/adopted_files"] >= 1
    # the resumed crawl found what the killed one had yet to fetch: it read the links of the
    # pages archived before the kill back from their WARCs, uploaded or not
    assert json.loads(resumed.stdout)["counters"]["newsarc/incremental/replayed"] >= 1
    again = json.loads(fresh.stdout)["counters"]
    assert again["newsarc/upload/state_fetched"] == 1  # the event's state, from the store
    assert again["newsarc/state/known_urls"] > 50
    assert again.get("newsarc/incremental/new", 0) < 10  # an incremental crawl, not a new one
    assert again["newsarc/incremental/replayed"] >= 1  # its sources, read from stored WARCs
    listed = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=f"archive/{SLUG}/")["Contents"]
    keys = [o["Key"] for o in listed]
    warcs = {k.rsplit("/", 1)[1] for k in keys if k.endswith(".warc.gz")}
    in_manifests: set[str] = set()
    for key in (k for k in keys if k.endswith("/manifest.json")):
        manifest = json.loads(s3_client.get_object(Bucket=s3_bucket, Key=key)["Body"].read())
        in_manifests |= {o["key"].rsplit("/", 1)[1] for o in manifest["objects"]}
    assert warcs and warcs <= in_manifests  # the killed crawl's uploaded WARCs too
    index = s3_client.get_object(Bucket=s3_bucket, Key=f"archive/{SLUG}/index.cdxj")["Body"]
    entries = [parse_line(line) for line in index.read().decode().splitlines()]
    indexed = {entry.filename for entry in entries}
    assert warcs <= indexed  # every WARC's captures reach the event index
    once = (tmp_path / "clean" / SLUG / "index.cdxj").read_text().splitlines()
    assert {parse_line(line).url for line in once} <= {e.url for e in entries}  # nothing lost
    # no page the killed crawl had archived is stored in full again (its WARCs, even those
    # already uploaded and gone from the spool, were read back into the crawl state)
    full: set[tuple[str, str]] = set()
    for name in sorted(warcs):
        body = s3_client.get_object(Bucket=s3_bucket, Key=f"archive/{SLUG}/warc/{name}")["Body"]
        for record in iter_records(io.BytesIO(body.read())):
            if record.type == "response" and record.block.startswith(b"HTTP/1.1 200"):
                key = (record.target_uri, record.get("WARC-Payload-Digest") or "")
                assert key not in full, f"{record.target_uri} stored in full twice"
                full.add(key)
