"""A learned keep/drop decision for every line any extractor found (``extract_linemodel``).

``choose`` (extractor.py) picks one extractor's whole text per page. Each candidate is right on
some lines and wrong on others: precision mode drops a table the article needs, recall mode
keeps the related-story teasers under it. Here the lines of all candidates (trafilatura's three
modes and readability, each before and after ``textclean``, and the judge's lines) are merged
into one sequence in page order (``union``), each line is described by what the extractors and
the judge say about it, its form and its place relative to the pick (``features``), and a small
model of boosted decision trees, trained on labelled pages (``benchmarks/train_linemodel.py``)
and shipped as a data file in this package, says which to keep. The pick's text is kept when the
model keeps too little of it (``MIN_KEPT_SHARE``), so a page that had text never comes out empty.

Inference is a few array operations per page (``Model.proba``); the model is deterministic data.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.extract.blocks import Line
from pipelines.extract.textclean import is_boilerplate, is_link_line, norm

MODEL_PATH = Path(__file__).with_name("linemodel.json")
CANDIDATES = ("precision", "default", "recall", "readability")  # each raw and cleaned
KINDS = ("p", "head", "item", "row", "quote", "code")
SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f][\"\u201d\u2019')\]]*\s*$")
WORD = re.compile(r"\w+")
MIN_KEPT_SHARE = 0.3  # kept words under this share of the pick's: the pick stands
NEW_BELOW = 0.5  # a line of another candidate is new when less of its trigrams are in the pick
DOM_WORDS = {  # class/id words of a line's ancestors, by what they usually hold
    "related": r"relat|recommend|popular|trending|more|also|next|teaser|card|carousel|slider|feed"
    r"|list|grid|tile",
    "comment": r"comment|disqus|repl|respond|discuss",
    "social": r"share|social|follow",
    "footer": r"footer|copyright|legal",
    "promo": r"promo|sponsor|advert|\bads?\b|ad-|banner|newsletter|subscri|signup|cta|modal"
    r"|popup",
    "sidebar": r"sidebar|widget|aside|rail",
    "meta": r"author|bio|byline|meta|date|tag|categor|breadcrumb",
    "content": r"content|article|body|entry|post|story|text|main|prose|rich",
    "header": r"header|hero|title|headline|masthead",
    "faq": r"faq|accordion|tab|toggle|collaps",
}
DOM_TAGS = ("article", "main", "li", "table", "header", "footer", "form", "section")
DOM_FLAGS = (*DOM_WORDS, *(f"in_{tag}" for tag in DOM_TAGS))
_DOM_RES = tuple(re.compile(pattern, re.I) for pattern in DOM_WORDS.values())
DEPTH_AT = 24  # bits of a context mask from here on: the depth in the tree
FLAG_BITS = (1 << DEPTH_AT) - 1
KEY_WORDS = 6  # a line is found in the page by the first words of its text

FEATURES = (
    *(f"in_{c}_{v}" for c in CANDIDATES for v in ("raw", "clean")),
    "in_pick", "judge_words", "judge_grams", "judge_line", "n_clean", "n_raw",
    "log_words", "link_density", *(f"kind_{k}" for k in KINDS), "sentence_end",
    "boilerplate", "link_line", "digit_share", "upper_share", "punct_share", "colon_end",
    "position", "before_pick", "after_pick", "pick_distance", "pick_before_share",
    "prev_in_pick", "next_in_pick", "prev_judge", "next_judge", "prev_clean", "next_clean",
    "is_title", "word_share", "page_pick_share", "page_log_words", "page_judge_agreement",
    "page_log_units", "page_pick_union_share", *(f"pick_is_{c}" for c in CANDIDATES),
    "group_size", "group_pick_share", "group_link_share", "pick_cover",
    "dom_found", "dom_depth", *(f"dom_{name}" for name in DOM_FLAGS),
)  # fmt: skip


@dataclass
class Unit:
    """One distinct line (by its normalised text) of the candidates' union."""

    key: str
    line: Line  # as first seen (text, kind, link characters)
    sources: set[str] = field(default_factory=set)  # "recall_raw", "precision_clean", …
    group: tuple[str, int] = ("", 0)  # (source, group) where first seen


@dataclass(frozen=True)
class Page:
    """What the decision needs about a page: every candidate's lines, the pick, the judge."""

    raw: Mapping[str, Sequence[Line]]  # candidate name → lines before textclean
    clean: Mapping[str, Sequence[Line]]  # candidate name → lines after textclean
    pick: str  # the name of the candidate ``choose`` picked
    judge: str  # the judge's (resiliparse's) text
    page_words: int
    title: str = ""
    context: Mapping[str, int] = field(default_factory=dict)  # ``dom_context``


