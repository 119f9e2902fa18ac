"""The relevance gate never stops a page that could be on-event, and does stop the rest."""

from __future__ import annotations

import gzip
import random
import re
from datetime import date

import pytest

from pipelines.analysis.worker import analyse_page
from pipelines.extract.decode import parse_html
from pipelines.extract.extractor import extract_page, page_texts
from pipelines.extract.prepare import strip_furniture
from pipelines.relevance.gate import TermGate, skeleton
from pipelines.relevance.matching import MatchSpec
from pipelines.relevance.scorer import RelevanceScorer
from tests.support import TEST_DATA

PAGES = sorted((TEST_DATA / "extract" / "eval").glob("*.html.gz"))
HTML = {"content-type": "text/html; charset=utf-8"}


def gate(*groups: list[str]) -> TermGate:
    return TermGate(MatchSpec(all=tuple(tuple(g) for g in groups)))


def test_skeleton_keeps_letters_and_digits_in_the_matchers_normal_form() -> None:
    assert skeleton("Wang-Yi, in\u00a0MOS\u00adCOW (2025)!") == "wangyiinmoscow2025"
    assert skeleton("%D0%9F%D1%83%D1%82%D0%B8%D0%BD") == "путин"  # percent-decoded, as matched
    assert skeleton("Stra\u00dfe") == "strasse"  # case-folded


@pytest.mark.parametrize(
    "texts",
    [
        ["Wang Yi met Lavrov in Moscow"],
        ["<b>Wang</b>", "Yi", " visited ", "Mos", "cow"],  # split across text nodes
        ["WANG-YI", "MOSCOW"],
        ["wang", "xx", "yi", "moscow"],  # words of a phrase apart (cleaning may join them)
        ["Ван И", "в Москве"],  # the Cyrillic terms
        ["王毅抵达莫斯科"],  # Chinese, no spaces
    ],
)
def test_passes_every_page_whose_text_could_hit_each_group(texts: list[str]) -> None:
    assert gate(["Wang Yi", "Ван И", "王毅"], ["Moscow", "Москв*", "莫斯科"]).could_match(texts)


@pytest.mark.parametrize(
    "texts",
    [
        ["Wang Yi met the press"],  # the second group is missing
        ["Lavrov in Moscow"],  # the first is
        ["Wang in Moscow"],  # half a phrase
        [""],
    ],
)
def test_stops_a_page_missing_a_group(texts: list[str]) -> None:
    assert not gate(["Wang Yi"], ["Moscow", "Kremlin"]).could_match(texts)


def test_a_term_without_letters_or_digits_constrains_nothing() -> None:
    assert gate(["C++", "…"]).could_match(["nothing here"])  # "…" has a word, no skeleton


def test_page_texts_include_titles_meta_json_ld_and_the_hint_but_not_scripts() -> None:
    html = """<html><head><title>Page title</title>
    <meta property="og:title" content="Wang Yi &amp; friends">
    <script>var hidden = "Kremlin";</script><style>.x{content:"Lavrov"}</style>
    <script type="application/ld+json">
    {"headline": "Visit to \\u041c\\u043e\\u0441\\u043a\\u0432\\u0430"}</script>
    </head><body><p>Body <i>text</i></p><!-- Putin --></body></html>"""
    tree = parse_html(html)
    assert tree is not None
    from pipelines.extract.article import Hints

    texts = " | ".join(page_texts(tree, Hints(title="Hinted headline")))
    for expected in ("Page title", "Wang Yi & friends", "Visit to Москва", "Body ", "text"):
        assert expected in texts
    assert "Hinted headline" in texts
    assert "Kremlin" not in texts and "Lavrov" not in texts and "Putin" not in texts


def _phrases(text: str, rng: random.Random, n: int) -> list[str]:
    words = re.findall(r"[^\W_]+(?:['\u2019-][^\W_]+)*", text)
    out = []
    for _ in range(n):
        i = rng.randrange(len(words))
        out.append(" ".join(words[i : i + rng.randint(1, 3)]))
    return out


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name[:12])
def test_real_pages_pass_for_any_words_of_their_own_article(path: object) -> None:
    """For real pages: any word or phrase of the extracted article's text or title, as an
    event's terms, lets the page through; a word not on the page stops it."""
    body = gzip.decompress(path.read_bytes())  # type: ignore[attr-defined]
    article, _ = extract_page("http://example.org/a", HTML, body)
    assert article is not None and article.title
    tree = parse_html(body.decode("utf-8", "replace"))
    assert tree is not None
    strip_furniture(tree)  # as extract_page does before it asks the gate
    texts = list(page_texts(tree))
    rng = random.Random(path.name)  # type: ignore[attr-defined]
    terms = _phrases(article.text, rng, 40) + _phrases(article.title, rng, 5)
    for term in terms:
        assert gate([term]).could_match(texts), term
    assert gate(terms[:3], terms[3:6]).could_match(texts)
    assert not gate([terms[0]], ["zqxjkvbw"]).could_match(texts)


