"""How relevant an article is to the event: terms in title and body, and the date window.

Score (0..1, documented in the README):

- per ``all`` group: strength = min(1, (3 * hits in title + hits in body) / 3), so one hit in the
  title or three in the body make a group fully present;
- base = mean of the group strengths; each distinct ``any`` term adds 0.05 (at most 0.2), and
  the base is scaled to 0.8 when ``any`` terms exist (as ``MatchSpec.score`` does);
- a ``none`` term anywhere → 0.

An article is **on-event** when every ``all`` group has at least one hit, no ``none`` term hits,
the score reaches the threshold (default 0.5), and its date is inside the event window (with the
event's slack) — an undated article is judged on its text alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from pipelines.extract.article import Article, parse_when
from pipelines.relevance.gate import TermGate
from pipelines.relevance.matching import (
    ANY_BONUS,
    ANY_CAP,
    MatchSpec,
    compile_counters,
    compile_terms,
    normalize,
)

TITLE_WEIGHT = 3
HITS_FOR_FULL_GROUP = 3
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Relevance:
    score: float
    on_event: bool
    reason: str  # "on-event", "missing-terms", "excluded-term", "low-score", "outside-window"
    group_hits: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"score": round(self.score, 3), "on_event": self.on_event, "reason": self.reason}


@dataclass
class RelevanceScorer:
    """Scores articles against one event's ``[match]`` terms and window (pure; reusable)."""

    match: MatchSpec
    window: tuple[date, date]
    threshold: float = DEFAULT_THRESHOLD
    _groups: list[tuple[re.Pattern[str], ...]] = field(init=False, repr=False)
    _any: list[re.Pattern[str]] = field(init=False, repr=False)
    _none: re.Pattern[str] | None = field(init=False, repr=False)
    _gate: TermGate = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._groups = [ps for g in self.match.all if (ps := compile_counters(g))]
        self._any = [p for t in self.match.any if (p := compile_terms([t])) is not None]
        self._none = compile_terms(self.match.none)
        self._gate = TermGate(self.match)

    def could_match(self, page_texts: Iterable[str]) -> bool:
        """False only when no article made of these texts can be on-event (a missing ``all``
        group): extraction can be skipped (pipelines/relevance/gate.py)."""
        return self._gate.could_match(page_texts)

    def score(self, article: Article) -> Relevance:
        title = normalize(article.title or "")
        body = normalize(article.text)
        if self._none is not None and (self._none.search(title) or self._none.search(body)):
            return Relevance(0.0, False, "excluded-term")
        hits = tuple(
            sum(TITLE_WEIGHT * len(p.findall(title)) + len(p.findall(body)) for p in group)
            for group in self._groups
        )
        strengths = [min(1.0, h / HITS_FOR_FULL_GROUP) for h in hits]
        base = sum(strengths) / len(strengths) if strengths else 0.0
        if self._any:
            bonus = min(
                ANY_CAP, ANY_BONUS * sum(1 for p in self._any if p.search(title + "\n" + body))
            )
            score = min(1.0, base * (1 - ANY_CAP) + bonus)
        else:
            score = base
        if not all(hits):
            return Relevance(score, False, "missing-terms", hits)
        if score < self.threshold:
            return Relevance(score, False, "low-score", hits)
        if not self._in_window(article.date):
            return Relevance(score, False, "outside-window", hits)
        return Relevance(score, True, "on-event", hits)

    def _in_window(self, value: str | None) -> bool:
        when = parse_when(value)
        if when is None:
            return True
        day = when.date() if isinstance(when, datetime) else when
        return self.window[0] <= day <= self.window[1]