def dom_context(tree: Any) -> dict[str, int]:
    """For the page's text nodes, by their first ``KEY_WORDS`` normalised words: a bit mask of
    ``DOM_FLAGS`` over their ancestors' class and id words and tags, and their depth (bits from
    ``DEPTH_AT`` on). A line of an extractor's output is found by the start of its text."""
    masks: dict[Any, int] = {}
    found: dict[str, int] = {}

    def mask_of(el: Any) -> int:
        known = masks.get(el)
        if known is not None:
            return known
        parent = el.getparent()
        base = mask_of(parent) if parent is not None else 0
        mask = (base & FLAG_BITS) | (min(255, (base >> DEPTH_AT) + 1) << DEPTH_AT)
        tag = el.tag if isinstance(el.tag, str) else ""
        words = f"{el.get('class') or ''} {el.get('id') or ''}" if tag else ""
        if words.strip():
            for bit, pattern in enumerate(_DOM_RES):
                if pattern.search(words):
                    mask |= 1 << bit
        if tag in DOM_TAGS:
            mask |= 1 << (len(DOM_WORDS) + DOM_TAGS.index(tag))
        masks[el] = mask
        return mask

    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "noscript"):
            continue
        for text, owner in ((el.text, el), (el.tail, el.getparent())):
            if owner is None or not text or not text.strip():
                continue
            key = " ".join(norm(text).split()[:KEY_WORDS])
            if key and key not in found:
                found[key] = mask_of(owner)
    return found


def union(page: Page) -> list[Unit]:
    """Distinct lines of all candidates, in page order: the longest raw candidate's order, other
    candidates' lines inserted after the last line they share with it. The judge's lines are not
    units (their breaks differ from the candidates': the same words would come twice), only a
    feature."""
    sequences: list[tuple[str, Sequence[Line]]] = []
    names = sorted(CANDIDATES, key=lambda c: -len(page.raw.get(c, ())))
    for name in names:
        sequences.append((f"{name}_raw", page.raw.get(name, ())))
        sequences.append((f"{name}_clean", page.clean.get(name, ())))
    units: list[Unit] = []
    for source, lines in sequences:
        at = {u.key: i for i, u in enumerate(units)}
        new: dict[str, Unit] = {}
        after: dict[int, list[Unit]] = {}  # index of a unit already placed → new units after it
        last = -1
        for line in lines:
            key = norm(line.text)
            if not key:
                continue
            if key in at:
                units[at[key]].sources.add(source)
                last = max(last, at[key])
            elif key in new:
                new[key].sources.add(source)
            else:
                new[key] = Unit(key, line, {source}, (source, line.group))
                after.setdefault(last, []).append(new[key])
        if new:
            merged = after.get(-1, [])
            for i, unit in enumerate(units):
                merged.append(unit)
                merged.extend(after.get(i, ()))
            units = merged
    return units


def _trigrams(tokens: Sequence[str]) -> set[tuple[str, ...]]:
    if len(tokens) < 3:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}


