"""Which candidate's text is the article: the choice among extractors (``choose``).

Trafilatura's cleaned lines in precision mode, readability's when they hold far more words,
trafilatura's default or recall mode when it adds new prose that precision mode dropped, the
judge (resiliparse, ``extract_judge``) that may overrule the pick, and, when asked, the learned
line model (``extract_linemodel``) that edits the pick line by line. Pure: an lxml tree and
trafilatura's document in, lines out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import version
from typing import Any

import lxml.html
import trafilatura
from lxml import etree

from pipelines.extract.blocks import Line, join_lines, lines_of
from pipelines.extract.fields import Fields
from pipelines.extract.judge import MARGIN as JUDGE_MARGIN
from pipelines.extract.judge import agreement, bag, judge_text, overrule
from pipelines.extract.linemodel import Page as LinePage
from pipelines.extract.linemodel import decide as decide_lines
from pipelines.extract.linemodel import dom_context
from pipelines.extract.linemodel import load_model as load_line_model
from pipelines.extract.readability import NAME as READABILITY
from pipelines.extract.readability import readability_lines
from pipelines.extract.textclean import Cleaned, clean_lines, mark_links, norm

TRAFILATURA = "trafilatura " + version("trafilatura")
SECOND_WINS_BELOW = 0.5  # trafilatura's words / readability's words under which readability wins
SECOND_MAX_LINK_DENSITY = 0.5  # readability output that is mostly links is a link page, not text
GROW_MIN_SHARE = 0.3  # new trigrams a wider trafilatura mode must add, share of those so far
GROW_MIN_NEW = 30  # and at least this many
GROW_SENTENCE_WORDS = 15  # and a new line of prose at least this long
SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f][\"\u201d\u2019')\]]*\s*$")
PRECISION = "precision"  # names of the candidates in ``choose``
READABILITY_MODE = "readability"
WIDER_MODES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("default", {"include_comments": False}),
    ("recall", {"favor_recall": True, "include_comments": False}),
)
PAGE_TEXT = etree.XPath(
    "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"
)


@dataclass(frozen=True)
class Choice:
    lines: list[Line]
    extractor: str
    teaser_line: bool
    words: dict[str, int | None]  # per extractor; None: not run (it could not have won)
    pick_lines: list[Line]  # the pick before the line model: whether the page is an article


def choose(
    anchors: frozenset[str],
    doc: Any,
    tree: etree._Element,
    fields: Fields,
    url: str = "",
    html: str | None = None,
    *,
    line_model: bool = False,
) -> Choice:
    """Trafilatura's cleaned lines in precision mode; readability's if they are more than twice
    as many words; else trafilatura in a wider mode (default, then recall) if it adds new text;
    then, given the page's ``html``, the judge (``extract_judge``) may overrule that pick, and
    with ``line_model`` the learned line model edits the pick's lines (``_decided``).

    Readability's output is part of the page's text, so when trafilatura already has half the
    words of the whole page readability cannot win and is not run (about half of all pages).
    A wider mode is taken only when its text has at least ``GROW_MIN_SHARE`` more distinct
    word trigrams (and ``GROW_MIN_NEW`` in all, and a new sentence) that the narrower one lacks:
    on pages where precision mode dropped part of the article (lists, tables, sections in their
    own containers), not for a heading, a menu or a related-links box more. Not run when the
    narrower text already holds nearly all the page's words. The judge's candidates not run
    yet are run only when the pick disagrees with it enough to be overruled (about 1 page in 9).
    """
    title, authors = fields.title or "", fields.authors
    first_raw = mark_links(lines_of(doc.body) if doc is not None else [], anchors)
    first = clean_lines(first_raw, title=title, authors=authors)
    words_first = sum(line.words for line in first.lines)
    words: dict[str, int | None] = {"trafilatura": words_first, "readability": None}
    page_words = words_in_page(tree)
    found: dict[str, Cleaned] = {PRECISION: first}
    raws: dict[str, list[Line]] = {PRECISION: first_raw}  # before cleaning, for the line model

    def run_readability() -> tuple[Cleaned, list[Line]]:
        raw = readability_lines(lxml.html.tostring(tree, encoding="unicode"))
        raws[READABILITY_MODE] = mark_links(raw, anchors)
        cleaned = clean_lines(raws[READABILITY_MODE], title=title, authors=authors)
        words["readability"] = sum(line.words for line in cleaned.lines)
        found[READABILITY_MODE] = cleaned
        return cleaned, raw

    def run_mode(mode: str, options: dict[str, Any]) -> Cleaned:
        wider_doc: Any = trafilatura.bare_extraction(tree, url=url or None, **options)
        wider_raw = mark_links(lines_of(wider_doc.body) if wider_doc is not None else [], anchors)
        raws[mode] = wider_raw
        cleaned = clean_lines(wider_raw, title=title, authors=authors)
        words[f"trafilatura-{mode}"] = sum(line.words for line in cleaned.lines)
        found[mode] = cleaned
        return cleaned

    pick = PRECISION
    if words_first < SECOND_WINS_BELOW * page_words:
        second, second_raw = run_readability()
        words_second = sum(line.words for line in second.lines)
        if words_first < SECOND_WINS_BELOW * words_second and _mostly_text(second_raw):
            pick = READABILITY_MODE
    if pick == PRECISION:
        chosen, grams = first, _trigrams(first.lines)
        for mode, options in WIDER_MODES:
            if (1 + GROW_MIN_SHARE) * sum(line.words for line in chosen.lines) >= page_words:
                break
            wider = run_mode(mode, options)
            wider_grams = _trigrams(wider.lines)
            new = len(wider_grams - grams)
            if (
                new >= GROW_MIN_NEW
                and new > GROW_MIN_SHARE * len(grams)
                and _mostly_text(wider.lines)
                and any(_new_sentence(line, grams) for line in wider.lines)
            ):
                chosen, grams, pick = wider, wider_grams, mode
    lines = found[pick].lines
    if html is not None:
        judge = judge_text(html)
        pick = _judged(pick, found, judge, words, run_readability, run_mode)
        lines = found[pick].lines
        if line_model:
            page = LinePage(
                raw=raws,
                clean={},
                pick=pick,
                judge=judge,
                page_words=page_words,
                title=title,
                context={},
            )
            lines = _decided(page, found, tree, run_readability, run_mode)
    label = f"{TRAFILATURA}+{READABILITY}" if pick == READABILITY_MODE else TRAFILATURA
    return Choice(lines, label, found[pick].teaser_line, words, found[pick].lines)


def _decided(
    page: LinePage,
    found: dict[str, Cleaned],
    tree: etree._Element,
    run_readability: Callable[[], tuple[Cleaned, list[Line]]],
    run_mode: Callable[[str, dict[str, Any]], Cleaned],
) -> list[Line]:
    """The pick's lines as the line model (``extract_linemodel``) edits them: all candidates
    are run, the model drops lines of the pick and adds new lines of the others. ``page``
    holds the raw lines found so far (filled in here), the pick, the judge's text."""
    pick = page.pick
    if load_line_model() is None or not found[pick].lines:
        return found[pick].lines
    if READABILITY_MODE not in found:
        run_readability()
    for mode, options in WIDER_MODES:
        if mode not in found:
            run_mode(mode, options)
    page = replace(
        page,
        clean={name: cleaned.lines for name, cleaned in found.items()},
        context=dom_context(tree),
    )
    decided = decide_lines(page)
    return found[pick].lines if decided is None else decided


