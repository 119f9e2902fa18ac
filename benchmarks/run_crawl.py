"""Crawl benchmark: newsarc vs wget over the same generated news web, served by a private nginx.

    .venv/bin/python benchmarks/run_crawl.py [--pages 10000] [--keep] [--tools newsarc,wget]
        [--rev HEAD]          # measure a commit instead of the working tree
        [--wait-quiet 300]    # first wait (up to 300 s) until no other process uses the CPUs

For each tool: wall seconds, pages fetched (response records in its WARC), pages/s, CPU
seconds (user+sys of its whole process tree), peak RSS, WARC bytes, ``warcio check``, articles
covered, refetches, robots.txt and scope violations, nginx's CPU and the CPU that other
processes of the machine used meanwhile (a busy machine makes the wall times meaningless).
Prints a Markdown table and writes ``benchmarks/results/crawl-<date>.json``. All traffic goes
to 127.0.0.1. Without ``--keep`` the generated web and the WARCs are deleted afterwards (logs
stay in ``benchmarks/work/run-<stamp>/``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from gen_newsweb import GENERATOR_VERSION, WebSpec, generate
from machine import describe_machine
from measure import Measured, machine_busy_seconds, run_measured
from newsarc_run import export_rev, html_pages, newsarc_command, source_env, write_event
from newsweb_xml import write_discovery
from nginx_server import Nginx, ensure_debian_package, terminate_on_sigterm
from warcstats import WarcStats, analyse, warc_files, warcio_check

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def prepare_web(work: Path, spec: WebSpec) -> tuple[Path, dict[str, Any]]:
    """The generated web, reused when a kept one matches ``spec``."""
    root = work / f"web-{spec.pages}-s{spec.seed}"
    manifest_path = root / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("generator_version") == GENERATOR_VERSION:
            print(f"reusing generated web {root}", flush=True)
            return root, manifest
    started = time.perf_counter()
    manifest = generate(root, spec, "http://127.0.0.1:8080")
    print(f"generated {root} in {time.perf_counter() - started:.1f}s", flush=True)
    return root, manifest


def run_newsarc(run_dir: Path, web: Nginx, manifest: dict[str, Any], args: Any) -> Measured:
    event = write_event(run_dir, web.base_url, manifest, args.concurrency)
    command = newsarc_command(args.source)
    command += ["crawl", str(event), "--out", str(run_dir / "newsarc")]
    command += ["--allow-private-addresses", "--json"]
    for setting in args.set or []:
        command += ["--set", setting]
    return run_measured(
        command,
        env=source_env(args.source),
        stdout=run_dir / "logs" / "newsarc.stdout",
        stderr=run_dir / "logs" / "newsarc.stderr",
        timeout=args.timeout,
        server_cpu=web.cpu_seconds,
        cwd=run_dir,
    )


def run_wget(run_dir: Path, web: Nginx, args: Any) -> Measured:
    wget = ensure_debian_package("wget", "wget")
    out = run_dir / "wget"
    out.mkdir()
    command = [wget, "--recursive", "--level=inf", "--no-parent", "--no-verbose"]
    command += ["--delete-after", "-e", "robots=on", f"--warc-file={out / 'wget'}"]
    command += ["-P", str(out / "files"), f"{web.base_url}/"]
    return run_measured(
        command,
        stdout=run_dir / "logs" / "wget.stdout",
        stderr=run_dir / "logs" / "wget.stderr",
        timeout=args.timeout,
        server_cpu=web.cpu_seconds,
        cwd=run_dir,
    )


def result_row(tool: str, m: Measured, w: WarcStats, extra: dict[str, Any]) -> dict[str, Any]:
    pages = w.responses
    return {
        "tool": tool,
        "exit_code": m.exit_code,
        "timed_out": m.timed_out,
        "wall_seconds": round(m.wall_seconds, 2),
        "pages": pages,
        "pages_per_second": round(pages / m.wall_seconds, 1) if m.wall_seconds else 0.0,
        "cpu_user_seconds": round(m.user_seconds, 2),
        "cpu_sys_seconds": round(m.sys_seconds, 2),
        "cpu_seconds": round(m.cpu_seconds, 2),
        "cpu_ms_per_page": round(1000 * m.cpu_seconds / pages, 2) if pages else None,
        # CPU s by process (sampled: approximate): the tool's own process, extraction workers
        "cpu_split": m.cpu_split,
        "cpu_main_threads": m.main_threads,
        "cpu_ms_per_page_split": {
            k: round(1000 * v / pages, 2) for k, v in (m.cpu_split or {}).items()
        }
        if pages
        else None,
        "max_rss_mib": round(m.max_rss_kib / 1024, 1),  # the largest process (wait4)
        "tree_pss_peak_mib": round(m.tree_pss_peak_kib / 1024, 1),  # all processes at once
        "rss_peak_mib_by_role": {
            k: round(v / 1024, 1) for k, v in (m.rss_peak_kib_by_role or {}).items()
        },
        "server_cpu_seconds": round(m.server_cpu_seconds, 2),
        "other_cpu_seconds": round(m.other_cpu_seconds, 2),
        "steal_seconds": round(m.steal_seconds, 2),  # part of other_cpu_seconds
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "warc": w.as_json(),
        "command": m.command,
        **extra,
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    head = (
        "| tool | wall s | pages | pages/s | CPU s (user+sys) | CPU ms/page | peak RSS MiB "
        "| all processes' peak PSS MiB | WARC MB | warcio check | articles covered "
        "| refetched URLs "
        "| nginx CPU s "
        "| others' CPU s (steal) |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|\n"
    )
    lines = []
    for r in rows:
        w = r["warc"]
        check = {True: "pass", False: "FAIL", None: "-"}[w["warcio_check"]]
        lines.append(
            f"| {r['tool']} | {r['wall_seconds']:.1f} | {r['pages']} | {r['pages_per_second']:.1f}"
            f" | {r['cpu_seconds']:.1f} ({r['cpu_user_seconds']:.1f}+{r['cpu_sys_seconds']:.1f})"
            f" | {r['cpu_ms_per_page']} | {r['max_rss_mib']:.0f}"
            f" | {r.get('tree_pss_peak_mib', 0):.0f} | {w['bytes'] / 1e6:.1f}"
            f" | {check} | {w['articles_covered']}/{w['articles_total']} | {w['refetched_uris']}"
            f" | {r['server_cpu_seconds']:.1f}"
            f" | {r['other_cpu_seconds']:.1f} ({r.get('steal_seconds', 0.0):.1f}) |"
        )
    return head + "\n".join(lines)


def results_path(results: Path, stamp: datetime) -> Path:
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"crawl-{stamp:%Y-%m-%d}.json"
    n = 2
    while path.exists():
        path = results / f"crawl-{stamp:%Y-%m-%d}-{n}.json"
        n += 1
    return path


def bench_tool(
    tool: str, run_dir: Path, web: Nginx, manifest: dict[str, Any], args: Any
) -> dict[str, Any]:
    print(f"running {tool} ...", flush=True)
    extra: dict[str, Any] = {}
    if tool == "newsarc":
        measured = run_newsarc(run_dir, web, manifest, args)
        try:
            report = json.loads((run_dir / "logs" / "newsarc.stdout").read_text())
        except ValueError:
            report = {}
        extra["newsarc_report"] = report
        files = warc_files(run_dir / "newsarc")
    else:
        measured = run_wget(run_dir, web, args)
        extra["note"] = "wget fetches over one keep-alive connection, one request at a time"
        files = warc_files(run_dir / "wget")
    print(f"  {tool}: exit {measured.exit_code} in {measured.wall_seconds:.1f}s", flush=True)
    stats = analyse(files, manifest)
    warcio_check(files, stats)
    return result_row(tool, measured, stats, extra)


def wait_quiet(max_seconds: float, *, busy_cores: float = 0.25, sample: float = 5.0) -> bool:
    """Wait (up to ``max_seconds``) until other processes use under ``busy_cores`` of CPU."""
    deadline = time.monotonic() + max_seconds
    while True:
        before = machine_busy_seconds()
        time.sleep(sample)
        cores = (machine_busy_seconds() - before) / sample
        if cores < busy_cores:
            return True
        if time.monotonic() >= deadline:
            print(f"machine still busy ({cores:.2f} cores in use); running anyway", flush=True)
            return False
        print(f"waiting for a quiet machine ({cores:.2f} cores in use by others)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=10_000, help="articles in the generated web")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the web and the WARCs")
    parser.add_argument("--tools", default="newsarc,wget", help="comma-separated: newsarc,wget")
    parser.add_argument("--concurrency", type=int, default=16, help="newsarc per-host concurrency")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per tool")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument(
        "--wait-quiet", type=float, default=0, metavar="S", help="wait up to S s for idle CPUs"
    )
    parser.add_argument("--rev", help="benchmark this git revision (default: the working tree)")
    parser.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="a newsarc setting (crawl --set)"
    )
    args = parser.parse_args()
    terminate_on_sigterm()
    stamp, load_start = datetime.now().astimezone(), os.getloadavg()
    run_dir = args.work / f"run-{stamp:%Y%m%dT%H%M%S}"
    (run_dir / "logs").mkdir(parents=True)
    args.source = export_rev(args.rev, args.work) if args.rev else None
    spec = WebSpec(pages=args.pages, seed=args.seed)
    web_root, manifest = prepare_web(args.work, spec)
    rows = []
    try:
        with Nginx(web_root, run_dir / "nginx") as web:
            write_discovery(web_root, manifest, web.base_url)
            print(f"serving {html_pages(manifest)} HTML pages at {web.base_url}/", flush=True)
            for tool in args.tools.split(","):
                if args.wait_quiet:
                    wait_quiet(args.wait_quiet)
                rows.append(bench_tool(tool.strip(), run_dir, web, manifest, args))
    finally:
        if not args.keep:
            for d in ("newsarc", "wget"):
                shutil.rmtree(run_dir / d, ignore_errors=True)
            shutil.rmtree(web_root, ignore_errors=True)
    table = markdown(rows)
    print("\n" + table)
    record = {
        "date": stamp.isoformat(timespec="seconds"),
        "machine": describe_machine(ROOT),
        "load_average_start": [round(x, 2) for x in load_start],
        "web": {"spec": asdict(spec), "html_pages": html_pages(manifest)}
        | {"html_bytes": manifest["html_bytes"]},
        "settings": {"concurrency": args.concurrency, "tools": args.tools, "set": args.set or []},
        "newsarc_source": str(args.source or "working tree"),
        "results": rows,
        "table": table,
        "run_dir": str(run_dir),
    }
    path = results_path(args.results, stamp)
    path.write_text(json.dumps(record, indent=1, default=str) + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
