"""A learned keep/drop decision for every line any extractor found (``extract_linemodel``).

``choose`` (extractor.py) picks one extractor's whole text per page. Each candidate is right on
some lines and wrong on others: precision mode drops a table the article needs, recall mode
keeps the related-story teasers under it. Here the lines of all candidates (trafilatura's three
modes and readability, each before and after ``textclean``, and the judge's lines) are merged
into one sequence in page order (``union``), each line is described by what the extractors and
the judge say about it, its form, its place relative to the pick, its words against the title
and the rest of the pick, and its element in the page's tree (``features``; the tree is
summarised once per page by ``dom_context``: the element's tag and block, sibling repetition
above it, where it meets the pick's lede and main container), and a small model of boosted
decision trees, trained on labelled pages (``benchmarks/train_linemodel.py``) and shipped as a
data file in this package, says which to keep. The pick's text is kept when the model keeps too
little of it (``MIN_KEPT_SHARE``), so a page that had text never comes out empty.

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
DOM_TAG_GROUPS = ("p", "li", "td", "a", "div", "h", "inline")  # the element of a line
LEDE_WORDS = 15  # the pick's first line of this many words is its lede
GAP_FEATURES = ("gap", "gap_rank")
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


BLOCK_TAGS = frozenset(
    {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "div", "section",
     "article", "main", "blockquote", "pre", "figcaption", "caption", "tr", "ul", "ol", "dl",
     "table", "header", "footer", "form", "aside", "body", "html", "details", "summary"}
)  # fmt: skip
INLINE = ("span", "strong", "b", "em", "i", "font", "small", "time", "u", "mark", "sup", "sub",
          "label", "cite", "abbr")  # fmt: skip
TAG_GROUPS = {"p": "p", "li": "li", "dt": "li", "dd": "li", "td": "td", "th": "td", "a": "a",
              "div": "div", **{f"h{i}": "h" for i in range(1, 7)},
              **dict.fromkeys(INLINE, "inline")}  # fmt: skip


def dom_context(tree: Any) -> dict[str, Any]:
    """A summary of the page's tree for the line model, in one pass: its elements in document
    order (``parent``, ``end``: the last element of its subtree, ``depth``, ``mask``: a bit mask
    of ``DOM_FLAGS`` over the element's and its ancestors' class and id words and tags, ``tag``,
    ``rep``: siblings with the same tag and class, itself included, ``chars`` and ``link_chars``:
    text characters in its subtree and in its links, ``links``, ``imgs``) and ``keys``: the
    first ``KEY_WORDS`` normalised words of each text node and block element → the element
    holding it. A line of an extractor's output is found by the start of its text."""
    index: dict[Any, int] = {}
    parent: list[int] = []
    depth: list[int] = []
    mask: list[int] = []
    tag: list[str] = []
    sigs: list[tuple[str, str]] = []
    chars: list[int] = []
    keys: dict[str, int] = {}
    word_bits: dict[str, int] = {}
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        up = el.getparent()
        at = -1 if up is None else index.get(up, -2)
        if at == -2 or el.tag in ("script", "style", "noscript", "template"):
            continue
        i = len(parent)
        index[el] = i
        name = el.tag.lower()
        base = mask[at] if at >= 0 else 0
        bits = base & FLAG_BITS
        cls = el.get("class") or ""
        words = f"{cls} {el.get('id') or ''}"
        if words.strip():
            known = word_bits.get(words)
            if known is None:  # pages repeat their class names: each is matched once
                known = sum(
                    1 << bit for bit, pattern in enumerate(_DOM_RES) if pattern.search(words)
                )
                word_bits[words] = known
            bits |= known
        if name in DOM_TAGS:
            bits |= 1 << (len(DOM_WORDS) + DOM_TAGS.index(name))
        parent.append(at)
        depth.append(depth[at] + 1 if at >= 0 else 0)
        mask.append(bits | (min(255, depth[-1]) << DEPTH_AT))
        tag.append(name)
        sigs.append((name, cls))
        chars.append(0)
        text = el.text
        if text and text.strip():
            chars[i] += len("".join(text.split()))
            key = " ".join(norm(text).split()[:KEY_WORDS])
            if key and key not in keys:
                keys[key] = i
        if at >= 0:
            tail = el.tail
            if tail and tail.strip():
                chars[at] += len("".join(tail.split()))
                key = " ".join(norm(tail).split()[:KEY_WORDS])
                if key and key not in keys:
                    keys[key] = at
    n = len(parent)
    end = list(range(n))
    link_chars = [0] * n
    links = [0] * n
    imgs = [0] * n
    groups: dict[tuple[int, tuple[str, str]], int] = {}
    for i in range(n):
        groups[parent[i], sigs[i]] = groups.get((parent[i], sigs[i]), 0) + 1
    for i in range(n - 1, -1, -1):
        if tag[i] == "a":
            link_chars[i] = chars[i]
            links[i] += 1
        elif tag[i] == "img":
            imgs[i] += 1
        at = parent[i]
        if at >= 0:
            chars[at] += chars[i]
            link_chars[at] += link_chars[i]
            links[at] += links[i]
            imgs[at] += imgs[i]
            end[at] = max(end[at], end[i])
    # blocks by the start of their whole text (a line starting with a bold word), the deepest
    # block first: a container's text starts as its first paragraph's
    for el, i in reversed(index.items()):
        if tag[i] in BLOCK_TAGS and chars[i] and tag[i] not in ("body", "html"):
            if len((el.text or "").split()) >= KEY_WORDS:  # its own text node is the key
                continue
            start: list[str] = []
            for piece in el.itertext():
                start.extend(norm(piece).split())
                if len(start) >= KEY_WORDS:
                    break
            key = " ".join(start[:KEY_WORDS])
            if key and key not in keys:
                keys[key] = i
    rep = [groups[parent[i], sigs[i]] for i in range(n)]
    return {"keys": keys, "parent": parent, "end": end, "depth": depth, "mask": mask,
            "tag": tag, "rep": rep, "chars": chars, "link_chars": link_chars, "links": links,
            "imgs": imgs}  # fmt: skip


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
    nodes = [_node(page.context, u.key) for u in units]
    dom_rows = _dom_features(page.context, nodes, in_pick, words)
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


