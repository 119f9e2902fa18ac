"""pipelines.relevance.scorer: title over body, term frequency, exclusions, the date window."""

from __future__ import annotations

from datetime import date

from crawler.demoweb import demo_event_path
from crawler.event.spec import load_event
from pipelines.extract.article import Article
from pipelines.relevance.matching import MatchSpec, compile_counters, compile_terms, normalize
from pipelines.relevance.scorer import RelevanceScorer

EVENT = load_event(demo_event_path())
SCORER = RelevanceScorer(EVENT.match, EVENT.window())


def art(title: str, text: str, day: str | None = "2025-04-01") -> Article:
    return Article(url="http://x.test/a", title=title, text=text, date=day)


def test_on_event_article() -> None:
    r = SCORER.score(art("Wang Yi meets Putin in Moscow", "Chinese FM Wang Yi met Putin."))
    assert r.on_event and r.reason == "on-event" and r.score > 0.7


def test_title_weighs_more_than_body() -> None:
    in_title = SCORER.score(art("Wang Yi in Moscow", "Talks were held."))
    in_body = SCORER.score(art("Talks held", "Wang Yi was in Moscow."))
    assert in_title.score > in_body.score


def test_term_frequency_raises_the_score() -> None:
    once = SCORER.score(art("Talks", "Wang Yi arrived. Moscow."))
    often = SCORER.score(
        art("Talks", "Wang Yi arrived. Wang Yi spoke. Wang Yi left. Moscow, Kremlin, Lavrov.")
    )
    assert often.score > once.score


def test_one_group_missing_is_off_event() -> None:
    r = SCORER.score(art("Badminton: Wang Yi wins the open", "Wang Yi won in straight sets."))
    assert not r.on_event and r.reason == "missing-terms"


def test_outside_the_window_is_off_event_undated_is_judged_on_text() -> None:
    text = "Wang Yi met Lavrov in Moscow and Putin at the Kremlin."
    assert SCORER.score(art("Wang Yi in Moscow", text, "2024-09-12")).reason == "outside-window"
    assert SCORER.score(art("Wang Yi in Moscow", text, "2025-04-06")).on_event  # one day of slack
    assert SCORER.score(art("Wang Yi in Moscow", text, None)).on_event


def test_excluded_term_zeroes_the_score() -> None:
    scorer = RelevanceScorer(
        MatchSpec(all=(("Wang Yi",), ("Moscow",)), none=("badminton",)),
        (date(2025, 3, 30), date(2025, 4, 5)),
    )
    r = scorer.score(art("Wang Yi in Moscow", "Wang Yi in Moscow for the badminton open."))
    assert r.score == 0 and r.reason == "excluded-term"


def test_low_score_below_threshold() -> None:
    strict = RelevanceScorer(EVENT.match, EVENT.window(), threshold=0.9)
    r = strict.score(art("Talks", "Wang Yi arrived in Moscow."))
    assert not r.on_event and r.reason == "low-score"


def test_per_term_counters_count_what_the_alternation_counts() -> None:
    text = normalize(
        "Moscow, MOSCOW and moscow's Kremlin; Kremlin-watchers; Moskva. "
        "Moscowite is not Moscow. Kremlin_x, x_Kremlin, 2Moscow, Moscow2."
    )
    words = ("Moscow", "Kremlin", "moscow")
    counters = compile_counters(words)
    assert len(counters) == 2  # one per distinct word, each a lone literal
    alternation = compile_terms(words)
    assert alternation is not None
    assert sum(len(p.findall(text)) for p in counters) == len(alternation.findall(text)) == 8
    # phrases, prefixes, punctuation and unspaced scripts keep the single alternation
    for terms in (("Wang Yi", "Moscow"), ("Путин*", "Moscow"), ("O'Neil", "Neil"), ("王毅", "x")):
        assert len(compile_counters(terms)) == 1
