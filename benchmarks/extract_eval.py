"""Score ``pipelines.extract.extractor.extract`` on the article-extraction benchmark (181 pages).

Metric (the benchmark's own): split extracted text and ground-truth ``articleBody`` on whitespace;
precision, recall and F1 of the bag-of-tokens overlap per page; the mean over pages (empty output
scores 0). "Shingle F1" is the same on 4-token shingles (punishes reordered or duplicated text).
Seconds per page are wall-clock (and CPU) seconds of ``extract()`` alone, after one warm-up call
(which loads the language model); the warm-up is reported apart.

    .venv/bin/python benchmarks/extract_eval.py   # writes benchmarks/results/extract-<date>.json
    .venv/bin/python benchmarks/extract_eval.py --baselines --no-write
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.extract.extractor import extract  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "article-extraction-benchmark"
RESULTS = ROOT / "benchmarks" / "results"
SHINGLE = 4
HEADERS = {"Content-Type": "text/html"}  # the pages come without headers: charset from the page


def prf(pred: list[str], truth: list[str]) -> tuple[float, float, float]:
    """Precision, recall, F1 of the bag overlap (0 when either side is empty)."""
    p, t = Counter(pred), Counter(truth)
    if not p or not t:
        return 0.0, 0.0, 0.0
    hit = sum((p & t).values())
    if not hit:
        return 0.0, 0.0, 0.0
    precision, recall = hit / sum(p.values()), hit / sum(t.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def shingles(tokens: list[str], n: int = SHINGLE) -> list[str]:
    if len(tokens) < n:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def pages(data: Path) -> Iterator[tuple[str, str, bytes, str]]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id in sorted(truth):
        body = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        yield page_id, truth[page_id]["url"], body, truth[page_id]["articleBody"]


def shipped(url: str, body: bytes) -> tuple[str, dict[str, Any]]:
    article = extract(url, HEADERS, body)
    if article is None:
        return "", {"extractor": None, "truncated": False}
    return article.text, {"extractor": article.extractor, "truncated": article.truncated}


def trafilatura_baseline(**options: Any) -> Callable[[str, bytes], tuple[str, dict[str, Any]]]:
    import trafilatura

    def run(url: str, body: bytes) -> tuple[str, dict[str, Any]]:
        return trafilatura.extract(body, url=url, **options) or "", {}

    return run


def evaluate(
    data: Path, run: Callable[[str, bytes], tuple[str, dict[str, Any]]], limit: int | None
) -> dict[str, Any]:
    all_pages = list(pages(data))[:limit]
    warm_start = time.perf_counter()
    run(all_pages[0][1], all_pages[0][2])
    warmup = time.perf_counter() - warm_start
    rows = []
    for page_id, url, body, truth in all_pages:
        started, cpu_started = time.perf_counter(), time.process_time()
        text, info = run(url, body)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        pred, gold = text.split(), truth.split()
        precision, recall, f1 = prf(pred, gold)
        rows.append(
            {"id": page_id, "f1": f1, "precision": precision, "recall": recall,
             "shingle_f1": prf(shingles(pred), shingles(gold))[2], "seconds": seconds,
             "cpu_seconds": cpu_seconds,
             "words": len(pred), **info}
        )  # fmt: skip
    return {"summary": summarise(rows, warmup), "pages": rows}


def summarise(rows: list[dict[str, Any]], warmup: float) -> dict[str, Any]:
    n = len(rows)

    def mean(key: str) -> float:
        return round(sum(r[key] for r in rows) / n, 4)

    extractors = Counter(str(r.get("extractor")) for r in rows if "extractor" in r)
    return {
        "pages": n,
        "token_f1": mean("f1"),
        "token_precision": mean("precision"),
        "token_recall": mean("recall"),
        "shingle_f1": mean("shingle_f1"),
        "seconds_per_page": round(sum(r["seconds"] for r in rows) / n, 4),
        "cpu_seconds_per_page": round(sum(r["cpu_seconds"] for r in rows) / n, 4),
        "warmup_seconds": round(warmup, 3),
        "empty": sum(1 for r in rows if not r["words"]),
        "truncated_flagged": sum(1 for r in rows if r.get("truncated")),
        "extractors": dict(extractors),
    }


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
    except OSError:
        commit = ""
    return {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "trafilatura": version("trafilatura"),
        "readability-lxml": version("readability-lxml"),
        "lxml": version("lxml"),
        "newsarc_commit": commit,
    }


def output_path(day: str) -> Path:
    path = RESULTS / f"extract-{day}.json"
    serial = 2
    while path.exists():
        path = RESULTS / f"extract-{day}-{serial}.json"
        serial += 1
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark directory")
    parser.add_argument("--limit", type=int, default=None, help="first N pages only")
    parser.add_argument("--baselines", action="store_true", help="also score plain trafilatura")
    parser.add_argument("--no-write", action="store_true", help="print, do not write results")
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    report: dict[str, Any] = {"date": now.isoformat(timespec="seconds"), "machine": machine()}
    report["shipped"] = evaluate(args.data, shipped, args.limit)
    print("shipped:", json.dumps(report["shipped"]["summary"]))
    if args.baselines:
        report["baselines"] = {}
        for name, options in (
            ("trafilatura-default", {}),
            ("trafilatura-precision", {"favor_precision": True, "include_comments": False}),
        ):  # fmt: skip
            result = evaluate(args.data, trafilatura_baseline(**options), args.limit)
            report["baselines"][name] = result["summary"]
            print(f"{name}:", json.dumps(result["summary"]))
    if not args.no_write:
        path = output_path(now.strftime("%Y-%m-%d"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
