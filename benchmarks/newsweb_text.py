"""Seeded, fast generation of newsy English text for the benchmark web (no I/O).

Sentences are built once from templates and word lists into a pool; paragraphs are drawn from
the pool, so a 10,000-page web costs seconds, not minutes, and every article is still a unique
mix. A small share of headlines is about the benchmark event (Wang Yi in Moscow), so the
crawler's relevance priorities have something to rank.
"""

from __future__ import annotations

import random

NAMES = (
    "Anna Petrova",
    "James Okafor",
    "Li Wei",
    "Maria Santos",
    "Tomás Herrera",
    "Zoë Laurent",
    "Sergei Ivanov",
    "Priya Raman",
    "Hannah Becker",
    "Kenji Watanabe",
    "Amara Diallo",
    "Oliver Grant",
    "Fatima Zahra",
    "Lukas Novak",
    "Sofia Rossi",
    "Mehmet Yilmaz",
)
PLACES = (
    "Moscow",
    "Beijing",
    "Brussels",
    "Nairobi",
    "São Paulo",
    "Jakarta",
    "Warsaw",
    "Lagos",
    "Ottawa",
    "Canberra",
    "Istanbul",
    "Mumbai",
    "Lima",
    "Oslo",
    "Hanoi",
    "Cairo",
    "Kyiv",
)
ORGS = (
    "the central bank",
    "the city council",
    "the health ministry",
    "the union",
    "the regulator",
    "the opposition",
    "the trade bloc",
    "the court",
    "the electoral commission",
    "the league",
    "the university",
    "the port authority",
    "the energy agency",
    "the parliament",
)
NOUNS = (
    "budget",
    "agreement",
    "proposal",
    "investigation",
    "election",
    "strike",
    "deal",
    "report",
    "plan",
    "market",
    "reform",
    "ceasefire",
    "inquiry",
    "tariff",
    "pipeline",
    "treaty",
    "vote",
    "forecast",
    "shortage",
    "festival",
    "season",
    "merger",
    "outbreak",
    "drought",
    "summit",
    "verdict",
    "protest",
    "subsidy",
    "network",
    "project",
    "contract",
    "scandal",
    "policy",
)
ADJECTIVES = (
    "new",
    "controversial",
    "long-awaited",
    "delayed",
    "ambitious",
    "modest",
    "record",
    "surprising",
    "fragile",
    "landmark",
    "revised",
    "disputed",
    "costly",
    "temporary",
    "regional",
)
VERBS = (
    "approved",
    "rejected",
    "announced",
    "questioned",
    "delayed",
    "welcomed",
    "criticised",
    "backed",
    "unveiled",
    "blocked",
    "extended",
    "signed",
    "reviewed",
    "defended",
    "cancelled",
)
FILLERS = (
    "according to officials",
    "people familiar with the matter said",
    "in a statement",
    "after weeks of talks",
    "despite strong objections",
    "on Tuesday",
    "late on Friday",
    "for the first time since 2019",
    "analysts said",
    "in a narrow vote",
    "by a wide margin",
)
TEMPLATES = (
    "{name} said {org} had {verb} the {adj} {noun} {filler}.",
    "The {adj} {noun} was {verb} by {org} in {place}, {filler}.",
    "In {place}, {org} {verb} a {adj} {noun} that critics called premature.",
    "\u201cWe have {verb} the {noun} because it was necessary,\u201d {name} told reporters.",
    "Officials in {place} expect the {noun} to affect the {adj} {noun2} over the coming months.",
    "{org} has not {verb} the {noun}, and {name} declined to comment {filler}.",
    "The {noun} follows a {adj} {noun2} that {org} {verb} last year.",
    "Figures published by {org} show the {noun} grew by {num} percent in {place}.",
    "Residents of {place} said the {adj} {noun} would change little, {filler}.",
    "{name}, who leads {org}, {verb} the {noun2} and called for a {adj} {noun}.",
)
EVENT_HEADLINES = (
    "Wang Yi arrives in Moscow for talks with Lavrov",
    "Putin receives Wang Yi at the Kremlin",
    "Wang Yi and Lavrov discuss Ukraine in Moscow",
    "What Wang Yi's Moscow visit means for the strategic partnership",
    "Kremlin says Wang Yi talks were 'constructive'",
)
EVENT_SENTENCES = (
    "Chinese Foreign Minister Wang Yi met Sergei Lavrov in Moscow on Tuesday.",
    "The Kremlin said Vladimir Putin would receive Wang Yi later in the week.",
    "Both sides spoke of a strategic partnership and of preparations for Xi Jinping's visit.",
    "Wang Yi said the talks in Moscow covered Ukraine, trade and energy.",
)


def _sentence(rng: random.Random) -> str:
    template = rng.choice(TEMPLATES)
    text = template.format(
        name=rng.choice(NAMES),
        place=rng.choice(PLACES),
        org=rng.choice(ORGS),
        noun=rng.choice(NOUNS),
        noun2=rng.choice(NOUNS),
        adj=rng.choice(ADJECTIVES),
        verb=rng.choice(VERBS),
        filler=rng.choice(FILLERS),
        num=rng.randint(2, 40),
    )
    return text[0].upper() + text[1:]


class TextMaker:
    """Headlines, teasers and paragraphs from one seeded generator."""

    def __init__(self, rng: random.Random, pool_size: int = 6000) -> None:
        self.rng = rng
        self.pool = [_sentence(rng) for _ in range(pool_size)]

    def headline(self, about_event: bool) -> str:
        rng = self.rng
        if about_event:
            return rng.choice(EVENT_HEADLINES)
        noun, adj, verb = rng.choice(NOUNS), rng.choice(ADJECTIVES), rng.choice(VERBS)
        place = rng.choice(PLACES)
        org = rng.choice(ORGS).removeprefix("the ").capitalize()
        return rng.choice(
            (
                f"{org} {verb} {adj} {noun} in {place}",
                f"{place}: {adj} {noun} {verb} after talks",
                f"Why the {adj} {noun} matters for {place}",
                f"{rng.choice(NAMES)} {verb} {noun} plan",
            )
        )

    def teaser(self) -> str:
        return self.rng.choice(self.pool)

    def paragraph(self, about_event: bool = False) -> str:
        rng = self.rng
        sentences = rng.choices(self.pool, k=rng.randint(3, 7))
        if about_event and rng.random() < 0.5:
            sentences.insert(rng.randrange(len(sentences)), rng.choice(EVENT_SENTENCES))
        return " ".join(sentences)