def _judged(
    pick: str,
    found: dict[str, Cleaned],
    judge: str,
    words: dict[str, int | None],
    run_readability: Callable[[], tuple[Cleaned, list[Line]]],
    run_mode: Callable[[str, dict[str, Any]], Cleaned],
) -> str:
    """The pick, or the candidate the judge's text agrees with clearly better (``overrule``).
    Candidates not run yet are run only when the pick's agreement leaves room to be overruled."""
    words["resiliparse"] = len(judge.split())
    if not judge.strip():
        return pick
    picked = bag(join_lines(found[pick].lines))
    if not picked or agreement(picked, bag(judge)) >= 1 - JUDGE_MARGIN:
        return pick
    if READABILITY_MODE not in found:
        run_readability()
    for mode, options in WIDER_MODES:
        if mode not in found:
            run_mode(mode, options)
    order = (READABILITY_MODE, *(mode for mode, _ in WIDER_MODES), PRECISION)
    candidates = {
        name: join_lines(found[name].lines)
        for name in order
        if name == pick or (_mostly_text(found[name].lines) and _has_prose(found[name].lines))
    }  # as for a wider mode: text, not a list of links or teasers (listing pages)
    return overrule(pick, candidates, judge) or pick


def _has_prose(lines: list[Line]) -> bool:
    return any(
        line.words >= GROW_SENTENCE_WORDS and SENTENCE_END.search(line.text) is not None
        for line in lines
    )


def _new_sentence(line: Line, grams: set[tuple[str, ...]]) -> bool:
    """A line of prose (long enough, ending a sentence) that is not all in ``grams``: what a
    wider mode adds must hold some, not only headings, link lists or a menu."""
    return (
        line.words >= GROW_SENTENCE_WORDS
        and SENTENCE_END.search(line.text) is not None
        and not _trigrams([line]) <= grams
    )


def _trigrams(lines: list[Line]) -> set[tuple[str, ...]]:
    """Distinct word trigrams of the lines (a line shorter than three words counts whole)."""
    found: set[tuple[str, ...]] = set()
    for line in lines:
        tokens = norm(line.text).split()
        found.update(tuple(tokens[i : i + 3]) for i in range(max(1, len(tokens) - 2)))
    return found


def words_in_page(tree: etree._Element) -> int:
    return len(" ".join(PAGE_TEXT(tree)).split())


def _mostly_text(lines: list[Line]) -> bool:
    chars = sum(len(line.text) for line in lines)
    links = sum(line.link_chars for line in lines)
    return chars > 0 and links <= SECOND_MAX_LINK_DENSITY * chars
