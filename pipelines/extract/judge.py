"""A third extractor as judge: resiliparse's main-content text, which may overrule the choice.

``choose`` (extractor.py) picks between trafilatura's modes and readability by rules on their
own outputs. A page where that pick shares little with what an independent extractor
(resiliparse, a different algorithm: DOM rules, not scoring) takes for the main content is one
where the rules likely went wrong, most often by keeping only part of the article (a section,
the introduction, the text before a table). There a longer candidate that agrees best with the
judge wins, if it agrees clearly better (``MARGIN`` more bag-of-words F1). Only a longer one:
measured on WCXB's pages, overruling in favour of a shorter candidate lost more pages than it
won (the judge itself sometimes keeps only a fragment). The judge's own text is never output:
it takes whole pages too often (0.87 word F1 on WCXB's pages alone, 0.90 on the news benchmark).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from importlib.metadata import version

from resiliparse.extract.html2text import extract_plain_text

NAME = "resiliparse " + version("resiliparse")
MARGIN = 0.2  # a candidate must agree this much better (word F1) with the judge than the pick
WORD = re.compile(r"\w+")
log = logging.getLogger(__name__)


def judge_text(html: str) -> str:
    """Resiliparse's main-content text of the page ("" when it fails)."""
    try:
        return str(extract_plain_text(html, main_content=True))
    except Exception as exc:  # a C extension: any failure means no judge, never a failed page
        log.debug("resiliparse failed: %r", exc)
        return ""


def bag(text: str) -> Counter[str]:
    """Lower-cased word tokens of a text, counted."""
    return Counter(WORD.findall(text.lower()))


def agreement(a: Counter[str], b: Counter[str]) -> float:
    """Bag-of-words F1 between two texts' bags (0 when either is empty)."""
    total_a, total_b = a.total(), b.total()
    if not total_a or not total_b:
        return 0.0
    hit = (a & b).total()
    return 2 * hit / (total_a + total_b)


def overrule(pick: str, candidates: dict[str, str], judge: str) -> str | None:
    """The name of the candidate to take instead of ``pick`` (a key of ``candidates``), or None.

    A candidate with more words than the pick wins when its agreement with the judge's text
    exceeds the pick's by more than ``MARGIN``; of several, the one agreeing best (ties: the
    first in ``candidates``). An empty pick is left alone (the page has no article)."""
    judged, picked = bag(judge), bag(candidates[pick])
    if not judged or not picked:
        return None
    base = agreement(picked, judged)
    if base >= 1 - MARGIN:
        return None
    best, best_score = None, base + MARGIN
    for name, text in candidates.items():
        words = bag(text)
        score = agreement(words, judged)
        if words.total() > picked.total() and score > best_score:
            best, best_score = name, score
    return best
