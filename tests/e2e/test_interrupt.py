"""Interrupted crawls: SIGKILL leaves an .open file that repair (or the next crawl) fixes
without losing a complete record; SIGTERM closes the file cleanly."""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from archive.articles.store import read_articles
from archive.warc.reader import iter_records
from archive.warc.repair import scan_members
from crawler.demoweb import DemoWeb, demo_event_path
from tests.conftest import NEWSARC, SLUG, connect_args, newsarc


def start_crawl(web: DemoWeb, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *NEWSARC,
            "crawl",
            str(demo_event_path()),
            "--out",
            str(out),
            "--json",
            *connect_args(web),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_records(web: DemoWeb, warc_dir: Path, minimum_exchanges: int) -> Path:
    """Block until the crawl has written this many exchanges (server-side condition), then
    return the .open file."""
    web.wait_for(lambda xs: len(xs) >= minimum_exchanges, timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        files = list(warc_dir.glob("*.warc.gz.open"))
        if files and scan_members(files[0])[0] >= 1 + 2 * (minimum_exchanges - 5):
            return files[0]
        time.sleep(0.01)  # polling a condition with a deadline, not timing
    raise AssertionError("the crawl wrote no records")


def test_sigkill_then_repair_keeps_every_complete_record(tmp_path: Path) -> None:
    warc_dir = tmp_path / SLUG / "warc"
    with DemoWeb(slow_seconds=30) as web:  # the slow page keeps the crawl busy
        proc = start_crawl(web, tmp_path)
        try:
            open_file = wait_for_records(web, warc_dir, 20)
            before, _ = scan_members(open_file)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert open_file.exists()
    # the kill itself may have landed mid-record: whatever follows the last complete member
    # at this point is torn already
    after, good_end = scan_members(open_file)
    torn = open_file.stat().st_size - good_end
    # tear the last record as a kill mid-write would
    with open_file.open("ab") as fh:
        fh.write(b"\x1f\x8b\x08\x00partial-record")
    result = newsarc("repair", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[0])
    repaired = Path(report["repaired"])
    assert after >= before and report["records"] == after
    assert report["bytes_dropped"] == torn + len(b"\x1f\x8b\x08\x00partial-record")
    assert not list(warc_dir.glob("*.open"))
    with repaired.open("rb") as fh:
        assert sum(1 for _ in iter_records(fh)) == report["records"]
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(repaired)])
    assert check.returncode == 0


def test_next_crawl_repairs_a_leftover_open_file(tmp_path: Path) -> None:
    warc_dir = tmp_path / SLUG / "warc"
    with DemoWeb(slow_seconds=30) as web:
        proc = start_crawl(web, tmp_path)
        try:
            open_file = wait_for_records(web, warc_dir, 10)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
    with DemoWeb(slow_seconds=0.1) as web:
        again = newsarc(
            "crawl", str(demo_event_path()), "--out", str(tmp_path), "--json", *connect_args(web)
        )
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["counters"]["newsarc/warc/repaired_files"] == 1
    assert not list(warc_dir.glob("*.open"))
    assert open_file.with_name(open_file.name.removesuffix(".open")).exists()
    assert len(list(warc_dir.glob("*.warc.gz"))) == 2


def test_sigterm_closes_the_warc_cleanly(tmp_path: Path) -> None:
    warc_dir = tmp_path / SLUG / "warc"
    with DemoWeb(slow_seconds=2) as web:
        proc = start_crawl(web, tmp_path)
        wait_for_records(web, warc_dir, 10)
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert json.loads(stdout)["finish_reason"] == "shutdown"
    files = list(warc_dir.glob("*.warc.gz"))
    assert len(files) == 1 and not list(warc_dir.glob("*.open"))
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(files[0])])
    assert check.returncode == 0


def _articles(event_dir: Path) -> list[dict[str, Any]]:
    """Every stored article record of every crawl (each capture, as written)."""
    return [
        a for path in sorted((event_dir / "articles").glob("*.jsonl")) for a in read_articles(path)
    ]


def test_two_ctrl_c_at_random_moments_seal_everything(tmp_path: Path) -> None:
    """Ten crawls into one archive, each stopped by two SIGINTs at random moments: each exits
    130 with 'shutdown (forced)', seals its WARC (no .open), writes its manifest; the next,
    uninterrupted crawl completes and no URL is 'unique' twice in the article sets."""
    seed = secrets.randbits(32)
    rng = random.Random(seed)
    event_dir = tmp_path / SLUG
    with DemoWeb(slow_seconds=120) as web:  # the slow page is in flight when the signals come
        for round_ in range(10):
            where = f"seed {seed}, round {round_}"
            proc = start_crawl(web, tmp_path)
            try:
                web.wait_for_delayed(round_ + 1, timeout=60)
                time.sleep(rng.uniform(0.0, 1.5))  # the random moments are the test's input
                proc.send_signal(signal.SIGINT)
                time.sleep(rng.uniform(0.0, 1.0))
                proc.send_signal(signal.SIGINT)
                stdout, stderr = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
            assert proc.returncode == 130, (where, stderr[-2000:])
            assert "Traceback" not in stderr, (where, stderr[-2000:])
            assert "stopping: finishing" in stderr and "again to stop now" in stderr, where
            report = json.loads(stdout)
            assert report["finish_reason"] == "shutdown (forced)", where
            assert not list((event_dir / "warc").glob("*.open")), where
            manifests = sorted((event_dir / "crawls").glob("*/manifest.json"))
            assert len(manifests) == round_ + 1, where
            manifest = json.loads(manifests[-1].read_text())
            assert manifest["finish_reason"] == "shutdown (forced)", where
    with DemoWeb(slow_seconds=0.1) as web:
        again = newsarc(
            "crawl", str(demo_event_path()), "--out", str(tmp_path), "--json", *connect_args(web)
        )
    assert again.returncode == 0, (seed, again.stderr[-2000:])
    assert not list((event_dir / "warc").glob("*.open"))
    for warc in sorted((event_dir / "warc").glob("*.warc.gz")):
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(warc)])
        assert check.returncode == 0, (seed, warc.name)
    unique = Counter(a["url"] for a in _articles(event_dir) if a["dup"]["kind"] == "unique")
    assert unique and max(unique.values()) == 1, (seed, unique.most_common(3))
