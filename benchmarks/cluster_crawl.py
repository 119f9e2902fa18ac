"""Distributed crawls on the generated news web (benchmarks/README.md, "Distributed crawls").

    .venv/bin/python benchmarks/cluster_crawl.py [--pages 2000]
        [--modes embedded,redis1,redis2,chaos]

Modes, each on the same web served by a private nginx, with a private redis-server:

- ``embedded``: ``newsarc crawl`` as today (the reference);
- ``redisN``: N workers (``newsarc crawl --redis``) started together;
- ``chaos``: three workers; every ``--kill-every`` seconds a random worker gets SIGKILL and a
  new one starts, until the crawl ends.

For each: wall seconds, CPU seconds of the whole process tree (workers, extraction processes;
Redis's own CPU reported apart), pages/s, CPU ms per page; and against ``embedded``: the same
archived URLs, the same articles (URL and text digest), the same dedup verdicts, every WARC
valid (``warcio check``), one manifest, and how many URLs were fetched more than once.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen_newsweb import WebSpec
from machine import describe_machine
from measure import Measured, run_measured
from newsarc_run import html_pages, write_event
from newsweb_xml import write_discovery
from nginx_server import Nginx, terminate_on_sigterm
from run_crawl import prepare_web

from archive.warc.reader import iter_records
from tests.support.redisserver import RedisServer

HERE = Path(__file__).resolve().parent
NEWSARC = str(Path(sys.executable).parent / "newsarc")


def workers_main(args: argparse.Namespace) -> int:
    """The measured command of a cluster run: start the workers (and, with --chaos, kill and
    replace them), wait for the crawl to end."""
    rng = random.Random(7)
    out_dir = Path(args.out)

    def start(i: int) -> subprocess.Popen[bytes]:
        log = out_dir.parent / "logs" / f"worker-{i}.stderr"
        cmd = [NEWSARC, "crawl", args.event, "--out", args.out, "--json", "--redis", args.redis,
               "--allow-private-addresses", "-s",
               f"NEWSARC_LEASE_TTL={args.lease_ttl}"]  # fmt: skip
        return subprocess.Popen(cmd, stdout=(log.with_suffix(".stdout")).open("wb"),
                                stderr=log.open("wb"))  # fmt: skip

    from archive.cluster.connection import connect
    from archive.cluster.registry import Registry

    registry = Registry(connect(args.redis))
    slug = "crawl-bench"  # benchmarks/newsarc_run.py

    def running() -> bool:  # kill and replace only while the crawl runs (not once finishing)
        crawl = registry.current(slug)
        return crawl is not None and crawl.status == "running"

    procs = [start(i) for i in range(args.n)]
    started = len(procs)
    kills = 0
    next_kill = time.monotonic() + args.kill_every
    while any(p.poll() is None for p in procs):
        if args.chaos and time.monotonic() >= next_kill:
            alive = [p for p in procs if p.poll() is None]
            if alive and running() and not any(p.returncode == 0 for p in procs):
                victim = rng.choice(alive)
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                kills += 1
                procs.append(start(started))
                started += 1
            next_kill = time.monotonic() + args.kill_every
        time.sleep(0.2)  # the benchmark's own loop (not a test)
    (out_dir.parent / "chaos.json").write_text(json.dumps({"kills": kills, "workers": started}))
    return 0 if any(p.returncode == 0 for p in procs) else 1


def archived(out: Path) -> dict[str, Any]:
    urls: collections.Counter[str] = collections.Counter()
    files = sorted(out.glob("*/warc/*.warc.gz"))
    for path in files:
        with path.open("rb") as fh:
            for record in iter_records(fh):
                if record.get("WARC-Type") in ("response", "revisit"):
                    uri = record.get("WARC-Target-URI") or ""
                    if not uri.endswith("/robots.txt"):
                        urls[uri] += 1
    articles = {}
    kinds: collections.Counter[str] = collections.Counter()
    for path in sorted(out.glob("*/articles/*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            articles[record["url"]] = record.get("text_sha256")
            kinds[(record.get("dup") or {}).get("kind", "none")] += 1
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, files)],
                           capture_output=True, text=True)  # fmt: skip
    manifests = list(out.glob("*/crawls/*/manifest.json"))
    return {"urls": urls, "articles": articles, "kinds": kinds, "warcs": len(files),
            "warcio_check": check.returncode == 0, "manifests": len(manifests)}  # fmt: skip


def run_mode(mode: str, run_dir: Path, web: Nginx, manifest: dict[str, Any], args: Any,
             redis: RedisServer) -> tuple[Measured, dict[str, Any]]:  # fmt: skip
    out = run_dir / mode
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    event = write_event(run_dir, web.base_url, manifest, args.concurrency)
    if mode == "embedded":
        cmd = [NEWSARC, "crawl", str(event), "--out", str(out), "--allow-private-addresses",
               "--json"]  # fmt: skip
    else:
        n = 3 if mode == "chaos" else int(mode.removeprefix("redis"))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_workers", str(n),
               "--event", str(event), "--out", str(out), "--redis", redis.url,
               "--lease-ttl", str(args.lease_ttl),
               "--kill-every", str(args.kill_every)]  # fmt: skip
        if mode == "chaos":
            cmd.append("--chaos")
    redis_cpu = _cpu_of(redis.proc.pid if redis.proc else 0)
    measured = run_measured(cmd, stdout=run_dir / "logs" / f"{mode}.stdout",
                            stderr=run_dir / "logs" / f"{mode}.stderr", timeout=args.timeout,
                            server_cpu=web.cpu_seconds, cwd=run_dir)  # fmt: skip
    result = archived(out)
    result["redis_cpu_seconds"] = round(_cpu_of(redis.proc.pid if redis.proc else 0) - redis_cpu, 2)
    chaos = out.parent / "chaos.json"
    if mode == "chaos" and chaos.exists():
        result.update(json.loads(chaos.read_text()))
    return measured, result


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--modes", default="embedded,redis1,redis2,chaos")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--lease-ttl", type=float, default=10.0)
    parser.add_argument("--kill-every", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--_workers", type=int, dest="n", default=0, help=argparse.SUPPRESS)
    parser.add_argument("--event", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    parser.add_argument("--chaos", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.n:
        sys.exit(workers_main(args))
    terminate_on_sigterm()
    stamp = datetime.now().astimezone()
    run_dir = args.work / f"cluster-{stamp:%Y%m%dT%H%M%S}"
    run_dir.mkdir(parents=True)
    web_root, manifest = prepare_web(args.work, WebSpec(pages=args.pages, seed=args.seed))
    rows: list[dict[str, Any]] = []
    reference: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory() as tmp, Nginx(web_root, run_dir / "nginx") as web:
        write_discovery(web_root, manifest, web.base_url)
        print(f"serving {html_pages(manifest)} HTML pages at {web.base_url}/", flush=True)
        for mode in args.modes.split(","):
            with RedisServer(Path(tmp) / mode) as redis:
                print(f"running {mode} ...", flush=True)
                measured, result = run_mode(mode, run_dir, web, manifest, args, redis)
            pages = sum(result["urls"].values())
            cpu = measured.user_seconds + measured.sys_seconds
            row = {
                "mode": mode,
                "exit": measured.exit_code,
                "wall_s": round(measured.wall_seconds, 1),
                "pages": pages,
                "pages_per_s": round(pages / measured.wall_seconds, 1),
                "cpu_s": round(cpu, 1),
                "cpu_ms_per_page": round(1000 * cpu / max(pages, 1), 1),
                "redis_cpu_s": result["redis_cpu_seconds"],
                "peak_rss_mib": round(measured.max_rss_kib / 1024),
                "warcs": result["warcs"],
                "warcio_check": result["warcio_check"],
                "manifests": result["manifests"],
                "articles": len(result["articles"]),
                "fetched_twice": sum(1 for n in result["urls"].values() if n > 1),
                "kills": result.get("kills", 0),
            }
            if reference is None:
                reference = result
            else:
                row["same_urls"] = set(result["urls"]) == set(reference["urls"])
                row["urls_missing"] = len(set(reference["urls"]) - set(result["urls"]))
                row["urls_extra"] = len(set(result["urls"]) - set(reference["urls"]))
                row["same_articles"] = result["articles"] == reference["articles"]
                row["same_verdicts"] = result["kinds"] == reference["kinds"]
            rows.append(row)
            print("  " + json.dumps(row), flush=True)
    keys = list(rows[-1])
    table = "| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n"
    for row in rows:
        table += "| " + " | ".join(str(row.get(k, "")) for k in keys) + " |\n"
    print("\n" + table)
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"cluster-{stamp:%Y%m%dT%H%M%S}.json"
    record = {"date": stamp.isoformat(timespec="seconds"), "machine": describe_machine(HERE.parent),
              "pages": args.pages, "results": rows, "table": table}  # fmt: skip
    path.write_text(json.dumps(record, indent=1, default=str) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
