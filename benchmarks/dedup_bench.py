"""Dedup benchmark: synthetic documents with planted copies through a persistent DedupIndex.

Usage: .venv/bin/python -m benchmarks.dedup_bench [--docs 100000] [--workers 2]
                         [--lang en|zh|ru|mixed] [--han jieba|bigram] [--no-snowball]

``--lang`` picks the corpus: the English one (``dedup_corpus.py``) or the Chinese, Russian or
mixed-language ones (``dedup_corpus_intl.py``); for those, precision and recall are also
reported per language, and for the mixed one the stories across languages are scored on every
pair of original reports of two languages published within three days of each other.
``--han bigram`` segments Chinese into overlapping character pairs instead of jieba's words,
``--no-snowball`` uses the crude stems instead of Snowball's for Russian and French (both to
compare).

Measures signatures/s (a process pool, as extraction workers would run them, and one process),
add/s (one process, SQLite in a temp dir, streaming in arrival order), reopen time, peak RSS of
the indexing process (a fresh process that reads the signatures back from a pickle stream, so
the corpus held by the generator is not counted), index size, and precision/recall of the
planted duplicates (by kind) and of story pairs. Writes ``benchmarks/results/dedup-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from datetime import date
from multiprocessing import Pool, get_context
from pathlib import Path
from typing import Any

import pipelines.words
from benchmarks.dedup_corpus import Corpus, Doc
from benchmarks.dedup_corpus_intl import IntlCorpus
from benchmarks.dedup_corpus_news import NewsCorpus
from benchmarks.machine import describe_machine
from pipelines.dedup import text as dedup_text
from pipelines.dedup.index import DedupIndex, DedupVerdict
from pipelines.dedup.signatures import Signatures, signatures
from pipelines.words import count_words

RESULTS = Path(__file__).parent / "results"


def _sig(doc: tuple[str, str, str | None]) -> Signatures:
    return signatures(doc[0], doc[1], doc[2])


def write_signatures(
    docs: list[Doc], workers: int, path: Path, langs: dict[str, str] | None = None
) -> float:
    """Signatures of ``docs`` (in order) pickled one by one to ``path``; returns seconds."""
    start = time.perf_counter()
    langs = langs or {}
    items = [(d.text, d.title, langs.get(d.id)) for d in docs]
    with path.open("wb") as fh, Pool(workers) as pool:
        for doc, sig in zip(docs, pool.imap(_sig, items, chunksize=500), strict=True):
            pickle.dump((doc.id, doc.url, doc.published, sig), fh, protocol=5)
    return time.perf_counter() - start


def one_process_rate(docs: list[Doc], langs: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    langs = langs or {}
    for d in docs:
        signatures(d.text, d.title, langs.get(d.id))
    return len(docs) / (time.perf_counter() - start)


def index_all(sig_path: Path, db_path: Path, verdict_path: Path) -> dict[str, Any]:
    """Runs in a fresh process: add every signature in order and close the index. Verdicts
    are streamed to ``verdict_path`` (not kept: the process's peak RSS is the index's)."""
    spent = cpu = 0.0
    marks: list[tuple[int, float, float]] = []  # (documents, add seconds, add CPU seconds)
    n = 0
    index = DedupIndex(db_path)
    with sig_path.open("rb") as fh, verdict_path.open("wb") as out:
        while True:
            try:
                doc_id, url, published, sig = pickle.load(fh)
            except EOFError:
                break
            t, c = time.perf_counter(), time.process_time()
            v = index.add(doc_id, url, None, published, sig)
            spent += time.perf_counter() - t
            cpu += time.process_time() - c
            pickle.dump((doc_id, v.kind, v.of, v.score, v.story), out, protocol=5)
            n += 1
            if n % 10_000 == 0:
                marks.append((n, spent, cpu))
                print(f"added {n} in {spent:.1f} s ({cpu:.1f} s CPU)", file=sys.stderr, flush=True)
    t, c = time.perf_counter(), time.process_time()
    index.close()
    spent += time.perf_counter() - t
    cpu += time.process_time() - c
    marks.append((n, spent, cpu))
    return {
        "add_s": spent,
        "add_cpu_s": cpu,
        "marks": marks,
        "peak_rss_adding_mib": _peak_rss_mib(),
    }


def reopen(db_path: Path) -> dict[str, Any]:
    """Runs in a fresh process: open the index as a restarted crawl would (rebuilding its band
    tables from the file) and read its stories across languages."""
    t, c = time.perf_counter(), time.process_time()
    with DedupIndex(db_path) as reopened:
        reopen_s, reopen_cpu_s = time.perf_counter() - t, time.process_time() - c
        cross = reopened.cross_stories()
    return {"reopen_s": reopen_s, "reopen_cpu_s": reopen_cpu_s, "cross": cross,
            "peak_rss_mib": _peak_rss_mib()}  # fmt: skip


def _peak_rss_mib() -> float:
    """This process's own peak RSS (VmHWM). Not ``ru_maxrss``: Linux carries into a spawned
    child the peak of the forked copy of its parent (the benchmark holding the corpus: 3.2 GB
    for 1M documents), so ``ru_maxrss`` reported the parent's size, not the index's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_verdicts(path: Path) -> dict[str, DedupVerdict]:
    verdicts: dict[str, DedupVerdict] = {}
    with path.open("rb") as fh:
        while True:
            try:
                doc_id, *v = pickle.load(fh)
            except EOFError:
                return verdicts
            verdicts[doc_id] = DedupVerdict(*v)


