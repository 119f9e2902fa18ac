r"""Score ``pipelines.extract.extractor.extract`` on two public extraction benchmarks.

``aeb``: the article-extraction benchmark (181 news and blog pages). Its own metric: split the
extracted text and the ground-truth ``articleBody`` on whitespace; precision, recall and F1 of
the bag-of-tokens overlap per page; the mean over pages (empty output scores 0).

``wcxb``: the article pages of the WCXB dev split (711 pages from ~700 sites). Its own metric:
lower-case both texts, split into ``\w+`` tokens, then the same bag-of-tokens F1 per page. Also
reported: the mean per site (domain), per page type, for script-rendered (``spa``) pages apart,
and the share of the benchmark's must-have / must-not-have snippets found in the output.

"Shingle F1" is the same F1 on 4-token shingles (punishes reordered or duplicated text). Seconds
per page are wall-clock (and CPU) seconds of ``extract()`` alone, after one warm-up call (which
loads the language model); the warm-up is reported apart. ``--half 0|1`` scores one of two fixed
halves of the pages (by a hash of the page id): a change tuned on one half is checked on the other.

    .venv/bin/python benchmarks/extract_eval.py   # both sets; writes results/extract-<date>.json
    .venv/bin/python benchmarks/extract_eval.py --set wcxb --half 1 --no-write
    .venv/bin/python benchmarks/extract_eval.py --baselines --no-write
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.extract.extractor import extract  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_DATA = {"aeb": EVAL / "article-extraction-benchmark", "wcxb": EVAL / "wcxb-dev-articles"}
RESULTS = ROOT / "benchmarks" / "results"
SHINGLE = 4
HEADERS = {"Content-Type": "text/html"}  # the pages come without headers: charset from the page
WORD = re.compile(r"\w+")
WORST = 15  # sites listed on stdout


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    body: bytes
    truth: str
    site: str = ""
    page_type: str = "article"
    spa: bool = False
    with_: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def whitespace_tokens(text: str) -> list[str]:
    return text.split()


def word_tokens(text: str) -> list[str]:
    return WORD.findall(text.lower())


TOKENS: dict[str, Callable[[str], list[str]]] = {"aeb": whitespace_tokens, "wcxb": word_tokens}


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


def aeb_pages(data: Path) -> Iterator[Page]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id in sorted(truth):
        body = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        yield Page(page_id, truth[page_id]["url"], body, truth[page_id]["articleBody"])


def wcxb_pages(data: Path) -> Iterator[Page]:
    files = json.loads((data / "metadata.json").read_text(encoding="utf-8"))["files"]
    for page_id in sorted(files):
        meta = files[page_id]
        record = json.loads((data / "ground-truth" / f"{page_id}.json").read_text("utf-8"))
        gt = record["ground_truth"]
        body = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        yield Page(
            page_id, record["url"], body, gt.get("main_content") or "", site=meta["domain"],
            page_type=meta["page_type"], spa=bool(meta.get("spa")),
            with_=tuple(gt.get("with") or ()), without=tuple(gt.get("without") or ()),
        )  # fmt: skip


LOADERS: dict[str, Callable[[Path], Iterator[Page]]] = {"aeb": aeb_pages, "wcxb": wcxb_pages}


def in_half(page_id: str, half: int | None) -> bool:
    """Two fixed halves of a set, by a hash of the page id (not by order or by site name)."""
    if half is None:
        return True
    return hashlib.sha256(page_id.encode()).digest()[0] % 2 == half


LINE_MODEL = False  # --line-model: extract() with the learned line model


def shipped(url: str, body: bytes) -> tuple[str, dict[str, Any]]:
    article = extract(url, HEADERS, body, line_model=LINE_MODEL)
    if article is None:
        return "", {"extractor": None, "truncated": False}
    return article.text, {"extractor": article.extractor, "truncated": article.truncated}


def trafilatura_baseline(**options: Any) -> Callable[[str, bytes], tuple[str, dict[str, Any]]]:
    import trafilatura

    def run(url: str, body: bytes) -> tuple[str, dict[str, Any]]:
        return trafilatura.extract(body, url=url, **options) or "", {}

    return run


def _snippets(text: str, snippets: tuple[str, ...]) -> int:
    """How many of the snippets occur in the text (compared as word sequences)."""
    have = " ".join(word_tokens(text))
    return sum(1 for s in snippets if " ".join(word_tokens(s)) in have)


def evaluate(
    set_name: str,
    data: Path,
    run: Callable[[str, bytes], tuple[str, dict[str, Any]]],
    limit: int | None,
    half: int | None = None,
) -> dict[str, Any]:
    tokens = TOKENS[set_name]
    all_pages = [p for p in LOADERS[set_name](data) if in_half(p.id, half)][:limit]
    warm_start = time.perf_counter()
    run(all_pages[0].url, all_pages[0].body)
    warmup = time.perf_counter() - warm_start
    rows = []
    for page in all_pages:
        started, cpu_started = time.perf_counter(), time.process_time()
        text, info = run(page.url, page.body)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        pred, gold = tokens(text), tokens(page.truth)
        precision, recall, f1 = prf(pred, gold)
        row = {"id": page.id, "f1": f1, "precision": precision, "recall": recall,
               "shingle_f1": prf(shingles(pred), shingles(gold))[2], "seconds": seconds,
               "cpu_seconds": cpu_seconds, "words": len(pred), **info}  # fmt: skip
        if set_name == "wcxb":
            row.update(
                site=page.site, page_type=page.page_type, spa=page.spa,
                with_found=_snippets(text, page.with_), with_total=len(page.with_),
                without_found=_snippets(text, page.without), without_total=len(page.without),
            )  # fmt: skip
        rows.append(row)
    summary = summarise(rows, warmup)
    if set_name == "wcxb":
        summary.update(breakdown(rows))
    return {"summary": summary, "pages": rows}


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    return round(sum(r[key] for r in rows) / len(rows), 4) if rows else 0.0


def summarise(rows: list[dict[str, Any]], warmup: float) -> dict[str, Any]:
    n = len(rows)
    extractors = Counter(str(r.get("extractor")) for r in rows if "extractor" in r)
    return {
        "pages": n,
        "token_f1": _mean(rows, "f1"),
        "token_precision": _mean(rows, "precision"),
        "token_recall": _mean(rows, "recall"),
        "shingle_f1": _mean(rows, "shingle_f1"),
        "seconds_per_page": _mean(rows, "seconds"),
        "cpu_seconds_per_page": _mean(rows, "cpu_seconds"),
        "max_seconds_per_page": round(max(r["seconds"] for r in rows), 3),
        "warmup_seconds": round(warmup, 3),
        "empty": sum(1 for r in rows if not r["words"]),
        "truncated_flagged": sum(1 for r in rows if r.get("truncated")),
        "extractors": dict(extractors),
    }


def breakdown(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """WCXB only: per page type, spa or not, per site; snippet checks."""
    groups: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        groups["page_type"][r["page_type"]].append(r)
        groups["spa"]["spa" if r["spa"] else "static"].append(r)
        groups["site"][r["site"]].append(r)

    def scores(members: list[dict[str, Any]]) -> dict[str, Any]:
        return {"pages": len(members), "token_f1": _mean(members, "f1"),
                "token_precision": _mean(members, "precision"),
                "token_recall": _mean(members, "recall")}  # fmt: skip

    sites = {site: scores(members) for site, members in sorted(groups["site"].items())}
    with_total = sum(r["with_total"] for r in rows)
    without_total = sum(r["without_total"] for r in rows)
    return {
        "by_page_type": {k: scores(v) for k, v in sorted(groups["page_type"].items())},
        "by_spa": {k: scores(v) for k, v in sorted(groups["spa"].items())},
        "sites": len(sites),
        "site_mean_f1": round(sum(s["token_f1"] for s in sites.values()) / len(sites), 4),
        "sites_below_0_9": sum(1 for s in sites.values() if s["token_f1"] < 0.9),
        "with_snippets_found": round(sum(r["with_found"] for r in rows) / max(with_total, 1), 4),
        "without_snippets_found": round(
            sum(r["without_found"] for r in rows) / max(without_total, 1), 4
        ),
        "by_site": sites,
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
        "resiliparse": version("resiliparse"),
        "lxml": version("lxml"),
        "newsarc_commit": commit,
        "cpus_usable": len(os.sched_getaffinity(0)),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],  # shared machine?
    }


def output_path(day: str) -> Path:
    path = RESULTS / f"extract-{day}.json"
    serial = 2
    while path.exists():
        path = RESULTS / f"extract-{day}-{serial}.json"
        serial += 1
    return path


def _print(name: str, summary: dict[str, Any]) -> None:
    short = {k: v for k, v in summary.items() if k != "by_site"}
    print(f"{name}:", json.dumps(short))
    if "by_site" in summary:
        worst = sorted(summary["by_site"].items(), key=lambda item: item[1]["token_f1"])[:WORST]
        print("  worst sites:", ", ".join(f"{site} {s['token_f1']:.3f}" for site, s in worst))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set", choices=("aeb", "wcxb", "both"), default="both", help="which benchmark"
    )
    parser.add_argument("--data", type=Path, default=None, help="benchmark directory (one set)")
    parser.add_argument("--limit", type=int, default=None, help="first N pages only")
    parser.add_argument("--half", type=int, choices=(0, 1), default=None, help="one fixed half")
    parser.add_argument("--baselines", action="store_true", help="also score plain trafilatura")
    parser.add_argument(
        "--line-model", action="store_true", help="with the line model (NEWSARC_EXTRACT_LINE_MODEL)"
    )
    parser.add_argument("--no-write", action="store_true", help="print, do not write results")
    args = parser.parse_args(argv)
    global LINE_MODEL
    LINE_MODEL = args.line_model
    sets = ("aeb", "wcxb") if args.set == "both" else (args.set,)
    if args.data is not None and len(sets) > 1:
        parser.error("--data needs --set aeb or --set wcxb")
    now = datetime.now(UTC)
    report: dict[str, Any] = {"date": now.isoformat(timespec="seconds"), "machine": machine()}
    report["line_model"] = LINE_MODEL
    if args.half is not None:
        report["half"] = args.half
    for set_name in sets:
        data = args.data or DEFAULT_DATA[set_name]
        result: dict[str, Any] = {
            "shipped": evaluate(set_name, data, shipped, args.limit, args.half)
        }
        _print(f"{set_name} shipped", result["shipped"]["summary"])
        if args.baselines:
            result["baselines"] = {}
            for name, options in (
                ("trafilatura-default", {}),
                ("trafilatura-precision", {"favor_precision": True, "include_comments": False}),
            ):  # fmt: skip
                run = trafilatura_baseline(**options)
                summary = evaluate(set_name, data, run, args.limit, args.half)["summary"]
                result["baselines"][name] = summary
                _print(f"{set_name} {name}", summary)
        report[set_name] = result
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if not args.no_write:
        path = output_path(now.strftime("%Y-%m-%d"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
