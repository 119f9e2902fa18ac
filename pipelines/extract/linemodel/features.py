"""The line model's inputs: the union of every candidate's lines and one row of features each.

``union`` merges the lines of trafilatura's three modes and readability, each before and after
``textclean``, into one sequence in page order; ``features`` describes each line by what the
extractors and the judge say about it, its form, its place relative to the pick, its words
against the title and the rest of the pick, and its element in the page's tree (``tree``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipelines.extract.blocks import Line
from pipelines.extract.linemodel.tree import (
    DOM_FLAGS,
    DOM_TAG_GROUPS,
    GAP_FEATURES,
    dom_features,
    find_node,
)
from pipelines.extract.textclean import is_boilerplate, is_link_line, norm

CANDIDATES = ("precision", "default", "recall", "readability")  # each raw and cleaned
KINDS = ("p", "head", "item", "row", "quote", "code")
SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f][\"\u201d\u2019')\]]*\s*$")
WORD = re.compile(r"\w+")

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
    *(f"tag_{g}" for g in DOM_TAG_GROUPS), "block_log_chars", "block_link_share",
    "block_log_links", "block_log_imgs", "block_line_share", "rep_max", "rep_link_share",
    "rep_log_chars", "rep_up", "main_in", "main_depth", "branch_pick_share",
    "branch_link_share", "branch_chars_share", "branch_after", "page_main_chars_share",
    "page_dom_found_share", *(f"{a}_{g}" for a in ("lede", "core") for g in GAP_FEATURES),
    "title_overlap", "title_cover", "pick_vocab", "lede_vocab",
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
    context: Mapping[str, Any] = field(default_factory=dict)  # ``dom_context``


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
    nodes = [find_node(page.context, u.key) for u in units]
    dom_rows = dom_features(page.context, nodes, in_pick, words)
    text_rows = _text_features(page, units, in_pick)
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
            *dom_rows[i],
            *text_rows[i],
        ]
        rows[i] = row
    return rows


VOCAB_MIN = 4  # letters of a word counted in vocabulary overlaps
LEDE_LINES = 3  # the pick's first lines of prose (10+ words) that make its lede


def _text_features(page: Page, units: Sequence[Unit], in_pick: Sequence[bool]) -> list[list[float]]:
    """Per line: word overlap with the page's title (share of the line's words in the title, of
    the title's words in the line), and the share of its words (``VOCAB_MIN`` letters or more)
    found in the rest of the pick and in the pick's lede."""
    title = {t for t in WORD.findall(page.title.lower()) if len(t) >= VOCAB_MIN}
    tokens = [[t for t in WORD.findall(u.line.text.lower()) if len(t) >= VOCAB_MIN] for u in units]
    pick_counts: dict[str, int] = {}
    lede: list[int] = []
    for i, (u, toks) in enumerate(zip(units, tokens, strict=True)):
        if in_pick[i]:
            for t in toks:
                pick_counts[t] = pick_counts.get(t, 0) + 1
            if len(lede) < LEDE_LINES and u.line.words >= 10:
                lede.append(i)
    lede_counts: dict[str, int] = {}
    for i in lede:
        for t in tokens[i]:
            lede_counts[t] = lede_counts.get(t, 0) + 1
    out = []
    for i, toks in enumerate(tokens):
        if not toks:
            out.append([-1.0, -1.0 if title else -2.0, -1.0, -1.0])
            continue
        own: dict[str, int] = {}
        for t in toks:
            own[t] = own.get(t, 0) + 1
        mine = own if in_pick[i] else {}
        in_lede = own if i in lede else {}
        n = len(toks)
        out.append([
            sum(t in title for t in toks) / n,
            len(title & own.keys()) / len(title) if title else -2.0,
            sum(pick_counts.get(t, 0) > mine.get(t, 0) for t in toks) / n,
            sum(lede_counts.get(t, 0) > in_lede.get(t, 0) for t in toks) / n if lede else -1.0,
        ])  # fmt: skip
    return out


def _agreement(a: Sequence[str], b: Sequence[str]) -> float:
    from collections import Counter

    ca, cb = Counter(a), Counter(b)
    if not ca or not cb:
        return 0.0
    return 2 * (ca & cb).total() / (ca.total() + cb.total())
