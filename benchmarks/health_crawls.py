"""Extraction-health false alarms over repeated real crawls of the unchanged demo web.

Usage: .venv/bin/python -m benchmarks.health_crawls [--crawls 20] [--out DIR]

Crawls the bundled demo web ``--crawls`` times into one archive, each time with the links of its
listing pages in another random order (``DemoWeb(shuffle=seed)``) and every page analysed again
(``NEWSARC_INCREMENTAL=false``), then counts the drift alarms the crawls raised and prints the
per-site article rate of every crawl. Takes about 20 s per crawl. Prints JSON and writes
``benchmarks/results/health-crawls-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from crawler.demoweb import DemoWeb, demo_event_path

SLUG = "demo-wang-yi-moscow"
RESULTS = Path(__file__).parent / "results"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crawls", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="health-crawls-"))
    runs = []
    for seed in range(1, args.crawls + 1):
        with DemoWeb(slow_seconds=0.2, huge_bytes=1 << 20, shuffle=seed) as web:
            connect = [f"--connect-to={h}={t}" for h, t in web.connect_to().items()]
            started = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "crawler", "crawl", str(demo_event_path()),
                 "--out", str(out), "--json", "-s", "NEWSARC_INCREMENTAL=false", *connect],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
        report = json.loads(proc.stdout or "{}")
        runs.append(
            {
                "seed": seed,
                "returncode": proc.returncode,
                "seconds": round(time.monotonic() - started, 1),
                "pages": report.get("pages"),
                "alarms": report.get("alarms"),
            }
        )
        print(json.dumps(runs[-1]), file=sys.stderr)
    rates: dict[str, list[float | None]] = {}
    for path in sorted((out / SLUG / "crawls").glob("*/health.json")):
        for host, site in json.loads(path.read_text())["sites"].items():
            rate = site["articles"] / site["pages"] if site["pages"] else None
            rates.setdefault(host, []).append(round(rate, 3) if rate is not None else None)
    result = {
        "crawls": args.crawls,
        "failed": sum(1 for r in runs if r["returncode"] != 0),
        "alarms": sum(len(r["alarms"] or []) for r in runs),
        "article_rate_per_site": rates,
        "runs": runs,
        "archive": str(out),
    }
    RESULTS.mkdir(exist_ok=True)
    name = f"health-crawls-{datetime.now(UTC):%Y%m%d}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