def test_the_worker_skips_extraction_of_a_gated_page_and_keeps_its_links() -> None:
    scorer = RelevanceScorer(
        MatchSpec(all=(("Wang Yi",), ("Moscow",))), (date(2025, 3, 30), date(2025, 4, 5))
    )
    page = b"""<html><head><title>Markets</title></head><body><article><p>"""
    page += b"Shares rose in Frankfurt on Tuesday as investors weighed new data. " * 30
    page += b"""</p></article><a href="/next">next</a></body></html>"""
    gated = analyse_page("http://example.org/m", HTML, page, None, scorer)
    assert gated.gated and gated.analysis is None
    assert [link[0] for link in gated.links] == ["http://example.org/next"]
    ungated = analyse_page("http://example.org/m", HTML, page, None, scorer, gate=False)
    assert not ungated.gated and ungated.analysis is not None  # extracted, then off-event
    assert not ungated.analysis.relevance.on_event
    assert ungated.links == gated.links


MOST_READ = """<html><head><title>Markets</title>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Markets"}</script>
</head><body><nav><a href="/world/">World</a> <a href="/wang-yi/">Wang Yi in Moscow</a></nav>
<article><h1>Markets</h1><p>{body}</p></article>
<aside class="most-read"><h3>Most read</h3><ol>
<li><a href="/a/wang-yi-moscow.html">Wang Yi arrives in Moscow for talks</a></li></ol></aside>
</body></html>"""


def test_a_headline_in_a_most_read_box_does_not_send_the_page_to_extraction() -> None:
    """The event's terms only in <nav> and <aside>, which extraction removes before any
    extractor runs: the page is gated, and the links of those boxes are still followed."""
    scorer = RelevanceScorer(
        MatchSpec(all=(("Wang Yi",), ("Moscow",))), (date(2025, 3, 30), date(2025, 4, 5))
    )
    page = MOST_READ.replace("{body}", "Shares rose in Frankfurt on Tuesday. " * 40).encode()
    result = analyse_page("http://example.org/m", HTML, page, None, scorer)
    assert result.gated and result.analysis is None
    assert {link[0] for link in result.links} >= {
        "http://example.org/wang-yi/",
        "http://example.org/a/wang-yi-moscow.html",
    }
    ungated = analyse_page("http://example.org/m", HTML, page, None, scorer, gate=False)
    assert ungated.analysis is not None and not ungated.analysis.relevance.on_event
    assert "Wang Yi" not in ungated.analysis.article.text  # what the gate skipped is not text
    on = MOST_READ.replace("{body}", "Wang Yi met Lavrov in Moscow on Tuesday. " * 40).encode()
    kept = analyse_page("http://example.org/m", HTML, on, None, scorer)
    assert not kept.gated and kept.analysis is not None and kept.analysis.relevance.on_event


def test_the_gates_search_equals_looking_for_each_word_in_the_pages_skeleton() -> None:
    """The gate finds a word without building the skeleton; it must decide exactly as
    ``word in skeleton(page)`` would, on text full of markup leftovers and odd characters."""
    rng = random.Random(11)
    alphabet = [
        *"wangyimoscowßSSÉé",
        " ",
        "-",
        "\u00ad",
        "\u00a0",
        ".",
        "_",
        "%",
        "\u2019",
        "\u2019s",
    ]
    terms = [["Wang Yi", "Straße"], ["Moscow", "Éa"]]
    g = gate(*terms)
    seps = [" ", "-", "\u00ad", ". ", "_", "\u2019", ""]

    def broken(word: str) -> str:  # a term's word with separators, as markup may leave it
        return "".join(ch + rng.choice(seps) * rng.randrange(0, 2) for ch in word)

    outcomes = []
    for _ in range(3000):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12))) for _ in "abc"]
        for word in ("wang", "yi", "moscow", "strasse", "ea"):
            if rng.random() < 0.5:
                texts.insert(rng.randrange(len(texts) + 1), broken(word))
        page = skeleton(" ".join(texts))
        expected = all(any(all(w in page for w in words) for words in group) for group in g.groups)
        assert g.could_match(texts) == expected, texts
        outcomes.append(expected)
    assert 100 < sum(outcomes) < 2900  # both answers were tested many times
