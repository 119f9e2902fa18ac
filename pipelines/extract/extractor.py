"""Article extraction: a pure function of (url, headers, body) — no Scrapy, no shared state.

``extract()`` decodes the body (``extract_decode``), reads what the page declares about itself
(``extract_meta``: JSON-LD, meta tags, canonical link, ``<time>``), runs trafilatura (precision
mode, comments excluded) and readability-lxml, turns both outputs into lines (``extract_blocks``),
drops boilerplate from each by the same rules (``textclean``) and keeps trafilatura's text unless
it found less than half the words readability found; when trafilatura's default or recall mode
finds much new text that precision mode dropped, that text is kept instead (``choice``); a third
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import lxml.html
import trafilatura
from lxml import etree

from pipelines.extract.article import Article, Hints
from pipelines.extract.blocks import join_lines
from pipelines.extract.choice import choose
from pipelines.extract.decode import decode_html, is_html, maybe_gunzip, parse_html
from pipelines.extract.fields import resolve_fields
from pipelines.extract.jsonld import jsonld_objects
from pipelines.extract.lang import language_of
from pipelines.extract.links import HAS_BASE_TEXT, Link, links_in
from pipelines.extract.meta import page_meta
from pipelines.extract.prepare import prepare, strip_furniture
from pipelines.extract.teaser import teaser_reasons
from pipelines.extract.textclean import norm
from pipelines.words import count_words

MIN_WORDS = 15  # less text than this (and under MIN_CHARS) is no article
MIN_CHARS = 120  # counts for scripts written without spaces
MIN_LETTER_SHARE = 0.5  # of the visible characters
UNMARKED_MIN_WORDS = 100  # a page with no article signal (JSON-LD Article, og:type article, a
# publication date other than a bare <time>, an author) needs this many words: listing pages
MAX_BODY = 8 * 1024 * 1024  # bytes looked at; about 5 s of work at most
log = logging.getLogger(__name__)


Keep = Callable[[Article], bool]
Prefilter = Callable[[Iterable[str]], bool]  # False: no article of these texts can be kept


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
    better text on varied sites (WCXB word F1 0.9457 -> 0.9548 out of fold), for about 75 % more
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