def features(page: Page, units: Sequence[Unit]) -> np.ndarray:
    """One row of ``FEATURES`` per unit (float64)."""
    n = len(units)
    judge_tokens = WORD.findall(page.judge.lower())
    judge_bag = set(judge_tokens)
    judge_grams = _trigrams(judge_tokens) | {(t,) for t in judge_tokens}
    judge_grams |= {tuple(judge_tokens[i : i + 2]) for i in range(len(judge_tokens) - 1)}
    judge_keys = {norm(t) for t in page.judge.split("\n")}
    pick_source = f"{page.pick}_clean"
    in_pick = [pick_source in u.sources for u in units]
    pick_at = [i for i, v in enumerate(in_pick) if v]
    first, last = (pick_at[0], pick_at[-1]) if pick_at else (n, -1)
    words = [u.line.words for u in units]
    union_words = max(1, sum(words))
    pick_words = sum(w for w, p in zip(words, in_pick, strict=True) if p)
    pick_before = np.cumsum([0, *(w if p else 0 for w, p in zip(words, in_pick, strict=True))])
    title = norm(page.title)
    judge_share: list[float] = []
    grams_share: list[float] = []
    for u in units:
        tokens = WORD.findall(u.line.text.lower())
        judge_share.append(sum(t in judge_bag for t in tokens) / len(tokens) if tokens else 0.0)
        grams = _trigrams(tokens)
        grams_share.append(sum(g in judge_grams for g in grams) / len(grams) if grams else 0.0)
    pick_grams: set[tuple[str, ...]] = set()
    for ln in page.clean.get(page.pick, ()):
        pick_grams |= _trigrams(WORD.findall(ln.text.lower()))
    pick_cover = []
    for u in units:
        grams = _trigrams(WORD.findall(u.line.text.lower()))
        pick_cover.append(sum(g in pick_grams for g in grams) / len(grams) if grams else 0.0)
    n_clean = [sum(f"{c}_clean" in u.sources for c in CANDIDATES) for u in units]
    groups: dict[tuple[str, int], list[int]] = {}
    for i, u in enumerate(units):
        groups.setdefault(u.group, []).append(i)
    page_agreement = _agreement(
        WORD.findall(" ".join(ln.text for ln in page.clean.get(page.pick, ())).lower()),
        judge_tokens,
    )
    page_row = [
        pick_words / max(1, page.page_words),
        math.log1p(page.page_words),
        page_agreement,
        math.log1p(n),
        pick_words / union_words,
        *(float(page.pick == c) for c in CANDIDATES),
    ]
    rows = np.zeros((n, len(FEATURES)))
    for i, u in enumerate(units):
        line, text = u.line, u.line.text
        chars = max(1, len(text))
        letters = [c for c in text if c.isalpha()]
        members = groups[u.group]
        distance = n if not pick_at else 0 if in_pick[i] else min(abs(i - first), abs(i - last))
        row = [
            *(float(f"{c}_{v}" in u.sources) for c in CANDIDATES for v in ("raw", "clean")),
            float(in_pick[i]),
            judge_share[i],
            grams_share[i],
            float(u.key in judge_keys),
            n_clean[i],
            sum(f"{c}_raw" in u.sources for c in CANDIDATES),
            math.log1p(words[i]),
            line.link_density,
            *(float(line.kind == k) for k in KINDS),
            float(SENTENCE_END.search(text) is not None),
            float(is_boilerplate(line)),
            float(is_link_line(line)),
            sum(c.isdigit() for c in text) / chars,
            sum(c.isupper() for c in letters) / max(1, len(letters)),
            sum(not c.isalnum() and not c.isspace() for c in text) / chars,
            float(text.rstrip().endswith(":")),
            i / max(1, n - 1),
            float(i < first),
            float(i > last),
            math.log1p(distance),
            pick_before[i] / max(1, pick_words),
            float(in_pick[i - 1]) if i > 0 else -1.0,
            float(in_pick[i + 1]) if i + 1 < n else -1.0,
            judge_share[i - 1] if i > 0 else -1.0,
            judge_share[i + 1] if i + 1 < n else -1.0,
            n_clean[i - 1] if i > 0 else -1.0,
            n_clean[i + 1] if i + 1 < n else -1.0,
            float(bool(title) and u.key == title),
            words[i] / union_words,
            *page_row,
            math.log1p(len(members)),
            sum(in_pick[j] for j in members) / len(members),
            sum(is_link_line(units[j].line) for j in members) / len(members),
            pick_cover[i],
            *_dom(page.context, u.key),
        ]
        rows[i] = row
    return rows


def _dom(context: Mapping[str, int], key: str) -> list[float]:
    """The line's context features: of the text node its text starts with (the longest start
    of up to ``KEY_WORDS`` words, at least two unless the line is one word, that is one)."""
    words = key.split()
    mask = None
    for n in range(min(KEY_WORDS, len(words)), 0 if len(words) == 1 else 1, -1):
        mask = context.get(" ".join(words[:n]))
        if mask is not None:
            break
    if mask is None:
        return [0.0, -1.0, *(-1.0 for _ in DOM_FLAGS)]
    flags = (float(mask >> bit & 1) for bit in range(len(DOM_FLAGS)))
    return [1.0, math.log1p(mask >> DEPTH_AT), *flags]


def _agreement(a: Sequence[str], b: Sequence[str]) -> float:
    from collections import Counter

    ca, cb = Counter(a), Counter(b)
    if not ca or not cb:
        return 0.0
    return 2 * (ca & cb).total() / (ca.total() + cb.total())


