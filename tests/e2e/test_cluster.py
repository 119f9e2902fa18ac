"""Distributed crawls on a real redis-server: workers of one event's crawl, as users start them
(``newsarc crawl --redis``), on the demo web. What must hold: the workers archive what one
process archives, with the same articles and dedup verdicts; a worker killed mid-crawl loses
nothing; a Redis outage pauses the crawl and loses nothing; two workers never hit one host
faster than its delay; one manifest lists every worker's objects."""

from __future__ import annotations

import collections
import itertools
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.demoweb import DemoWeb, demo_event_path
from tests.conftest import NEWSARC, SLUG, DemoCrawl, connect_args, warc_records
from tests.support.httpserver import RecordingServer, Reply, html_links
from tests.support.redisserver import RedisServer


def start_worker(out: Path, web: DemoWeb, url: str, *extra: str,
                 event: Path | None = None) -> subprocess.Popen[str]:  # fmt: skip
    args = [*NEWSARC, "crawl", str(event or demo_event_path()), "--out", str(out), "--json",
            "--redis", url, *connect_args(web), *extra]  # fmt: skip
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(procs: list[subprocess.Popen[str]], timeout: float = 300) -> list[dict[str, Any]]:
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, stderr[-3000:]
        assert "Traceback" not in stderr, stderr[-3000:]
        assert "nothing could be fetched" not in stderr  # a worker may rightly fetch nothing
        out.append(json.loads(stdout))
    return out


def wait_for(check: Callable[[], bool], timeout: float = 120) -> None:
    """Poll an observable condition (a file grew, a count was reached): not a sleep."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def archived(out: Path) -> tuple[set[str], dict[str, Any], collections.Counter[str]]:
    event = out / SLUG
    urls = {r.get("WARC-Target-URI") or "" for r in warc_records(event / "warc")
            if r.get("WARC-Type") in ("response", "revisit")}  # fmt: skip
    articles: dict[str, Any] = {}
    for path in sorted((event / "articles").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            articles[record["url"]] = record
    kinds = collections.Counter(a["dup"]["kind"] for a in articles.values())
    return urls, articles, kinds


def check_archive(out: Path) -> dict[str, Any]:
    """Every WARC valid (warcio check), every capture in the event index, one manifest that
    lists every WARC and every worker's article part."""
    event = out / SLUG
    warcs = sorted((event / "warc").glob("*.warc.gz"))
    assert warcs and not list((event / "warc").glob("*.open"))
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, warcs)],
                           capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    captures = sum(1 for r in warc_records(event / "warc")
                   if r.get("WARC-Type") in ("response", "revisit"))  # fmt: skip
    lines = (event / "index.cdxj").read_text().splitlines()
    assert len(lines) == captures
    (manifest,) = list((event / "crawls").glob("*/manifest.json"))
    frontier = json.loads(manifest.read_text())["cluster"]["frontier"]
    # nothing lost: every request ever queued was acknowledged as done or listed as failed (the
    # one finisher wrote these counters before the crawl's keys were dropped)
    assert frontier["queued"] > 0
    assert frontier["done"] + frontier.get("failed", 0) >= frontier["queued"]
    listed = {o["key"] for o in json.loads(manifest.read_text())["objects"]}
    for path in warcs:
        assert f"{SLUG}/warc/{path.name}" in listed
    for path in (event / "articles").glob("*.jsonl"):
        assert f"{SLUG}/articles/{path.name}" in listed
    return json.loads(manifest.read_text())


def health_sites(path: Path) -> dict[str, Any]:
    """A crawl's per-site extraction signals, but the time of its first capture."""
    sites = json.loads(path.read_text())["sites"]
    return {host: {k: v for k, v in s.items() if k != "first_capture"} for host, s in sites.items()}


@pytest.fixture
def web() -> Iterator[DemoWeb]:
    with DemoWeb(slow_seconds=0.5, huge_bytes=8 * 1024 * 1024) as web:
        yield web


