"""The rewrite layer's candidate step alone, at a given index size: band tables and matrices
built from a signature cache (``dedup_bench.py --sigs``), then ``BandMap.strong_candidates``
timed for the next (or the last) documents of the cache, as ``DedupIndex`` calls it. The full
rows the sketch cannot rule out come from memory here, not from the index file.

    .venv/bin/python -m benchmarks.dedup_candidates --sigs FILE --docs 998000 [--queries 2000]
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from pathlib import Path

import numpy as np

from pipelines.dedup.bandmap import BandMap
from pipelines.dedup.index import CANDIDATE_LIMIT, REWRITE_LEAST
from pipelines.dedup.lsh import WORDS, MinHashMatrix
from pipelines.dedup.signatures import NUM_PERM, array


def word_minhashes(sig_path: Path, limit: int) -> np.ndarray:
    """The content-word MinHash rows of the first ``limit`` documents of a signature cache."""
    rows = np.zeros((limit, NUM_PERM), dtype=np.uint32)
    n = 0
    with sig_path.open("rb") as fh:
        while n < limit:
            try:
                _, _, _, sig = pickle.load(fh)
            except EOFError:
                break
            rows[n] = array(sig.words)
            n += 1
    return rows[:n]


def measure(rows: np.ndarray, docs: int, queries: int) -> dict[str, float | int]:
    full = MinHashMatrix(NUM_PERM)
    sketch = MinHashMatrix(NUM_PERM, np.uint8)
    table = BandMap(WORDS, sketch)
    for start in range(0, docs, 65536):
        ids = np.arange(start + 1, min(docs, start + 65536) + 1)
        full.put_many(ids, rows[ids - 1])
        sketch.put_many(ids, rows[ids - 1])
        table.add_many(ids, rows[ids - 1])
    asked = rows[docs : docs + queries] if docs + queries <= len(rows) else rows[-queries:]
    keys = [WORDS.key_array(q[None, :])[0] for q in asked]
    entries = [len(table._entries(k)[1]) for k in keys]
    began = time.process_time()
    found = [
        table.strong_candidates(q, k, CANDIDATE_LIMIT, REWRITE_LEAST, lambda r: full.data[r])
        for q, k in zip(asked, keys, strict=True)
    ]
    cpu = time.process_time() - began
    return {
        "docs": docs,
        "queries": len(asked),
        "band_entries_mean": round(float(np.mean(entries)), 1),
        "strong_candidates": sum(len(r) for r, _ in found),
        "us_per_query_cpu": round(cpu / len(asked) * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sigs", type=Path, required=True, help="signature cache (dedup_bench)")
    parser.add_argument("--docs", type=int, nargs="+", default=[100_000])
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    rows = word_minhashes(args.sigs, max(args.docs) + args.queries)
    for docs in args.docs:
        print(json.dumps(measure(rows, min(docs, len(rows) - 1), args.queries)), flush=True)


if __name__ == "__main__":
    main()
