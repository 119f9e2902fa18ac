"""Deterministic synthetic news corpus with planted duplicates, for ``dedup_bench.py``.

Events have a date, names (the first two are the protagonists), a topic vocabulary, numbers and
quotes. Each event gets 1-3 independent reports (same story, never duplicates: they share names,
topic words and a quote or two). Each report may get copies planted after it:

- ``exact``:   the same text, half of them framed by a headline and a boilerplate line;
- ``near``:    ~12% of sentences with one word changed, one sentence dropped, one added;
- ``rewrite``: most content words replaced by synonyms, sentences reordered (names, numbers
               and quotes kept; 5-shingle Jaccard with the original well under 0.2);
- ``url``:     a re-crawl of the same URL.

Some events reuse the names of an earlier one 150-250 days later (same people, other story).
Pseudo-words are built from syllables, so no word list is needed.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

_SYLLABLES = "ka to ri men sa lo ver dan pe mi nor tal be gu fa zi ho ran el os ste lin mar ad bri"
_FUNCTION = "the a of to and in on for with as by at from that was is said has have will it its"
SYLLABLES = (*_SYLLABLES.split(), "co", "de", "vu", "ny", "pra", "gel", "tor", "sim", "ul")
FUNCTION = (*_FUNCTION.split(), "their", "after", "before", "over", "this", "which", "were", "are",
            "be")  # fmt: skip
BOILERPLATE = (
    "Sign up for our newsletter to get the top stories every morning.",
    "Copyright 2025 Example Media Group. All rights reserved.",
    "Follow us on social media for the latest updates and analysis.",
)
START = datetime(2025, 1, 1, 6, 0)
P_EXACT = P_NEAR = P_REWRITE = 0.06
P_RECRAWL = 0.01
P_SAME_PEOPLE = 0.05
REWRITE_SYNONYMS = 0.45  # share of content words (outside quotes and names) replaced


@dataclass(frozen=True)
class Doc:
    id: str
    url: str
    published: datetime
    title: str
    text: str
    group: str  # id of the original (its own id for originals)
    planted: str  # unique | exact | near | rewrite | url
    story: str  # event id


@dataclass
class Event:
    id: str
    date: datetime
    names: list[str]
    topic: list[str]
    numbers: list[str]
    quotes: list[str]


class Corpus:
    def __init__(self, seed: int = 1, vocab_size: int = 20000, names: int = 6000):
        self.rng = random.Random(seed)
        self.vocab = self._words(vocab_size, 2, 4, set())
        synonyms = self._words(vocab_size, 2, 4, set(self.vocab))
        self.synonym = dict(zip(self.vocab, synonyms, strict=True))
        self.names = [w.capitalize() for w in self._words(names, 2, 3, set(self.vocab))]
        weights = [1.0 / (rank + 10) for rank in range(vocab_size)]
        self.cum = [0.0] * vocab_size
        total = 0.0
        for i, w in enumerate(weights):
            total += w
            self.cum[i] = total

    def _words(self, n: int, lo: int, hi: int, taken: set[str]) -> list[str]:
        out: list[str] = []
        seen = set(taken)
        while len(out) < n:
            word = "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(lo, hi)))
            if word not in seen:
                seen.add(word)
                out.append(word)
        return out

    def docs(self, n: int) -> list[Doc]:
        """About ``n`` documents in arrival (publication) order."""
        out: list[Doc] = []
        events: list[Event] = []
        while len(out) < n:
            event = self._event(len(events), events)
            events.append(event)
            out += self._event_docs(event)
        out.sort(key=lambda d: (d.published, d.id))
        return out[:n]

    def _event_docs(self, event: Event) -> list[Doc]:
        """One event's documents: 1-3 independent reports, each with its planted copies."""
        out: list[Doc] = []
        for r in range(self.rng.randint(1, 3)):
            out += self._report_and_copies(event, r)
        return out

    def _event(self, k: int, earlier: list[Event]) -> Event:
        rng = self.rng
        date = START + timedelta(days=rng.uniform(0, 365))
        names = rng.sample(self.names, 5)
        if earlier and rng.random() < P_SAME_PEOPLE:
            base = rng.choice(earlier)
            names = base.names[:3] + names[:2]
            date = base.date + timedelta(days=rng.uniform(150, 250))
        quotes = [" ".join(self._vocab(rng.randint(7, 11))) for _ in range(3)]
        numbers = [str(rng.randint(2, 9999)) for _ in range(3)]
        return Event(f"e{k}", date, names, rng.sample(self.vocab[200:8000], 40), numbers, quotes)

    def _vocab(self, n: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cum, k=n)

    def _sentence(self, event: Event) -> str:
        rng = self.rng
        words: list[str] = []
        for _ in range(rng.randint(10, 18)):
            x = rng.random()
            if x < 0.35:
                words.append(rng.choice(FUNCTION))
            elif x < 0.6:
                words.append(rng.choice(event.topic))
            elif x < 0.82:
                words.append(self._vocab(1)[0])
            elif x < 0.96:
                words.append(rng.choice(event.names[:2] if rng.random() < 0.6 else event.names))
            else:
                words.append(rng.choice(event.numbers))
        words[0] = words[0].capitalize()
        sentence = " ".join(words) + "."
        if rng.random() < 0.12:
            sentence += f' "{rng.choice(event.quotes).capitalize()}," {event.names[0]} said.'
        return sentence

    def _report_and_copies(self, event: Event, r: int) -> list[Doc]:
        rng = self.rng
        sentences = [self._sentence(event) for _ in range(rng.randint(14, 22))]
        title = f"{event.names[0]} {' '.join(rng.sample(event.topic, 4))} {event.names[1]}"
        rid = f"{event.id}r{r}"
        when = event.date + timedelta(hours=rng.uniform(0, 30))
        original = self._doc(rid, when, title, sentences, rid, "unique", event)
        docs = [original]
        copies = (("exact", P_EXACT, self._exact), ("near", P_NEAR, self._near),
                  ("rewrite", P_REWRITE, self._rewrite))  # fmt: skip
        for kind, p, make in copies:
            if rng.random() < p:
                later = when + timedelta(hours=rng.uniform(1, 20))
                cid = f"{rid}-{kind}"
                docs.append(self._doc(cid, later, title, make(sentences, event), rid, kind, event))
        if rng.random() < P_RECRAWL:
            recrawl = Doc(f"{rid}-url", original.url, when + timedelta(days=1), title,
                          original.text, rid, "url", event.id)  # fmt: skip
            docs.append(recrawl)
        return docs

    def _doc(self, did: str, when: datetime, title: str, sentences: list[str], group: str,
             planted: str, event: Event) -> Doc:  # fmt: skip
        paras = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
        url = f"http://site{zlib.crc32(did.encode()) % 50}.test/{event.id}/{did}"
        return Doc(did, url, when, title, "\n\n".join(paras), group, planted, event.id)

    def _exact(self, sentences: list[str], event: Event) -> list[str]:
        if self.rng.random() < 0.5:
            return sentences
        return [f"{event.names[0]} in the news.", *sentences, self.rng.choice(BOILERPLATE)]

    def _near(self, sentences: list[str], event: Event) -> list[str]:
        rng = self.rng
        out = []
        for s in sentences:
            words = s.split(" ")
            if rng.random() < 0.12:
                words[rng.randrange(1, len(words))] = self._vocab(1)[0]
            out.append(" ".join(words))
        del out[rng.randrange(len(out))]
        out.insert(rng.randrange(len(out)), self._sentence(event))
        return [*out, rng.choice(BOILERPLATE)]

    def _rewrite(self, sentences: list[str], event: Event) -> list[str]:
        rng = self.rng
        keep = set(event.names) | set(FUNCTION)
        out = []
        for s in sentences:
            words: list[str] = []
            quoted = False
            for w in s.split(" "):
                quoted = quoted or w.startswith('"')
                bare = w.strip('.,"').lower()
                if not quoted and w not in keep:
                    if bare in self.synonym and rng.random() < REWRITE_SYNONYMS:
                        w = w.replace(bare, self.synonym[bare])
                    elif bare in FUNCTION and rng.random() < 0.3:
                        continue
                quoted = quoted and not w.endswith('"')
                words.append(w)
            out.append(" ".join(words))
        rng.shuffle(out)
        return out
