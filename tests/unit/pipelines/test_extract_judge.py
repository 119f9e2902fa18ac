"""The judge (pipelines/extract/judge.py): a third extractor that may overrule the choice."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter

from pipelines.extract.choice import TRAFILATURA
from pipelines.extract.extractor import extract
from pipelines.extract.judge import MARGIN, agreement, bag, judge_text, overrule
from tests.support import TEST_DATA

WCXB = TEST_DATA / "extract" / "wcxb"
WORD = re.compile(r"\w+")
ARTICLE = (
    "The council voted on Tuesday to rebuild the old bridge over the river. Work starts in "
    "spring and should take two years, the mayor said. Traffic will use a temporary crossing "
    "downstream while the old spans are taken down and the new ones are lifted into place."
)
PART = ARTICLE.split(". ")[0] + "."


def test_agreement_is_the_word_f1_of_two_bags() -> None:
    assert agreement(bag("a b c d"), bag("a b c d")) == 1.0
    assert agreement(bag("a b"), bag("a b c d")) == 2 * 2 / (2 + 4)
    assert agreement(bag("Bridge, BRIDGE."), bag("bridge bridge")) == 1.0
    assert agreement(bag(""), bag("a")) == 0.0
    assert agreement(bag("x y"), bag("a b")) == 0.0


def test_a_longer_candidate_the_judge_agrees_with_overrules_a_partial_pick() -> None:
    candidates = {"readability": ARTICLE, "precision": PART}
    assert overrule("precision", candidates, ARTICLE) == "readability"


def test_a_shorter_candidate_never_overrules() -> None:
    """The judge sometimes keeps a fragment; a pick is never narrowed down to agree with it."""
    candidates = {"readability": ARTICLE, "precision": PART}
    assert overrule("readability", candidates, PART) is None


def test_overruling_needs_the_margin() -> None:
    pick = ARTICLE + " Residents asked for a cycle lane as well."
    judge = ARTICLE + " Residents asked for a cycle lane as well. Tickets and menus."
    longer = judge + " Tickets and menus."
    gain = agreement(bag(longer), bag(judge)) - agreement(bag(pick), bag(judge))
    assert 0 < gain < MARGIN
    assert overrule("precision", {"default": longer, "precision": pick}, judge) is None


def test_no_judge_text_or_an_empty_pick_changes_nothing() -> None:
    candidates = {"readability": ARTICLE, "precision": PART, "recall": ""}
    assert overrule("precision", candidates, "") is None
    assert overrule("recall", candidates, ARTICLE) is None


def test_the_best_agreeing_candidate_wins_and_ties_go_to_the_first() -> None:
    noisy = ARTICLE + " Sign up for our newsletter. Follow us. Privacy policy. Cookies."
    candidates = {"readability": ARTICLE, "default": noisy, "recall": ARTICLE, "precision": PART}
    assert overrule("precision", candidates, ARTICLE) == "readability"


def test_judge_text_is_the_main_content_and_fails_soft() -> None:
    html = (
        "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<main><article><h1>Bridge</h1><p>{ARTICLE}</p></article></main>"
        "<footer>Copyright 2025 The Gazette. All rights reserved.</footer></body></html>"
    )
    text = judge_text(html)
    assert ARTICLE in text
    assert "All rights reserved" not in text
    assert judge_text("") == ""


def _word_f1(pred: str, truth: str) -> float:
    p, t = Counter(WORD.findall(pred.lower())), Counter(WORD.findall(truth.lower()))
    hit = sum((p & t).values())
    return 0.0 if not hit else 2 * hit / (sum(p.values()) + sum(t.values()))


def test_wcxb_page_where_the_judge_restores_the_whole_article() -> None:
    """WCXB page 4184 (a car maintenance checklist): trafilatura's precision mode keeps 162
    words, readability 344 and wins (more than twice as many), so the wider modes are not even
    tried; the judge's text agrees far better with trafilatura's default mode (891 words), which
    is taken. Measured word F1 0.98 when written (0.55 without the judge)."""
    record = json.loads((WCXB / "4184.json").read_text(encoding="utf-8"))
    body = gzip.decompress((WCXB / "4184.html.gz").read_bytes())
    article = extract(record["url"], {"Content-Type": "text/html"}, body)
    assert article is not None
    assert article.extractor == TRAFILATURA
    assert article.extra["words"]["resiliparse"] > 0
    assert article.extra["words"]["trafilatura"] < 0.5 * article.word_count
    assert _word_f1(article.text, record["ground_truth"]["main_content"]) >= 0.9