@dataclass(frozen=True)
class Model:
    """Boosted trees as flat arrays: per node its feature, threshold, children and value."""

    feature: np.ndarray  # (trees, nodes) int
    threshold: np.ndarray  # (trees, nodes) float; x <= threshold goes left
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray  # leaf values (raw scores)
    leaf: np.ndarray  # bool
    missing_left: np.ndarray  # bool: NaN goes left
    base: float
    depth: int
    drop_below: float
    add_above: float
    names: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        trees = data["trees"]
        width = max(len(t["feature"]) for t in trees)

        def pad(key: str, fill: Any, dtype: Any) -> np.ndarray:
            out = np.full((len(trees), width), fill, dtype=dtype)
            for i, tree in enumerate(trees):
                out[i, : len(tree[key])] = tree[key]
            return out

        return cls(
            feature=pad("feature", 0, np.int64),
            threshold=pad("threshold", 0.0, np.float64),
            left=pad("left", 0, np.int64),
            right=pad("right", 0, np.int64),
            value=pad("value", 0.0, np.float64),
            leaf=pad("leaf", True, bool),
            missing_left=pad("missing_left", True, bool),
            base=float(data["base"]),
            depth=int(data["depth"]),
            drop_below=float(data["drop_below"]),
            add_above=float(data["add_above"]),
            names=tuple(data["features"]),
        )

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The summed raw scores (log-odds) of the rows of ``x``."""
        n, trees = x.shape[0], self.feature.shape[0]
        if n == 0:
            return np.zeros(0)
        cols = np.arange(trees)[None, :]
        rows = np.arange(n)[:, None]
        node = np.zeros((n, trees), dtype=np.int64)
        for _ in range(self.depth):
            leaf = self.leaf[cols, node]
            values = x[rows, self.feature[cols, node]]
            below = values <= self.threshold[cols, node]
            go_left = np.where(np.isnan(values), self.missing_left[cols, node], below)
            step = np.where(go_left, self.left[cols, node], self.right[cols, node])
            node = np.where(leaf, node, step)
        return self.base + self.value[cols, node].sum(axis=1)

    def proba(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.raw(x)))


@cache
def load_model(path: Path = MODEL_PATH) -> Model | None:
    """The shipped model (None when the file is missing: the pick is then kept as it is)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    model = Model.from_dict(data)
    if model.names != FEATURES:
        raise ValueError(f"{path}: the model's features are not this module's")
    return model


def decide(page: Page, model: Model | None = None) -> list[Line] | None:
    """The pick's lines the model keeps, with the lines of other candidates it adds, in page
    order; None: keep the pick (no model, nothing to decide, or the model keeps under
    ``MIN_KEPT_SHARE`` of the pick's words)."""
    model = model if model is not None else load_model()
    pick = page.clean.get(page.pick, ())
    if model is None or not pick:
        return None
    units = union(page)
    if not units:
        return None
    x = features(page, units)
    return select(page, units, model.proba(x), model.drop_below, model.add_above, x)


def select(
    page: Page,
    units: Sequence[Unit],
    proba: np.ndarray,
    drop_below: float,
    add_above: float,
    x: np.ndarray,
) -> list[Line] | None:
    """The pick's lines whose unit scores at least ``drop_below``, and the units of other
    candidates scoring above ``add_above`` that are new (less than half their word trigrams in
    the pick: a candidate often breaks the same text into other lines), each placed after the
    pick's line it follows in page order. None when too few of the pick's words are kept."""
    pick = page.clean[page.pick]
    at = {u.key: i for i, u in enumerate(units)}
    in_pick, cover = FEATURES.index("in_pick"), FEATURES.index("pick_cover")
    added = [
        i
        for i in range(len(units))
        if not x[i, in_pick] and x[i, cover] < NEW_BELOW and proba[i] > add_above
    ]
    slots: dict[int, list[int]] = {}  # index of a pick line (-1: before all) → units after it
    places = [at.get(norm(line.text), -1) for line in pick]
    j, last = 0, -1
    for i in added:
        while j < len(pick) and places[j] < i:
            if places[j] >= 0:
                last = j
            j += 1
        slots.setdefault(last, []).append(i)
    kept_words = 0
    out: list[Line] = [Line(units[i].line.text, -1 - i, units[i].line.kind,
                            units[i].line.link_chars) for i in slots.get(-1, ())]  # fmt: skip
    for n, line in enumerate(pick):
        u = places[n]
        if u < 0 or proba[u] >= drop_below:
            out.append(line)
            kept_words += line.words
        for i in slots.get(n, ()):
            unit = units[i].line
            out.append(Line(unit.text, -1 - i, unit.kind, unit.link_chars))
    if kept_words < MIN_KEPT_SHARE * sum(line.words for line in pick):
        return None
    return out
