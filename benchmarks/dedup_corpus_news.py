"""A more realistic synthetic news corpus for ``dedup_bench.py --corpus news``.

The corpus of ``dedup_corpus.py`` gives every event 1-3 reports of 14-22 sentences and plants at
most one copy of each kind per report. Real coverage differs, and these differences are what an
index meets at scale:

- many stories, most covered once or twice: an event gets 1 (50 %), 2 (30 %), 3 (15 %) or 4 (5 %)
  independent reports, each by its own outlet;
- short wire items (65 %: 100-300 words) next to longer reports (35 %: 300-800 words);
- syndication: 35 % of wire items are republished by 1-5 other outlets, each framing the text
  with its own credit line and footer (``exact``, 70 %) or lightly editing it (``near``, 30 %);
  10 % of longer reports are republished by one outlet;
- few rewrites: 4 % of reports get one or two spun copies (``rewrite``);
- re-crawls of the same URL (``url``, 1 %);
- the same people in unrelated stories: 300 well-known names (heads of state, ministers) appear
  in 30 % of events besides the event's own protagonists, and 5 % of events reuse three people
  of an earlier one 150-250 days later.

Words, names, sentences and the edits of copies are those of ``dedup_corpus.Corpus``; the
labels (``Doc.group``, ``Doc.planted``, ``Doc.story``) are read the same way by the benchmark.
"""

from __future__ import annotations

import zlib
from datetime import timedelta

from benchmarks.dedup_corpus import BOILERPLATE, START, Corpus, Doc, Event

REPORTS = (1, 2, 3, 4)
REPORT_WEIGHTS = (50, 30, 15, 5)
P_WIRE = 0.65
WIRE_WORDS = (100, 300)
LONG_WORDS = (300, 800)
P_SYNDICATED_WIRE = 0.35
P_SYNDICATED_LONG = 0.10
SYNDICATION_COPIES = (1, 5)
P_FRAMED_COPY = 0.7  # of a syndicated copy (the rest are lightly edited: near)
P_REWRITTEN = 0.04
P_RECRAWL = 0.01
P_SAME_PEOPLE = 0.05
P_FAMOUS = 0.3
FAMOUS = 300
OUTLETS = 400
WORDS_PER_SENTENCE = 14  # mean of Corpus._sentence (10-18 words)


class NewsCorpus(Corpus):
    def __init__(self, seed: int = 1, vocab_size: int = 20000, names: int = 20000):
        super().__init__(seed, vocab_size, names)
        self.famous = self.names[:FAMOUS]
        self.outlets = [f"outlet{i}" for i in range(OUTLETS)]

    def _event_docs(self, event: Event) -> list[Doc]:
        """One event's documents: 1-4 reports by different outlets, each with its coverage."""
        out: list[Doc] = []
        reports = self.rng.choices(REPORTS, REPORT_WEIGHTS)[0]
        for r, outlet in enumerate(self.rng.sample(self.outlets, reports)):
            out += self._coverage(event, r, outlet)
        return out

    def _event(self, k: int, earlier: list[Event]) -> Event:
        rng = self.rng
        date = START + timedelta(days=rng.uniform(0, 365))
        names = rng.sample(self.names[FAMOUS:], 5)
        if rng.random() < P_FAMOUS:  # a minister or head of state among the others
            names[2 : 2 + rng.randint(1, 2)] = rng.sample(self.famous, 2)
        if earlier and rng.random() < P_SAME_PEOPLE:
            base = rng.choice(earlier[-5000:])
            names = base.names[:3] + names[:2]
            date = base.date + timedelta(days=rng.uniform(150, 250))
        quotes = [" ".join(self._vocab(rng.randint(7, 11))) for _ in range(3)]
        numbers = [str(rng.randint(2, 9999)) for _ in range(3)]
        return Event(f"e{k}", date, names, rng.sample(self.vocab[200:8000], 40), numbers, quotes)

    def _coverage(self, event: Event, r: int, outlet: str) -> list[Doc]:
        """One outlet's report of ``event`` and what is planted after it."""
        rng = self.rng
        wire = rng.random() < P_WIRE
        words = rng.randint(*(WIRE_WORDS if wire else LONG_WORDS))
        sentences = [self._sentence(event) for _ in range(max(3, words // WORDS_PER_SENTENCE))]
        title = f"{event.names[0]} {' '.join(rng.sample(event.topic, 4))} {event.names[1]}"
        rid = f"{event.id}r{r}"
        when = event.date + timedelta(hours=rng.uniform(0, 30))
        original = self._news_doc(rid, outlet, when, title, sentences, rid, "unique", event)
        docs = [original]
        if rng.random() < (P_SYNDICATED_WIRE if wire else P_SYNDICATED_LONG):
            others = [o for o in rng.sample(self.outlets, 6) if o != outlet]
            for c, other in enumerate(others[: rng.randint(*SYNDICATION_COPIES)]):
                later = when + timedelta(hours=rng.uniform(0.2, 12))
                if rng.random() < P_FRAMED_COPY:
                    kind, text = "exact", self._framed(sentences, other)
                else:
                    kind, text = "near", self._near(sentences, event)
                docs.append(self._news_doc(f"{rid}-s{c}", other, later, title, text, rid, kind,
                                           event))  # fmt: skip
        if rng.random() < P_REWRITTEN:
            for c in range(rng.randint(1, 2)):
                later = when + timedelta(hours=rng.uniform(1, 24))
                other = rng.choice(self.outlets)
                docs.append(self._news_doc(f"{rid}-w{c}", other, later, title,
                                           self._rewrite(sentences, event), rid, "rewrite",
                                           event))  # fmt: skip
        if rng.random() < P_RECRAWL:
            docs.append(Doc(f"{rid}-url", original.url, when + timedelta(days=1), title,
                            original.text, rid, "url", event.id))  # fmt: skip
        return docs

    def _framed(self, sentences: list[str], outlet: str) -> list[str]:
        """The same text under another outlet's credit line and footer."""
        footer = BOILERPLATE[zlib.crc32(outlet.encode()) % len(BOILERPLATE)]
        return [f"{outlet.capitalize()} staff and wire reports.", *sentences, footer]

    def _news_doc(self, did: str, outlet: str, when: object, title: str, sentences: list[str],
                  group: str, planted: str, event: Event) -> Doc:  # fmt: skip
        doc = self._doc(did, when, title, sentences, group, planted, event)  # type: ignore[arg-type]
        return Doc(did, f"http://{outlet}.test/{event.id}/{did}", doc.published, title, doc.text,
                   group, planted, event.id)  # fmt: skip