def test_three_workers_archive_what_one_process_does(
    demo_crawl: DemoCrawl, web: DemoWeb, redis_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "cluster"
    reports = finish([start_worker(out, web, redis_url) for _ in range(3)])
    assert sum(r["finished the crawl"] == "yes" for r in reports) == 1  # one finisher
    assert len({r["crawl"] for r in reports}) == 1  # one crawl, three workers
    manifest = check_archive(out)
    assert len(manifest["cluster"]["workers"]) == 3
    assert manifest["cluster"]["frontier"].get("failed", 0) == 0

    one_urls, one_articles, one_kinds = archived(demo_crawl.out)
    urls, articles, kinds = archived(out)
    # the same URLs: both schedule breadth first (depth is the shortest path from a seed) and
    # count the trap caps once for the crawl
    assert urls == one_urls, (sorted(one_urls - urls), sorted(urls - one_urls))
    assert {u: a["text_sha256"] for u, a in articles.items()} == {
        u: a["text_sha256"] for u, a in one_articles.items()
    }
    assert kinds == one_kinds  # the same dedup verdicts: one shared, ordered log
    # a first crawl: no revisit may point into another worker's file, open at the time
    revisits = [r for r in warc_records(out / SLUG / "warc") if r.get("WARC-Type") == "revisit"]
    assert revisits == []
    stories = {a["story"] for a in articles.values()}
    assert len(stories) == len({a["story"] for a in one_articles.values()})
    # extraction health of every worker's pages, concluded by the finisher as one process does
    (health,) = (out / SLUG / "crawls").glob("*/health.json")
    (one_health,) = (demo_crawl.out / SLUG / "crawls").glob("*/health.json")
    assert health_sites(health) == health_sites(one_health) and len(health_sites(health)) >= 3
    assert f"{SLUG}/crawls/{health.parent.name}/health.json" in {
        o["key"] for o in manifest["objects"]
    }
    finisher = next(r for r in reports if r["finished the crawl"] == "yes")
    assert finisher["alarms"] == [] and manifest["health"] == {"alarms": []}
    # each worker names its WARCs (Annex C crawlhost) and its part of the article set
    names = {p.name.rsplit("-", 3)[-3] for p in (out / SLUG / "warc").glob("*.warc.gz")}
    assert len(names) >= 2 or len(list((out / SLUG / "warc").glob("*.warc.gz"))) >= 2


def test_a_killed_worker_loses_nothing(
    demo_crawl: DemoCrawl, web: DemoWeb, redis_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "chaos"
    ttl = ["-s", "NEWSARC_LEASE_TTL=3", "-s", "DOWNLOAD_DELAY=0.05"]
    victim = start_worker(out, web, redis_url, *ttl)
    survivor = start_worker(out, web, redis_url, *ttl)
    warc_dir = out / SLUG / "warc"

    def victim_wrote() -> bool:
        name = f"-{victim.pid}-"
        return any(name in p.name and p.stat().st_size > 20_000 for p in warc_dir.glob("*"))

    wait_for(victim_wrote)
    victim.send_signal(signal.SIGKILL)
    victim.communicate()
    replacement = start_worker(out, web, redis_url, *ttl)
    reports = finish([survivor, replacement])
    assert sum(r["finished the crawl"] == "yes" for r in reports) == 1
    manifest = check_archive(out)  # the victim's open WARC was repaired, indexed and listed
    one_urls, one_articles, _ = archived(demo_crawl.out)
    urls, articles, _ = archived(out)
    assert urls == one_urls, (sorted(one_urls - urls), sorted(urls - one_urls))  # 0 lost
    assert set(articles) >= set(one_articles)
    frontier = manifest["cluster"]["frontier"]
    assert frontier.get("failed", 0) == 0
    # at most what the victim had in flight was fetched again (reported, not hidden)
    print("leased again after the kill:", frontier.get("leased_again", 0))


OUTAGE_SECONDS = 20.0  # the scenario: Redis stopped for 20 s in the middle of a crawl


def test_a_redis_outage_pauses_the_crawl_and_loses_nothing(
    demo_crawl: DemoCrawl, web: DemoWeb, tmp_path: Path
) -> None:
    with RedisServer(tmp_path / "redis") as server:
        out = tmp_path / "outage"
        worker = start_worker(out, web, server.url, "-s", "DOWNLOAD_DELAY=0.1")
        warc_dir = out / SLUG / "warc"
        wait_for(lambda: any(p.stat().st_size > 20_000 for p in warc_dir.glob("*.open")))
        server.stop()  # Redis gone mid-crawl ...
        time.sleep(OUTAGE_SECONDS)  # the outage itself (the test's input, not a synchronisation)
        assert worker.poll() is None  # paused, not crashed and not finished
        server.start()  # ... and back, with its data (append-only file)
        (report,) = finish([worker])
    assert report["finished the crawl"] == "yes"
    assert report["counters"]["newsarc/cluster/outages"] >= 1
    check_archive(out)
    one_urls, one_articles, one_kinds = archived(demo_crawl.out)
    urls, articles, kinds = archived(out)
    assert urls == one_urls
    assert set(articles) == set(one_articles) and kinds == one_kinds


def test_two_workers_never_hit_one_host_faster_than_its_delay(
    redis_url: str, tmp_path: Path
) -> None:
    pages = [f"/news/{i}.html" for i in range(10)]
    routes = {"/": [Reply(body=html_links(*pages))]}
    routes.update({p: [Reply(body=html_links("/"))] for p in pages})
    routes["/robots.txt"] = [Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")]
    with RecordingServer(routes) as server:
        event = tmp_path / "polite.toml"
        event.write_text(
            '[event]\nname = "polite"\nslug = "polite"\nstart = 2025-03-30\nend = 2025-04-05\n'
            'languages = ["en"]\n'
            '[match]\nall = [["x"]]\n'
            '[sources]\nseeds = ["http://polite.test/"]\nfollow_links = true\nmax_depth = 2\n'
            'allowed_domains = ["polite.test"]\n'
            "[limits]\ndownload_delay = 1.0\nper_host_concurrency = 2\n"
            '[politeness]\nuser_agent = "newsarc-test (+https://example.org/)"\n'
            "obey_robots = true\n"
        )
        target = f"polite.test=127.0.0.1:{server.port}"
        procs = []
        for _ in range(2):
            args = [*NEWSARC, "crawl", str(event), "--out", str(tmp_path / "out"), "--json",
                    "--redis", redis_url, "--connect-to", target,
                    "--allow-private-addresses"]  # fmt: skip
            procs.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True))  # fmt: skip
        reports = finish(procs, timeout=120)
        times = sorted(server.times())
        paths = collections.Counter(server.paths())
    assert all(r["finish_reason"] == "finished" for r in reports)
    assert {p: paths[p] for p in ["/", *pages]} == {p: 1 for p in ["/", *pages]}  # each once
    assert paths["/robots.txt"] <= 2  # each worker reads robots.txt itself
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.95, gaps


def test_an_embedded_crawl_says_nothing_about_the_cluster(demo_crawl: DemoCrawl) -> None:
    # the cluster's components are off without Redis, quietly (Scrapy prints a NotConfigured
    # message as a warning)
    assert "ClusterWorker" not in demo_crawl.stderr and "Disabled" not in demo_crawl.stderr