def _node(context: Mapping[str, Any], key: str) -> int:
    """The element a line's text starts in (the longest start of up to ``KEY_WORDS`` words, at
    least two unless the line is one word), -1 when not found."""
    keys = context.get("keys")
    if not keys:
        return -1
    words = key.split()
    for n in range(min(KEY_WORDS, len(words)), 0 if len(words) == 1 else 1, -1):
        at = keys.get(" ".join(words[:n]))
        if at is not None:
            return int(at)
    return -1


REP_UP = 6  # sibling repetition is looked for this many levels above a line's element
MAIN_SHARE = 0.7  # the main container: the deepest element holding this share of the pick


def _dom_features(
    context: Mapping[str, Any], nodes: Sequence[int], in_pick: Sequence[bool],
    words: Sequence[int],
) -> list[list[float]]:  # fmt: skip
    """Per line: its ancestors' class words and tags, its element and block (tag, text, links,
    images), sibling repetition above it (teaser lists), and where it sits against the pick's
    main container (the deepest element holding ``MAIN_SHARE`` of the pick's found words): in
    it or not, how deep, and the share of the pick, of links and of text of its branch (the
    main container's child it is in), and whether that branch comes after the pick's largest."""
    n_dom = 2 + len(DOM_FLAGS) + len(DOM_TAG_GROUPS) + 17 + 2 * len(GAP_FEATURES)
    if not nodes or not context.get("keys"):
        return [[0.0, *(-1.0 for _ in range(n_dom - 1))] for _ in nodes]
    parent, depth, mask, tag = context["parent"], context["depth"], context["mask"], context["tag"]
    chars, link_chars, rep = context["chars"], context["link_chars"], context["rep"]
    links, imgs, end = context["links"], context["imgs"], context["end"]
    acc: dict[int, float] = {}
    found_words = 0.0
    for v, p, w in zip(nodes, in_pick, words, strict=True):
        if p and v >= 0:
            found_words += w
            while v >= 0:
                acc[v] = acc.get(v, 0.0) + w
                v = parent[v]
    main = -1
    for v, held in acc.items():
        if held >= MAIN_SHARE * found_words and (main < 0 or depth[v] > depth[main]):
            main = v
    biggest = -1
    if main >= 0:
        for v, held in acc.items():
            if parent[v] == main and (biggest < 0 or held > acc[biggest]):
                biggest = v
    pick_words = max(1, sum(w for w, p in zip(words, in_pick, strict=True) if p))
    root_chars = max(1, chars[0]) if chars else 1
    page_row = [chars[main] / root_chars if main >= 0 else -1.0, found_words / pick_words]
    gap_rows = _gaps(parent, nodes, in_pick, words)
    out = []
    for v, w in zip(nodes, words, strict=True):
        if v < 0:
            tail = [-1.0] * (2 * len(GAP_FEATURES))
            out.append([0.0, *(-1.0 for _ in range(n_dom - 3 - len(tail))), *page_row, *tail])
            continue
        m = mask[v]
        flags = [float(m >> bit & 1) for bit in range(len(DOM_FLAGS))]
        group = TAG_GROUPS.get(tag[v], "")
        block = v
        while block >= 0 and tag[block] not in BLOCK_TAGS:
            block = parent[block]
        block = v if block < 0 else block
        top, up, best = v, 0, v
        while top >= 0 and up <= REP_UP:
            if rep[top] > rep[best]:
                best = top
            top, up = parent[top], up + 1
        up_best = depth[v] - depth[best]
        inside = main >= 0 and main <= v <= end[main]
        branch = -1
        if inside and v != main:
            branch = v
            while parent[branch] != main:
                branch = parent[branch]
        bc = max(1, chars[branch]) if branch >= 0 else 1
        total = acc.get(main, 0.0) if main >= 0 else 0.0
        out.append([
            1.0, math.log1p(m >> DEPTH_AT), *flags,
            *(float(group == g) for g in DOM_TAG_GROUPS),
            math.log1p(chars[block]),
            link_chars[block] / max(1, chars[block]),
            math.log1p(links[block]),
            math.log1p(imgs[block]),
            min(1.0, 5 * w / max(1, chars[block])),  # about 5 characters a word
            math.log1p(rep[best]),
            link_chars[best] / max(1, chars[best]) if rep[best] > 1 else -1.0,
            math.log1p(chars[best]) if rep[best] > 1 else -1.0,
            float(up_best) if rep[best] > 1 else -1.0,
            float(inside) if main >= 0 else -1.0,
            float(depth[v] - depth[main]) if inside else -1.0,
            acc.get(branch, 0.0) / max(1.0, total) if branch >= 0 else -1.0,
            link_chars[branch] / bc if branch >= 0 else -1.0,
            chars[branch] / max(1, chars[main]) if branch >= 0 else -1.0,
            (0.0 if branch == biggest else 1.0 if branch > biggest else -1.0)
            if branch >= 0 and biggest >= 0 else -2.0,
            *page_row,
            *gap_rows[len(out)],
        ])  # fmt: skip
    return out


