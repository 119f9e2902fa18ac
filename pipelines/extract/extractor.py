"""Article extraction: a pure function of (url, headers, body) — no Scrapy, no shared state.

``extract()`` decodes the body (``extract_decode``), reads what the page declares about itself
(``extract_meta``: JSON-LD, meta tags, canonical link, ``<time>``), runs trafilatura (precision
mode, comments excluded) and readability-lxml, turns both outputs into lines (``extract_blocks``),
drops boilerplate from each by the same rules (``textclean``) and keeps trafilatura's text unless
it found less than half the words readability found; when trafilatura's default or recall mode
finds much new text that precision mode dropped, that text is kept instead (``choose``); a third
extractor, resiliparse, judges that pick and may overrule it (``extract_judge``); a learned line
model then drops lines of the pick and adds new lines the other candidates found
(``extract_linemodel``; whether the page is an article is still judged on the pick). Dates
are fused by ``dates.choose_date`` (``extract_fields``); ``truncated`` marks teasers
(``extract_teaser``).
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from importlib.metadata import version
from typing import Any

import lxml.html
import trafilatura
from lxml import etree

from pipelines.extract.article import Article, Hints
from pipelines.extract.blocks import Line, join_lines, lines_of
from pipelines.extract.decode import decode_html, is_html, maybe_gunzip, parse_html
from pipelines.extract.fields import Fields, resolve_fields
from pipelines.extract.jsonld import jsonld_objects
from pipelines.extract.judge import MARGIN as JUDGE_MARGIN
from pipelines.extract.judge import agreement, bag, judge_text, overrule
from pipelines.extract.lang import language_of
from pipelines.extract.linemodel import Page as LinePage
from pipelines.extract.linemodel import decide as decide_lines
from pipelines.extract.linemodel import dom_context
from pipelines.extract.linemodel import load_model as load_line_model
from pipelines.extract.links import HAS_BASE_TEXT, Link, links_in
from pipelines.extract.meta import page_meta
from pipelines.extract.prepare import prepare, strip_furniture
from pipelines.extract.readability import NAME as READABILITY
from pipelines.extract.readability import readability_lines
from pipelines.extract.teaser import teaser_reasons
from pipelines.extract.textclean import Cleaned, clean_lines, mark_links, norm
from pipelines.words import count_words

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
MIN_WORDS = 15  # less text than this (and under MIN_CHARS) is no article
MIN_CHARS = 120  # counts for scripts written without spaces
MIN_LETTER_SHARE = 0.5  # of the visible characters
UNMARKED_MIN_WORDS = 100  # a page with no article signal (JSON-LD Article, og:type article, a
# publication date other than a bare <time>, an author) needs this many words: listing pages
MAX_BODY = 8 * 1024 * 1024  # bytes looked at; about 5 s of work at most
PAGE_TEXT = etree.XPath(
    "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"
)
log = logging.getLogger(__name__)


Keep = Callable[[Article], bool]
Prefilter = Callable[[Iterable[str]], bool]  # False: no article of these texts can be kept


@dataclass(frozen=True)
class Choice:
    lines: list[Line]
    extractor: str
    teaser_line: bool
    words: dict[str, int | None]  # per extractor; None: not run (it could not have won)
    pick_lines: list[Line]  # the pick before the line model: whether the page is an article


def extract(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    hints: Hints | None = None,
    now: datetime | None = None,
    keep: Keep | None = None,
    line_model: bool = False,
) -> Article | None:
    """The article in an HTML response, or None (not HTML, no article text, unparseable).

    ``now`` (aware; default: the current time) bounds plausible publication dates. ``keep``,
    if given, is asked about the article before its language is detected (the costliest field
    after the text, ~1.5 ms): an article it refuses comes back with ``language=None``, for a
    caller that drops it anyway (the crawl's off-event pages). Never raises on bad input:
    malformed markup, wrong charsets, binary bodies and empty pages give None.

    ``line_model`` lets the learned line model (``extract_linemodel``) edit the chosen text:
    better text on varied sites (WCXB word F1 0.9432 -> 0.9483 out of fold), for about 65 % more
    CPU per extracted page (every candidate extractor runs); off by default, as in a crawl.
    """
    return extract_page(
        url, headers, body, hints=hints, now=now, links=False, keep=keep, line_model=line_model
    )[0]


def extract_page(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    hints: Hints | None = None,
    now: datetime | None = None,
    links: bool = True,
    keep: Keep | None = None,
    prefilter: Prefilter | None = None,
    line_model: bool = False,
) -> tuple[Article | None, list[Link]]:
    """The article (as ``extract``) and the page's links (as ``links.extract_links``), from one
    parse: the links are read before extraction cleans the tree. For the crawl's workers, which
    would otherwise parse every page twice. Never raises on bad input.

    ``prefilter(texts)`` sees every text an article of the page could be made of
    (:func:`page_texts`); when it answers False, extraction is skipped and the article is None
    (the relevance gate, pipelines/relevance/gate.py)."""
    try:
        parsed = _parse(headers, body)
    except (ValueError, etree.LxmlError, RecursionError, LookupError) as exc:
        log.debug("parsing failed for %s: %r", url, exc)
        return None, []
    if parsed is None:
        return None, []
    tree, html, encoding = parsed
    found: list[Link] = []
    texts: list[str] | None = None
    if links:
        texts = []  # anchor texts, read once for the links and for extraction's link lines
        has_base = HAS_BASE_TEXT.search(html) is not None
        try:
            found = links_in(tree, url, encoding, has_base=has_base, anchor_texts=texts)
        except (ValueError, etree.LxmlError, RecursionError) as exc:
            log.debug("reading links failed for %s: %r", url, exc)
            texts = None
    try:
        strip_furniture(tree)  # the links are read; the article is never in there
        if prefilter is not None and not prefilter(page_texts(tree, hints)):
            return None, found
        article = _article(url, tree, encoding, hints, now, texts, html, line_model)
    except (ValueError, etree.LxmlError, RecursionError, LookupError) as exc:
        log.debug("extraction failed for %s: %r", url, exc)
        return None, found
    if article is None:
        return None, found
    if keep is not None and not keep(article):
        return replace(article, language=None), found
    try:  # article.language is the page's declaration till now; the detector decides
        return replace(article, language=language_of(article.text, article.language)), found
    except (ValueError, LookupError) as exc:
        log.debug("language detection failed for %s: %r", url, exc)
        return article, found


_TEXT_NODES = etree.XPath("//text()[not(parent::script or parent::style)]", smart_strings=False)
_META_CONTENT = etree.XPath("//meta/@content", smart_strings=False)


def page_texts(tree: etree._Element, hints: Hints | None = None) -> Iterator[str]:
    """Every text an article's title or body can come from: the text nodes (not scripts or
    styles), ``<meta content>`` values, JSON-LD strings (entities unescaped too), the hint's
    title. Read after ``strip_furniture`` (what it removed is never extracted) and before
    ``prepare`` changes the tree."""
    for node in _TEXT_NODES(tree):
        yield str(node)
    for value in _META_CONTENT(tree):
        yield str(value)
        yield html.unescape(str(value))
    for obj in jsonld_objects(tree):
        for value in _strings(obj):
            yield value
            yield html.unescape(value)
    if hints is not None and hints.title:
        yield hints.title


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif depth < 20 and isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif depth < 20 and isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)


def warm_up() -> None:
    """Load what extraction loads lazily (the language model), e.g. once per pool worker."""
    language_of("Warm-up text for the language model, in plain English words.", None)


def _parse(
    headers: Mapping[str, str], body: bytes
) -> tuple[lxml.html.HtmlElement, str, str] | None:
    body = maybe_gunzip(body or b"")[:MAX_BODY]
    if not body.strip() or not is_html(headers, body):
        return None
    html, encoding = decode_html(headers, body)
    tree = parse_html(html)
    return None if tree is None else (tree, html, encoding)


def _article(
    url: str,
    tree: lxml.html.HtmlElement,
    encoding: str,
    hints: Hints | None,
    now: datetime | None,
    anchor_texts: list[str] | None = None,
    page_html: str | None = None,
    line_model: bool = False,
) -> Article | None:
    meta = page_meta(tree, url)
    anchors = _anchors(tree, anchor_texts)
    prepare(tree)
    doc = trafilatura.bare_extraction(tree, url=url, favor_precision=True, include_comments=False)
    fields = resolve_fields(meta, hints, tree, url, now)
    choice = choose(anchors, doc, tree, fields, url, page_html, line_model=line_model)
    text = join_lines(choice.lines)
    marked = bool(meta.article_signals or fields.authors)
    n_words = count_words(text)  # scripts without spaces segmented (pipelines.words)
    # whether the page is an article is judged on the pick, before the line model added lines
    # to it (a listing page's teasers must not make it one) or dropped some
    pick = text if choice.pick_lines is choice.lines else join_lines(choice.pick_lines)
    pick_words = n_words if pick is text else count_words(pick)
    if not _enough(pick) or (pick_words < UNMARKED_MIN_WORDS and not marked) or not text:
        return None
    reasons = teaser_reasons(meta, choice.teaser_line, n_words)
    return Article(
        url=url,
        text=text,
        title=fields.title,
        authors=fields.authors,
        date=fields.date.iso() if fields.date else None,
        date_source=fields.date.source if fields.date else None,
        sitename=fields.sitename,
        language=meta.language,  # declared; extract_page() detects it (unless not kept)
        tags=fields.tags,
        canonical_url=meta.canonical_url,
        word_count=n_words,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        truncated=bool(reasons),
        extractor=choice.extractor,
        extra={"encoding": encoding, "words": choice.words, "truncated_reasons": reasons},
    )


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
    page_words = _page_words(tree)
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


def _page_words(tree: etree._Element) -> int:
    return len(" ".join(PAGE_TEXT(tree)).split())


def _mostly_text(lines: list[Line]) -> bool:
    chars = sum(len(line.text) for line in lines)
    links = sum(line.link_chars for line in lines)
    return chars > 0 and links <= SECOND_MAX_LINK_DENSITY * chars


def _anchors(tree: etree._Element, texts: list[str] | None = None) -> frozenset[str]:
    """Normalised texts of the page's links (a line that is one of them is link text);
    ``texts``: those of every ``<a>``, already read (``links_in``). Links within the page (a
    table of contents, "back to top") are left out: their texts repeat the article's headings."""
    found = set()
    if texts is None:
        texts = [a.text_content() for a in tree.iter("a") if not _in_page(a.get("href"))]
    for text in texts:
        if text and text.strip():
            found.add(norm(text))
    found.discard("")
    return frozenset(found)


def _in_page(href: str | None) -> bool:
    return href is not None and href.strip().startswith("#")


def _enough(text: str) -> bool:
    """Long enough to be an article, and made of words (not symbol soup from a binary body)."""
    if len(text.split()) < MIN_WORDS and len(text) < MIN_CHARS:
        return False
    visible = "".join(text.split())  # str.split() drops exactly what str.isspace() finds
    return sum(map(str.isalpha, visible)) >= MIN_LETTER_SHARE * len(visible)
