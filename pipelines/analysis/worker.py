"""The function extraction workers run: extraction, relevance and dedup signatures, in one hop.

Runs in a process pool (never on the reactor). Everything in and out is picklable.

Given the event's scorer, the worker judges relevance itself, as soon as the article's text,
title and date are known, and finishes only on-event articles: their language is detected and
their dedup signatures computed. Off-event pages never reach the dedup index or the article set;
for them both would be wasted (benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np

from pipelines.extract.article import Article, Hints
from pipelines.relevance.scorer import Relevance, RelevanceScorer


class Analysis(NamedTuple):
    article: Article
    relevance: Relevance | None  # None when no scorer was given
    signatures: object  # pipelines.dedup.signatures.Signatures; None for an off-event article


class PageAnalysis(NamedTuple):
    """What the crawl's workers return for one fetched page."""

    analysis: Analysis | None  # None: the page holds no article (or was gated)
    links: tuple[tuple[str, str, bool], ...]  # (url, anchor text, nofollow), as Link fields
    gated: bool = False  # the page lacks a required term: extraction was skipped


def analyse(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    hints: Hints | None = None,
    scorer: RelevanceScorer | None = None,
    *,
    line_model: bool = False,
) -> Analysis | None:
    """Extract the article, score it, sign it if on-event; None when the page has no article."""
    from pipelines.extract.extractor import extract

    gate = _Gate(scorer)
    article = extract(url, headers, body, hints=hints, keep=gate.keep, line_model=line_model)
    return _judge(article, gate)


def analyse_page(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    hints: Hints | None = None,
    scorer: RelevanceScorer | None = None,
    *,
    links: bool = True,
    gate: bool = True,
    line_model: bool = False,
) -> PageAnalysis:
    """``analyse`` plus the page's links, from one parse of the page (the crawl's workers).

    With ``gate`` (and a scorer), a page that lacks every term of a required ``all`` group is
    not extracted at all (pipelines/relevance/gate.py): ``PageAnalysis.gated``."""
    from pipelines.extract.extractor import extract_page

    judge = _Gate(scorer, gate=gate)
    article, found = extract_page(
        url,
        headers,
        body,
        hints=hints,
        links=links,
        keep=judge.keep,
        prefilter=judge.possible,
        line_model=line_model,
    )
    return PageAnalysis(
        _judge(article, judge),
        tuple((link.url, link.text, link.nofollow) for link in found),
        judge.gated,
    )


class _Gate:
    """Judges relevance once, when extraction asks whether to finish the article; with
    ``gate``, first whether the page could hold an on-event article at all."""

    def __init__(self, scorer: RelevanceScorer | None, *, gate: bool = False) -> None:
        self.scorer = scorer
        self.gate = gate and scorer is not None
        self.gated = False
        self.relevance: Relevance | None = None

    def possible(self, texts: Iterable[str]) -> bool:
        if not self.gate or self.scorer is None:
            return True
        self.gated = not self.scorer.could_match(texts)
        return not self.gated

    def keep(self, article: Article) -> bool:
        if self.scorer is None:
            return True
        self.relevance = self.scorer.score(article)
        return self.relevance.on_event


def _judge(article: Article | None, gate: _Gate) -> Analysis | None:
    from pipelines.dedup.signatures import signatures

    if article is None:
        return None
    relevance = gate.relevance
    if relevance is not None and not relevance.on_event:
        return Analysis(article, relevance, None)  # language not detected: dropped anyway
    return Analysis(article, relevance, signatures(article.text, article.title, article.language))


def warm() -> bool:
    """Import the heavy modules once per worker, before the first page arrives."""
    from pipelines.dedup.signatures import minhash
    from pipelines.extract.extractor import warm_up

    minhash(np.zeros(0, dtype=np.uint64))  # imports datasketch (and scipy) now, not mid-crawl

    warm_up()  # the language model, once per worker
    return True