def tail_rate(marks: list[tuple[int, float, float]], last: int) -> dict[str, float | int]:
    """Adds per second (wall and CPU) over the last ``last`` documents (all, if fewer)."""
    n, wall, cpu = marks[-1]
    start = max(0, n - last)
    before = [m for m in marks if m[0] <= start]
    n0, wall0, cpu0 = before[-1] if before else (0, 0.0, 0.0)
    return {"docs": n - n0, "add_per_s": round((n - n0) / (wall - wall0), 1),
            "add_per_cpu_s": round((n - n0) / (cpu - cpu0), 1)}  # fmt: skip


def dup_scores(docs: list[Doc], verdicts: dict[str, DedupVerdict]) -> dict[str, Any]:
    """Precision/recall of duplicate verdicts against the planted groups."""
    group = {d.id: d.group for d in docs}
    first_of_group: dict[str, str] = {}
    expected: dict[str, str] = {}  # doc → planted kind, for every doc that is not first
    for d in docs:
        if d.group in first_of_group:
            expected[d.id] = d.planted if d.planted != "unique" else "exact-order"
        else:
            first_of_group[d.group] = d.id
    flagged = {i: v for i, v in verdicts.items() if v.kind != "unique"}
    correct = {i for i, v in flagged.items() if v.of is not None and group[v.of] == group[i]}
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in ("url", "exact", "near", "rewrite"):
        planted = [i for i, k in expected.items() if k == kind]
        found = [i for i in planted if i in correct]
        same_kind = [i for i in found if verdicts[i].kind == kind]
        predicted = [i for i, v in flagged.items() if v.kind == kind]
        by_kind[kind] = {
            "planted": len(planted),
            "recall": _ratio(len(found), len(planted)),
            "recall_same_kind": _ratio(len(same_kind), len(planted)),
            "predicted": len(predicted),
            "precision": _ratio(len([i for i in predicted if i in correct]), len(predicted)),
        }
    return {
        "duplicates_planted": len(expected),
        "flagged": len(flagged),
        "precision": _ratio(len(correct), len(flagged)),
        "recall": _ratio(len([i for i in expected if i in correct]), len(expected)),
        "verdict_kinds": dict(Counter(v.kind for v in verdicts.values())),
        "by_kind": by_kind,
    }


def story_scores(docs: list[Doc], verdicts: dict[str, DedupVerdict]) -> dict[str, Any]:
    """Pairwise precision/recall of story clusters (pairs of documents in the same cluster)."""
    truth = Counter(d.story for d in docs)
    pred = Counter(verdicts[d.id].story for d in docs)
    both = Counter((d.story, verdicts[d.id].story) for d in docs)
    tp, pp, tt = _pairs(both.values()), _pairs(pred.values()), _pairs(truth.values())
    return {
        "stories_true": len(truth),
        "stories_found": len(pred),
        "pair_precision": _ratio(tp, pp),
        "pair_recall": _ratio(tp, tt),
    }


def language_scores(docs: list[Doc], verdicts: dict[str, DedupVerdict], langs: dict[str, str]
                    ) -> dict[str, Any]:  # fmt: skip
    """Duplicates and stories scored within each language, and duplicates across languages."""
    out: dict[str, Any] = {}
    for lang in sorted(set(langs.values())):
        mine = [d for d in docs if langs[d.id] == lang]
        ids = {d.id for d in mine}
        own = {i: v for i, v in verdicts.items() if i in ids}
        out[lang] = {"docs": len(mine), "duplicates": dup_scores(mine, own),
                     "stories": story_scores(mine, own)}  # fmt: skip
    out["duplicates_across_languages"] = sum(
        1 for i, v in verdicts.items() if v.of is not None and langs[v.of] != langs[i]
    )
    out["stories_across_languages_mixed"] = sum(
        1
        for story in {v.story for v in verdicts.values()}
        if len({langs[i] for i, v in verdicts.items() if v.story == story}) > 1
    )
    return out


def cross_scores(docs: list[Doc], verdicts: dict[str, DedupVerdict], langs: dict[str, str],
                 cross: dict[str, str], window_days: float = 3.0) -> dict[str, Any]:  # fmt: skip
    """The labelled set: every pair of original reports (planted ``unique``) of two languages
    published within ``window_days``; label: same event. Predicted: same story across
    languages (the index's final grouping)."""
    originals = [d for d in docs if d.planted == "unique"]
    tp = fp = fn = tn = 0
    for i, a in enumerate(originals):
        for b in originals[i + 1 :]:
            if langs[a.id] == langs[b.id]:
                continue
            if abs((a.published - b.published).total_seconds()) > window_days * 86400:
                continue
            same = a.story == b.story
            linked = cross[verdicts[a.id].story] == cross[verdicts[b.id].story]
            tp += same and linked
            fp += linked and not same
            fn += same and not linked
            tn += not same and not linked
    return {
        "pairs": tp + fp + fn + tn,
        "pairs_same_event": tp + fn,
        "linked": tp + fp,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
    }


