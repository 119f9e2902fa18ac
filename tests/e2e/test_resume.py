"""Resume after a kill: SIGKILL a crawl of the demo web at random moments, crawl again each time.

Afterwards every WARC is valid, every capture is in the event index, every WARC is listed in a
crawl's manifest, and no page completed before a kill was stored in full a second time.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from archive.warc.reader import iter_records
from crawler.demoweb import DemoWeb, demo_event_path
from tests.conftest import NEWSARC, SLUG, connect_args
from tests.support import REPO

KILLS = 10


def start(web: DemoWeb, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*NEWSARC, "crawl", str(demo_event_path()), "--out", str(out), "--json",
         *connect_args(web)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip


def test_sigkill_at_random_moments_then_resume(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rng = random.Random(20251205)
    kills_at = sorted(rng.sample(range(2, 60), KILLS))  # after this many exchanges of a crawl
    with DemoWeb(slow_seconds=0.2) as web:
        for moment in kills_at:
            web.clear_exchanges()
            proc = start(web, out)
            # a crawl with less than that left to do ends by itself before it is killed
            while proc.poll() is None:
                with contextlib.suppress(TimeoutError):
                    web.wait_for(lambda exchanges, n=moment: len(exchanges) >= n, timeout=0.5)
                    break
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=60)
        last = start(web, out)
        stdout, stderr = last.communicate(timeout=600)
    assert last.returncode == 0, stderr[-3000:]
    assert json.loads(stdout)["finish_reason"] == "finished"
    event = out / SLUG
    warcs = sorted((event / "warc").glob("*.warc.gz"))
    assert warcs and not list((event / "warc").glob("*.open"))
    for path in warcs:
        done = subprocess.run(
            [sys.executable, "-m", "warcio.cli", "check", str(path)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (path.name, done.stdout[-1000:])
    listed: set[str] = set()
    for manifest in event.glob("crawls/*/manifest.json"):
        listed |= {o["key"].rsplit("/", 1)[-1] for o in json.loads(manifest.read_text())["objects"]}
    assert {p.name for p in warcs} <= listed  # every WARC is in some crawl's manifest
    index = (event / "index.cdxj").read_text().splitlines()
    fields = [json.loads(line.split(" ", 2)[2]) for line in index]
    indexed = {(f["filename"], f["offset"]) for f in fields}
    full: dict[tuple[str, str], str] = {}
    for path in warcs:
        with path.open("rb") as fh:
            for record in iter_records(fh):
                if record.type not in ("response", "revisit"):
                    continue
                assert (path.name, str(record.offset)) in indexed, (path.name, record.target_uri)
                if record.type == "response" and record.block.startswith(b"HTTP/1.1 200"):
                    key = (record.target_uri, record.get("WARC-Payload-Digest") or "")
                    assert key not in full, f"{record.target_uri} stored in full twice"
                    full[key] = path.name
