"""Extraction-only throughput on the crawl benchmark's generated web.

The articles issue asks that a full crawl (fetch + WARC + extraction + relevance + dedup) reach at
least 80 % of the pages/s that extraction alone reaches on the same pages with two processes.
This measures the second number: every HTML page of the same generated web (``run_crawl.py``'s
kept web under ``work/``), read from disk, in a forkserver pool of N processes, through one of:

- ``--mode worker`` (default): the function the crawl's pool runs,
  ``pipelines.analysis.worker.analyse_page`` with the benchmark event's relevance scorer: one parse,
  the page's links, extraction, relevance, and dedup signatures for the on-event articles. The
  crawl does exactly this work per page, plus everything else;
- ``--mode extract``: ``pipelines.extract.extractor.extract`` alone (what ``newsarc extract`` runs);
- ``--mode sign-all``: extraction and signatures for every page (what the crawl's workers did
  before they learnt relevance).

    .venv/bin/python benchmarks/extract_throughput.py --pages 2000 [--workers 2] [--mode worker]

Writes ``results/extract-throughput-<date>[-k].json``. Compare with ``run_crawl.py --pages N``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gen_newsweb import WebSpec  # noqa: E402
from measure import machine_busy_seconds as _busy  # noqa: E402
from measure import machine_steal_seconds as _steal  # noqa: E402
from measure import process_cpu_seconds  # noqa: E402
from newsarc_run import write_event  # noqa: E402
from run_crawl import prepare_web  # noqa: E402

from crawler.event.spec import load_event  # noqa: E402
from pipelines.analysis.worker import analyse, analyse_page, warm  # noqa: E402
from pipelines.relevance.scorer import RelevanceScorer  # noqa: E402

BASE = "http://127.0.0.1:8080"
HEADERS = {"content-type": "text/html; charset=utf-8"}
MODES = ("worker", "extract", "sign-all")


def _one(path: str, url: str, mode: str, scorer: RelevanceScorer | None) -> tuple[bool, bool]:
    """(has an article, is on-event) for one page."""
    body = Path(path).read_bytes()
    if mode == "extract":
        from pipelines.extract.extractor import extract

        return extract(url, HEADERS, body) is not None, False
    if mode == "worker":
        result = analyse_page(url, HEADERS, body, None, scorer).analysis
    else:
        result = analyse(url, HEADERS, body)
    if result is None:
        return False, False
    return True, bool(result.relevance and result.relevance.on_event)


def _warm(_: int) -> bool:
    return warm()


def html_pages(root: Path) -> tuple[list[Path], list[str]]:
    pages = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in ("", ".html"))
    pages = [p for p in pages if p.name == "index.html" or p.suffix == ".html"]
    urls = [BASE + "/" + p.relative_to(root).as_posix().removesuffix("index.html") for p in pages]
    return pages, urls


def measure(root: Path, workers: int, mode: str, scorer: RelevanceScorer) -> dict[str, Any]:
    pages, urls = html_pages(root)
    n = len(pages)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        list(pool.map(_warm, range(workers)))
        pids = list(pool._processes)  # the workers, to read their CPU time before they exit
        cpu_before = sum(map(process_cpu_seconds, pids))
        own_before, busy_before, steal_before = time.process_time(), _busy(), _steal()
        started = time.perf_counter()
        results = list(pool.map(_one, map(str, pages), urls, [mode] * n, [scorer] * n, chunksize=8))
        wall = time.perf_counter() - started
        cpu = sum(map(process_cpu_seconds, pids)) - cpu_before
        own = time.process_time() - own_before
        others = max(0.0, _busy() - busy_before - cpu - own)
        steal = _steal() - steal_before
    return {
        "mode": mode,
        "pages": n,
        "articles": sum(a for a, _ in results),
        "on_event": sum(o for _, o in results),
        "workers": workers,
        "wall_seconds": round(wall, 2),
        "pages_per_second": round(n / wall, 1),
        "worker_cpu_seconds": round(cpu, 1),
        "worker_cpu_ms_per_page": round(1000 * cpu / n, 2),
        "own_cpu_seconds": round(own, 1),  # this process: reads the pages, hands them out
        "others_cpu_seconds": round(others, 1),  # the rest of the machine, meanwhile
        "steal_seconds": round(steal, 1),  # part of others: CPU the hypervisor took away
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="articles in the generated web")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mode", choices=MODES, default="worker")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args(argv)
    root, manifest = prepare_web(args.work, WebSpec(pages=args.pages, seed=args.seed))
    with tempfile.TemporaryDirectory(prefix="newsarc-xt-") as tmp:
        event = load_event(write_event(Path(tmp), BASE, manifest, 16))
    scorer = RelevanceScorer(event.match, event.window())
    result = measure(root, args.workers, args.mode, scorer)
    result["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(json.dumps(result, indent=1))
    out = HERE / "results" / f"extract-throughput-{datetime.now(UTC):%Y-%m-%d}.json"
    k = 2
    while out.exists():
        out = out.with_name(f"extract-throughput-{datetime.now(UTC):%Y-%m-%d}-{k}.json")
        k += 1
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
