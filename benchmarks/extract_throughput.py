"""Extraction-only throughput on the crawl benchmark's generated web.

The articles issue asks that a full crawl (fetch + WARC + extraction + relevance + dedup) reach at
least 80 % of the pages/s that extraction alone reaches on the same pages with two processes.
This measures the second number: every HTML page of a generated web, read from disk, through the
same worker function the crawl's pool runs (``pipelines.worker.analyse``: extraction and dedup
signatures), in a forkserver pool of N processes.

    .venv/bin/python benchmarks/extract_throughput.py --pages 2000 [--workers 2]

Writes ``results/extract-throughput-<date>.json``. Compare with ``run_crawl.py --pages N``.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gen_newsweb import WebSpec, generate  # noqa: E402

from pipelines.worker import analyse, warm  # noqa: E402

BASE = "http://127.0.0.1:8080"
HEADERS = {"content-type": "text/html; charset=utf-8"}


def _one(path: str, url: str) -> bool:
    return analyse(url, HEADERS, Path(path).read_bytes()) is not None


def measure(root: Path, workers: int) -> dict[str, object]:
    pages = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in ("", ".html"))
    pages = [p for p in pages if p.name == "index.html" or p.suffix == ".html"]
    urls = [BASE + "/" + p.relative_to(root).as_posix().removesuffix("index.html") for p in pages]
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        list(pool.map(_warm, range(workers)))
        started = time.perf_counter()
        articles = sum(pool.map(_one, map(str, pages), urls, chunksize=8))
        wall = time.perf_counter() - started
    return {
        "pages": len(pages),
        "articles": articles,
        "workers": workers,
        "wall_seconds": round(wall, 2),
        "pages_per_second": round(len(pages) / wall, 1),
    }


def _warm(_: int) -> bool:
    return warm()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="articles in the generated web")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsarc-xt-") as tmp:
        root = Path(tmp) / "web"
        generate(root, WebSpec(pages=args.pages, seed=args.seed), BASE)
        result = measure(root, args.workers)
    result["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(json.dumps(result, indent=1))
    out = HERE / "results" / f"extract-throughput-{datetime.now(UTC):%Y-%m-%d}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