def _gaps(
    parent: Sequence[int], nodes: Sequence[int], in_pick: Sequence[bool], words: Sequence[int]
) -> list[list[float]]:
    """Per line, for two anchors of the pick (its lede, its longest line): how many levels up
    from the anchor the line's element and the anchor meet (0: the anchor's own element), and
    the share of the pick's found words that meet it lower. Related stories in the article's
    container meet the article's paragraphs higher than the paragraphs meet each other."""
    found = [i for i, (v, p) in enumerate(zip(nodes, in_pick, strict=True)) if p and v >= 0]
    if not found:
        return [[-1.0] * (2 * len(GAP_FEATURES)) for _ in nodes]
    total = max(1, sum(words[i] for i in found))
    lede = next((i for i in found if words[i] >= LEDE_WORDS), found[0])
    core = max(found, key=lambda i: words[i])
    rows: list[list[float]] = [[] for _ in nodes]
    for anchor in (nodes[lede], nodes[core]):
        up: dict[int, int] = {}
        v, level = anchor, 0
        while v >= 0:
            up[v] = level
            v, level = parent[v], level + 1
        gaps = []
        for v in nodes:
            while v >= 0 and v not in up:
                v = parent[v]
            gaps.append(up[v] if v >= 0 else -1)
        ranked = sorted((gaps[i], words[i]) for i in found)
        below: dict[int, float] = {}
        run = 0
        for g, w in ranked:
            below.setdefault(g, run / total)
            run += w
        for row, g in zip(rows, gaps, strict=True):
            row.extend([float(g), below.get(g, run / total)] if g >= 0 else [-1.0, -1.0])
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
