r"""Train and cross-validate the line model (``pipelines/extract/linemodel/``) on cached pages.

Reads the cache of every candidate's output (``extract_cache.py``; build it first), builds each
page's union of lines and their features exactly as extraction does, labels a line by whether its
words are in the page's ground truth (share of its word trigrams found there ≥ 0.5), and reports
mean word F1 of the decided texts:

- WCXB out of fold: k-fold cross-validation grouped by site (a page is scored by a model that
  never saw a page of its site), and the two fixed halves (train on one, score the other);
- the article-extraction benchmark (AEB) with a model trained on all of WCXB: AEB is never
  trained on, it is a held-out test.

``--write`` trains on all of WCXB and writes the shipped model (``linemodel.json``).
scikit-learn is needed here only (``pip install -e '.[train]'``); extraction reads the JSON.

    .venv/bin/python benchmarks/train_linemodel.py [--folds 5] [--write] [--out results.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.extract_eval import TOKENS, prf  # noqa: E402
from pipelines.extract import linemodel as lm  # noqa: E402
from pipelines.extract.blocks import Line, join_lines  # noqa: E402

CACHE = ROOT / "benchmarks" / "work" / "extract-cache"
WORD_TOKENS = TOKENS["wcxb"]
PARAMS: dict[str, Any] = {
    "max_iter": 200,
    "learning_rate": 0.1,
    "max_depth": 5,
    "max_leaf_nodes": 24,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "random_state": 0,
}


@dataclass
class Sample:
    id: str
    site: str
    set: str
    truth: str
    page: lm.Page
    units: list[lm.Unit]
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    shipped: str


def _lines(rows: list[list[Any]]) -> list[Line]:
    return [Line(text, group, kind, links) for text, group, kind, links in rows]


def _grams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def labels(units: list[lm.Unit], truth: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1 for a line whose words are in the truth (half its trigrams) and that is in the pick or
    new to it (what ``select`` could add); weights: the line's words, summing to the page's
    line count (each page counts about as much as its lines)."""
    in_pick, cover = lm.FEATURES.index("in_pick"), lm.FEATURES.index("pick_cover")
    gold = WORD_TOKENS(truth)
    grams = {n: _grams(gold, n) for n in (1, 2, 3)}
    y: list[bool] = []
    w: list[int] = []
    for u in units:
        tokens = WORD_TOKENS(u.line.text)
        n = min(3, len(tokens))
        mine = _grams(tokens, n) if n else set()
        share = sum(g in grams[n] for g in mine) / len(mine) if mine else 0.0
        i = len(y)
        y.append(share >= 0.5 and (x[i, in_pick] > 0 or x[i, cover] < lm.NEW_BELOW))
        w.append(len(tokens))
    weights = np.array(w, dtype=float)
    total = weights.sum()
    return np.array(y, dtype=int), weights / total * len(units) if total else weights


def _context(rec: dict[str, Any]) -> dict[str, Any]:
    """The page's ``dom_context``: as cached, or (a cache of an older ``dom_context``) from the
    page's cached tree."""
    context = rec.get("context") or {}
    if isinstance(context.get("keys"), dict) or "html" not in rec:
        return context
    import lxml.html

    return lm.dom_context(lxml.html.fromstring(rec["html"]))


def load(set_name: str) -> list[Sample]:
    out = []
    for text in (CACHE / f"{set_name}.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(text)
        if "precision" not in rec:  # unparseable page: nothing to decide
            continue
        rec["context"] = _context(rec)
        clean = {c: _lines(rec[c]) for c in lm.CANDIDATES}
        raw = {c: _lines(rec[f"{c}_raw"]) for c in lm.CANDIDATES}
        pick = next((c for c in lm.CANDIDATES if join_lines(clean[c]) == rec["shipped"]), None)
        page = lm.Page(raw, clean, pick or "precision", rec.get("resiliparse", ""),
                       rec["page_words"], rec.get("title", ""),
                       rec.get("context", {}))  # fmt: skip
        units = lm.union(page)
        x = lm.features(page, units) if units else np.zeros((0, len(lm.FEATURES)))
        y, w = labels(units, rec["truth"], x)
        out.append(Sample(rec["id"], rec.get("site") or rec["url"], set_name, rec["truth"],
                          page, units, x, y, w, rec["shipped"]))  # fmt: skip
    return out


def decided(sample: Sample, proba: np.ndarray, drop: float, add: float) -> str:
    if not sample.shipped:  # extract() found no article (too short, no signal): stays so
        return ""
    if not sample.units or not sample.page.clean.get(sample.page.pick):
        return sample.shipped
    lines = lm.select(sample.page, sample.units, proba, drop, add, sample.x)
    return sample.shipped if lines is None else join_lines(lines)


def score(samples: list[Sample], texts: list[str]) -> dict[str, float]:
    f1s, ps, rs, sh = [], [], [], []
    for s, text in zip(samples, texts, strict=True):
        tok = TOKENS[s.set]
        pred, gold = tok(text), tok(s.truth)
        p, r, f = prf(pred, gold)
        f1s.append(f)
        ps.append(p)
        rs.append(r)
        sh.append(prf(_sh(pred), _sh(gold))[2])
    n = max(1, len(f1s))
    return {"pages": len(f1s), "token_f1": round(sum(f1s) / n, 4),
            "token_precision": round(sum(ps) / n, 4), "token_recall": round(sum(rs) / n, 4),
            "shingle_f1": round(sum(sh) / n, 4)}  # fmt: skip


def _sh(tokens: list[str]) -> list[str]:
    if len(tokens) < 4:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i : i + 4]) for i in range(len(tokens) - 3)]


