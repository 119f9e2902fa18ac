"""The web as it is: unreachable hosts are one line each in quiet mode, never a traceback; the
summary lists the failing hosts and says why nothing could be fetched."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import NEWSARC, DemoCrawl

EVENT = """\
[event]
name = "Unreachable hosts"
slug = "unreachable"
start = 2025-03-30
end = 2025-04-05
languages = ["en"]

[match]
all = [["Wang Yi"]]

[sources]
seeds = ["http://globe.invalid/", "http://courier.invalid/", "http://herald.invalid/a"]
feeds = ["http://globe.invalid/rss.xml"]
allowed_domains = ["globe.invalid", "courier.invalid", "herald.invalid"]

[politeness]
user_agent = "newsarc-test/0.1 (+https://example.org/contact)"
"""


def _isolated() -> list[str]:
    """A network namespace with no network at all, where available (root on Linux), so that
    resolving the names asks no one; ``.invalid`` names never resolve anyway (RFC 6761)."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def test_unresolvable_hosts_are_one_line_each_and_a_verdict(tmp_path: Path) -> None:
    event = tmp_path / "unreachable.toml"
    event.write_text(EVENT)
    proc = subprocess.run(
        [
            *_isolated(),
            *NEWSARC,
            "crawl",
            str(event),
            "--out",
            str(tmp_path / "out"),
            "--json",
            "-s",
            "NEWSARC_LOG_INTERVAL=1",  # stderr is a pipe: progress comes as log lines
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 4, proc.stderr[-3000:]  # nothing could be fetched
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    progress = [line for line in proc.stderr.splitlines() if " progress: " in line]
    assert progress, proc.stderr  # the crawl takes seconds (retries): at least one line
    assert all(re.search(r"progress: pages 0 done, \d+ queued .* errors \d+", p) for p in progress)
    lines = [line for line in proc.stderr.splitlines() if " progress: " not in line]
    for host in ("globe.invalid", "courier.invalid", "herald.invalid"):
        first = [line for line in lines if re.search(rf"WARNING: {host}: DNS lookup failed", line)]
        assert len(first) == 1, (host, proc.stderr)  # the first failure of the host, once
    # globe.invalid failed three times (robots.txt, the seed, the feed): the repeats are folded
    folded = [re.search(r"WARNING: globe\.invalid: (\d+) more DNS failures?$", x) for x in lines]
    assert sum(int(m[1]) for m in folded if m) == 2, proc.stderr  # folded per interval
    assert len(lines) <= 10, proc.stderr
    report = json.loads(proc.stdout)
    hosts = {h["host"]: h for h in report["failing_hosts"]}
    assert set(hosts) == {"globe.invalid", "courier.invalid", "herald.invalid"}
    assert hosts["globe.invalid"] == {"host": "globe.invalid", "failures": 3, "kinds": {"dns": 3}}
    assert report["failures"] == {"dns": 7}
    assert report["verdict"].startswith("nothing could be fetched: 3 hosts failed (DNS lookup")
    assert "error: nothing could be fetched" in proc.stderr


def test_the_quiet_demo_crawl_prints_no_traceback(demo_crawl: DemoCrawl) -> None:
    assert demo_crawl.stderr.strip(), "the demo web has robots.txt denials and HTTP errors"
    assert "Traceback" not in demo_crawl.stderr, demo_crawl.stderr[-3000:]
    # every line is a one-line record: a timestamp, a level, a message
    for line in demo_crawl.stderr.splitlines():
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (WARNING|ERROR|progress)", line), line
    # the demo's 404 and 500 pages are counted per host
    hosts = {h["host"]: h["kinds"] for h in demo_crawl.stats["failing_hosts"]}
    assert hosts["globe.test"].get("http", 0) >= 1 and hosts["wire.test"].get("http", 0) >= 1
