"""Profile one newsarc crawl of the generated web (cProfile, main thread) to find slow spots.

    .venv/bin/python benchmarks/profile_crawl.py [--pages 2000] [--top 30] [--rev HEAD]

Serves the same web as ``run_crawl.py`` with the same event file, runs ``newsarc crawl`` under
cProfile, saves ``benchmarks/work/profile-<stamp>.prof`` and prints the functions with the
most own time, then newsarc's own functions by cumulative time. cProfile roughly doubles the
run time; compare shares, not absolute numbers. The WARC writer thread is not profiled.
The generated web stays in ``benchmarks/work/`` for the next run (delete that to free it).
"""

from __future__ import annotations

import argparse
import io
import pstats
import shutil
import sys
from datetime import datetime
from pathlib import Path

from gen_newsweb import WebSpec
from measure import run_measured
from newsarc_run import export_rev, source_env, write_event
from newsweb_xml import write_discovery
from nginx_server import Nginx, terminate_on_sigterm
from run_crawl import HERE, prepare_web

PROFILED = (
    "import cProfile, sys; out = sys.argv.pop(1); from crawler.cli.main import run; "
    "cProfile.run('run()', out)"
)
OURS = r"/(crawler|pipelines|archive)/"


def report(path: Path, top: int) -> str:
    buf = io.StringIO()
    stats = pstats.Stats(str(path), stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(OURS, top)
    return buf.getvalue()


def spy_report(path: Path, top: int) -> str:
    """Samples per process and thread, then the hottest functions (own time) in each."""
    from collections import Counter

    per_place: Counter[str] = Counter()
    own: dict[str, Counter[str]] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if len(frames) < 3 or not count.isdigit():
            continue
        process, thread = frames[0].split(":")[0], frames[1]
        kind = "worker" if "forkserver" in frames[0] or "spawn_main" in stack else process
        place = f"{kind} {thread.split(' ')[0]}"
        if kind == "worker":
            place = "workers (all)"
        per_place[place] += int(count)
        own.setdefault(place, Counter())[frames[-1]] += int(count)
    total = sum(per_place.values()) or 1
    lines = [f"{n:7d} samples  {100 * n / total:5.1f} %  {p}" for p, n in per_place.most_common()]
    for place, _ in per_place.most_common(4):
        lines.append(f"\n-- {place}: own time")
        for frame, n in own[place].most_common(top):
            lines.append(f"{n:7d}  {100 * n / total:5.1f} %  {frame}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--rev", help="profile this git revision (default: the working tree)")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument(
        "--py-spy",
        action="store_true",
        help="sample every process and thread with py-spy instead (low overhead; needs py-spy)",
    )
    args = parser.parse_args()
    terminate_on_sigterm()
    stamp = f"{datetime.now():%Y%m%dT%H%M%S}"
    run_dir = args.work / f"profile-{stamp}"
    (run_dir / "logs").mkdir(parents=True)
    source = export_rev(args.rev, args.work) if args.rev else None
    root, manifest = prepare_web(args.work, WebSpec(pages=args.pages, seed=args.seed))
    prof = args.work / f"profile-{stamp}.prof"
    with Nginx(root, run_dir / "nginx") as web:
        write_discovery(root, manifest, web.base_url)
        event = write_event(run_dir, web.base_url, manifest, 16)
        if args.py_spy:
            prof = args.work / f"profile-{stamp}.pyspy.txt"
            spy = str(Path(sys.executable).parent / "py-spy")
            command = [spy, "record", "-r", "200", "--subprocesses", "--threads", "--nonblocking"]
            command += ["-f", "raw", "-o", str(prof), "--", sys.executable, "-m", "crawler"]
            command += ["crawl", str(event)]
        else:
            command = [sys.executable, "-P", "-c", PROFILED, str(prof), "crawl", str(event)]
        command += ["--out", str(run_dir / "newsarc"), "--allow-private-addresses", "--json"]
        measured = run_measured(
            command,
            stdout=run_dir / "logs" / "newsarc.stdout",
            stderr=run_dir / "logs" / "newsarc.stderr",
            timeout=1800,
            env=source_env(source),
        )
    shutil.rmtree(run_dir / "newsarc", ignore_errors=True)
    print(spy_report(prof, args.top) if args.py_spy else report(prof, args.top))
    print(
        f"exit {measured.exit_code}, {measured.wall_seconds:.1f}s wall under cProfile; "
        f"profile saved to {prof}"
    )


if __name__ == "__main__":
    main()