def fit(samples: list[Sample], params: dict[str, Any]) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    x = np.vstack([s.x for s in samples])
    y = np.concatenate([s.y for s in samples])
    w = np.concatenate([s.w for s in samples])
    return HistGradientBoostingClassifier(**params).fit(x, y, sample_weight=w)


def predict(clf: Any, samples: list[Sample]) -> list[np.ndarray]:
    return [clf.predict_proba(s.x)[:, 1] if len(s.x) else np.zeros(0) for s in samples]


def site_folds(samples: list[Sample], k: int) -> list[int]:
    """A fold per site, by a hash of the site name: all pages of a site share a fold."""
    return [hashlib.sha256(s.site.encode()).digest()[0] % k for s in samples]


def half_of(page_id: str) -> int:
    return hashlib.sha256(page_id.encode()).digest()[0] % 2  # as extract_eval.in_half


def export(clf: Any, drop: float, add: float) -> dict[str, Any]:
    """The fitted trees as plain lists (``linemodel.Model.from_dict``)."""
    trees = []
    depth = 0
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes
        trees.append({
            "feature": [int(v) for v in nodes["feature_idx"]],
            "threshold": [float(v) for v in nodes["num_threshold"]],
            "left": [int(v) for v in nodes["left"]],
            "right": [int(v) for v in nodes["right"]],
            "value": [float(v) for v in nodes["value"]],
            "leaf": [bool(v) for v in nodes["is_leaf"]],
            "missing_left": [bool(v) for v in nodes["missing_go_to_left"]],
        })  # fmt: skip
        depth = max(depth, int(nodes["depth"].max()))
    base = float(np.asarray(clf._baseline_prediction).ravel()[0])
    return {"features": list(lm.FEATURES), "base": base, "depth": depth,
            "drop_below": drop, "add_above": add, "trees": trees}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--drops", default="0,0.05,0.1,0.2,0.3", help="drop-below grid")
    parser.add_argument("--adds", default="1,0.9,0.8,0.7", help="add-above grid")
    parser.add_argument("--write", action="store_true", help="write the shipped model")
    parser.add_argument("--drop", type=float, default=0.1, help="shipped drop-below")
    parser.add_argument("--add", type=float, default=1.0, help="shipped add-above")
    parser.add_argument("--out", type=Path, default=None, help="results JSON")
    parser.add_argument("--quick", action="store_true", help="no halves")
    parser.add_argument("--page-weight", action="store_true", help="weights sum to 1 per page")
    parser.add_argument("--set-param", action="append", default=[], help="NAME=VALUE")
    parser.add_argument("--without", default="", help="feature name prefixes to leave out")
    args = parser.parse_args(argv)
    for item in args.set_param:
        name, value = item.split("=", 1)
        PARAMS[name] = type(PARAMS[name])(value) if name in PARAMS else float(value)
    t0 = time.process_time()
    wcxb, aeb = load("wcxb"), load("aeb")
    gone = [i for i, name in enumerate(lm.FEATURES)
            if any(name.startswith(p) for p in args.without.split(",") if p)]  # fmt: skip
    if gone:
        print("without", [lm.FEATURES[i] for i in gone])
        for sample in wcxb + aeb:
            sample.x = sample.x.copy()
            sample.x[:, gone] = 0.0
    if args.page_weight:
        for sample in wcxb:
            sample.w = sample.w / max(1, len(sample.units)) * 100
    print(f"loaded {len(wcxb)} + {len(aeb)} pages, {time.process_time() - t0:.1f} s CPU "
          f"({sum(len(s.units) for s in wcxb + aeb)} lines)")  # fmt: skip
    report: dict[str, Any] = {"params": PARAMS, "features": list(lm.FEATURES), "folds": args.folds}
    report["wcxb_shipped"] = score(wcxb, [s.shipped for s in wcxb])
    report["aeb_shipped"] = score(aeb, [s.shipped for s in aeb])
    print("shipped: wcxb", report["wcxb_shipped"], "aeb", report["aeb_shipped"])

    folds = site_folds(wcxb, args.folds)
    oof: list[np.ndarray] = [np.zeros(0)] * len(wcxb)
    for k in range(args.folds):
        clf = fit([s for s, f in zip(wcxb, folds, strict=True) if f != k], PARAMS)
        test = [i for i, f in enumerate(folds) if f == k]
        for i, p in zip(test, predict(clf, [wcxb[i] for i in test]), strict=True):
            oof[i] = p
    halves = [half_of(s.id) for s in wcxb]
    held: list[np.ndarray] = [np.zeros(0)] * len(wcxb)
    for h in () if args.quick else (0, 1):
        clf = fit([s for s, g in zip(wcxb, halves, strict=True) if g != h], PARAMS)
        test = [i for i, g in enumerate(halves) if g == h]
        for i, p in zip(test, predict(clf, [wcxb[i] for i in test]), strict=True):
            held[i] = p
    full = fit(wcxb, PARAMS)
    aeb_p = predict(full, aeb)
    report["grid"] = {}
    for drop in (float(v) for v in args.drops.split(",")):
        for add in (float(v) for v in args.adds.split(",")):
            texts = [decided(s, p, drop, add) for s, p in zip(wcxb, oof, strict=True)]
            half_texts = (
                texts if args.quick
                else [decided(s, p, drop, add) for s, p in zip(wcxb, held, strict=True)]
            )  # fmt: skip
            aeb_texts = [decided(s, p, drop, add) for s, p in zip(aeb, aeb_p, strict=True)]
            row: dict[str, Any] = {
                "wcxb_oof": score(wcxb, texts),
                "wcxb_halves": [
                    score([s for s, g in zip(wcxb, halves, strict=True) if g == h],
                          [x for x, g in zip(half_texts, halves, strict=True) if g == h])
                    for h in (0, 1)],
                "aeb_heldout": score(aeb, aeb_texts),
                "aeb_changed": _changed(aeb, aeb_texts),
                "wcxb_changed": _changed(wcxb, texts),
            }  # fmt: skip
            report["grid"][f"drop {drop} add {add}"] = row
            print(f"drop {drop} add {add}: wcxb oof {row['wcxb_oof']['token_f1']} halves "
                  f"{[h['token_f1'] for h in row['wcxb_halves']]} aeb "
                  f"{row['aeb_heldout']['token_f1']} (pages {row['aeb_changed']['summary']}; "
                  f"wcxb {row['wcxb_changed']['summary']})")  # fmt: skip
    if args.write:
        model = export(full, args.drop, args.add)
        check = lm.Model.from_dict(model)
        for s, p in zip(aeb[:30], aeb_p[:30], strict=True):
            assert np.allclose(check.proba(s.x), p, atol=1e-9), s.id
        lm.MODEL_PATH.write_text(json.dumps(model, separators=(",", ":")) + "\n", "utf-8")
        print(f"wrote {lm.MODEL_PATH.relative_to(ROOT)} ({lm.MODEL_PATH.stat().st_size} bytes)")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"{time.process_time() - t0:.1f} s CPU")
    return 0


def _changed(samples: list[Sample], texts: list[str]) -> dict[str, Any]:
    deltas = []
    for s, text in zip(samples, texts, strict=True):
        tok = TOKENS[s.set]
        gold = tok(s.truth)
        before, after = prf(tok(s.shipped), gold)[2], prf(tok(text), gold)[2]
        if abs(after - before) > 1e-9:
            deltas.append((s.id, round(after - before, 4)))
    counts = Counter("up" if d > 0 else "down" for _, d in deltas)
    return {"summary": f"{counts['up']} up / {counts['down']} down",
            "pages": sorted(deltas, key=lambda item: item[1])}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