def _pairs(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def run(n: int, workers: int, seed: int, lang: str = "en", corpus_name: str = "synthetic",
        sig_cache: Path | None = None) -> dict[str, Any]:  # fmt: skip
    t0 = time.perf_counter()
    langs: dict[str, str] = {}
    if lang == "en":
        docs = (NewsCorpus if corpus_name == "news" else Corpus)(seed).docs(n)
    else:
        corpus = IntlCorpus(seed, ("en", "zh", "ru") if lang == "mixed" else (lang,))
        docs = corpus.docs(n)
        langs = corpus.language
    generate_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        sig_path, db_path = sig_cache or Path(tmp) / "sigs.pickle", Path(tmp) / "dedup.sqlite"
        if sig_cache is not None and sig_cache.exists():
            sig_s = None  # computed by an earlier run (same corpus, seed and size)
        else:
            sig_s = write_signatures(docs, workers, sig_path, langs)
            print(f"signatures: {sig_s:.1f} s", file=sys.stderr, flush=True)
        with get_context("spawn").Pool(1) as pool:
            indexed = pool.apply(index_all, (sig_path, db_path, Path(tmp) / "verdicts.pickle"))
        with get_context("spawn").Pool(1) as pool:
            indexed |= pool.apply(reopen, (db_path,))
        size = sum(f.stat().st_size for f in Path(tmp).iterdir() if f.name.startswith("dedup"))
        verdicts = read_verdicts(Path(tmp) / "verdicts.pickle")
    add_s = indexed["add_s"]
    extra: dict[str, Any] = {}
    if langs:
        extra["languages"] = language_scores(docs, verdicts, langs)
        if lang == "mixed":
            extra["stories_across_languages"] = cross_scores(
                docs, verdicts, langs, indexed["cross"]
            )
    return {
        "date": date.today().isoformat(),
        "corpus": lang if lang != "en" else corpus_name,
        "machine": describe_machine(Path(__file__).parent.parent),
        "load_average_after": os.getloadavg(),
        "han_segmenter": pipelines.words.HAN_SEGMENTER,
        "snowball": dedup_text.USE_SNOWBALL,
        "docs": len(docs),
        "seed": seed,
        "workers": workers,
        "cpus": os.cpu_count(),
        "mean_words": round(sum(count_words(d.text) for d in docs) / len(docs), 1),
        "planted": dict(Counter(d.planted for d in docs)),
        "generate_s": round(generate_s, 2),
        "signatures_s": None if sig_s is None else round(sig_s, 2),
        "signatures_per_s": None if sig_s is None else round(len(docs) / sig_s, 1),
        "signatures_per_s_one_process": round(one_process_rate(docs[:2000], langs), 1),
        "add_s": round(add_s, 2),
        "add_per_s": round(len(docs) / add_s, 1),
        "add_cpu_s": round(indexed["add_cpu_s"], 2),
        "add_per_cpu_s": round(len(docs) / indexed["add_cpu_s"], 1),
        "add_last_100k": tail_rate(indexed["marks"], 100_000),
        "add_marks": indexed["marks"],
        "reopen_s": round(indexed["reopen_s"], 2),
        "reopen_cpu_s": round(indexed["reopen_cpu_s"], 2),
        "index_bytes": size,
        "reopen_process_peak_rss_mib": round(indexed["peak_rss_mib"], 1),
        "index_process_peak_rss_adding_mib": round(indexed["peak_rss_adding_mib"], 1),
        "bench_process_peak_rss_mib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "duplicates": dup_scores(docs, verdicts),
        "stories": story_scores(docs, verdicts),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="result JSON path")
    parser.add_argument("--lang", choices=("en", "zh", "ru", "mixed"), default="en")
    parser.add_argument("--han", choices=("jieba", "bigram"), default="jieba")
    parser.add_argument("--no-snowball", action="store_true")
    parser.add_argument(
        "--corpus",
        choices=("synthetic", "news"),
        default="synthetic",
        help="English corpus: dedup_corpus.py or dedup_corpus_news.py",
    )
    parser.add_argument(
        "--sigs",
        type=Path,
        default=None,
        help="signature cache: read if it exists, else written there",
    )
    args = parser.parse_args()
    pipelines.words.HAN_SEGMENTER = args.han  # the signature workers are forked: they inherit it
    dedup_text.USE_SNOWBALL = not args.no_snowball
    result = run(args.docs, args.workers, args.seed, args.lang, args.corpus, args.sigs)
    name = "dedup" if args.lang == "en" else f"dedup-{args.lang}"
    name += "-news" if args.lang == "en" and args.corpus == "news" else ""
    variant = ("-bigram" if args.han == "bigram" else "") + ("-crude" if args.no_snowball else "")
    out = args.out or RESULTS / f"{name}{variant}-{result['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
