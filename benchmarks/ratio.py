"""The articles issue's throughput target, from recorded results: crawl pages/s against
extraction-only pages/s of the same pages on two processes.

    .venv/bin/python benchmarks/ratio.py results/extract-throughput-A.json results/crawl-B.json ...

Give the runs in the order they ran (extraction-only and crawl files, interleaved). Prints one
row per run and the ratios: each crawl against the mean of its extraction-only neighbours, and
all crawls against all extraction-only runs, twice:

- **raw**: pages/s as measured;
- **on two whole cores**: pages per CPU-second the machine could give the run, times 2, i.e.
  ``pages / ((2 * wall - others) / 2)`` where ``others`` is the CPU that other processes used
  meanwhile plus the time the hypervisor gave this virtual machine's CPUs to other guests
  ("steal", /proc/stat). On this machine steal comes and goes (0-16 % of a run): a run that
  lost 8 % of its CPU to steal is slower for reasons that are not its own, on either side.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

MODES = {"extract": "`extract()` alone", "worker": "worker function", "sign-all": "sign-all"}


def run_row(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if "results" in data:  # run_crawl.py
        r = next(x for x in data["results"] if x["tool"] == "newsarc")
        split = r.get("cpu_ms_per_page_split") or {}
        return {
            "file": path.name,
            "kind": "crawl",
            "pages": r["pages"],
            "wall": r["wall_seconds"],
            "others": r["other_cpu_seconds"],  # without nginx, which serves the crawl
            "steal": r.get("steal_seconds"),
            "cpu_ms": r["cpu_ms_per_page"],
            "main_ms": split.get("main"),
            "workers_ms": split.get("workers"),
        }
    return {  # extract_throughput.py
        "file": path.name,
        "kind": MODES.get(data["mode"], data["mode"]),
        "pages": data["pages"],
        "wall": data["wall_seconds"],
        "others": data.get("others_cpu_seconds"),
        "steal": data.get("steal_seconds"),
        "cpu_ms": data.get("worker_cpu_ms_per_page"),
        "main_ms": None,
        "workers_ms": data.get("worker_cpu_ms_per_page"),
    }


def rates(row: dict[str, Any]) -> tuple[float, float | None]:
    raw = row["pages"] / row["wall"]
    if row["others"] is None:
        return raw, None
    return raw, row["pages"] / ((2 * row["wall"] - row["others"]) / 2)


def ratios(rows: list[dict[str, Any]], which: int) -> tuple[list[float], float] | None:
    values = [rates(r)[which] for r in rows]
    if any(v is None for v in values):
        return None
    crawl = [i for i, r in enumerate(rows) if r["kind"] == "crawl"]
    extract = [i for i, r in enumerate(rows) if r["kind"] != "crawl"]
    if not crawl or not extract:
        return None
    each = []
    for i in crawl:
        near = [j for j in (i - 1, i + 1) if j in extract]
        if near:
            each.append(values[i] / (sum(values[j] for j in near) / len(near)))
    mean = lambda idx: sum(values[i] for i in idx) / len(idx)  # noqa: E731
    return each, mean(crawl) / mean(extract)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    rows = [run_row(Path(p)) for p in argv]
    print(
        "| run | file | wall s | pages/s | others' CPU s (steal) | pages/s on 2 whole cores "
        "| CPU ms/page | main ms/page | workers ms/page |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        raw, whole = rates(r)
        print(
            f"| {r['kind']} | `{r['file']}` | {r['wall']:.1f} | {raw:.1f}"
            f" | {_fmt(r['others'])} ({_fmt(r['steal'])}) | {_fmt(whole)}"
            f" | {_fmt(r['cpu_ms'], 2)} | {_fmt(r['main_ms'], 2)} | {_fmt(r['workers_ms'], 2)} |"
        )
    for label, which in (("raw", 0), ("on two whole cores", 1)):
        result = ratios(rows, which)
        if result is None:
            continue
        each, overall = result
        listed = ", ".join(f"{100 * x:.1f} %" for x in each)
        print(
            f"\n{label}: each crawl against its neighbours {listed}; all against all "
            f"{100 * overall:.1f} %"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
