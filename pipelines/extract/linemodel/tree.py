"""The page's tree summarised for the line model, once per page, and each line's features in it.

``dom_context`` walks the tree extraction already parsed: for every element its parent, depth,
the class/id words and tags of its ancestors (a bit mask of ``DOM_FLAGS``), its tag, sibling
repetition (teaser cards), its text, link text, links and images; and where each text starts
(the first ``KEY_WORDS`` words), so that an extractor's line can be found in the tree
(``find_node``). ``dom_features`` turns that into the features of a line's element: its block,
repetition above it, its place against the pick's main container and lede.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.extract.textclean import norm

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
        # the element's text is its own; its tail is its parent's
        for text, owner in ((el.text, i), (el.tail if at >= 0 else None, at)):
            if text and text.strip():
                chars[owner] += len("".join(text.split()))
                key = " ".join(norm(text).split()[:KEY_WORDS])
                if key and key not in keys:
                    keys[key] = owner
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


def find_node(context: Mapping[str, Any], key: str) -> int:
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


def dom_features(
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
