"""Chinese, Russian and mixed-language synthetic news corpora with planted duplicates, built the
way ``dedup_corpus.py`` builds the English one, for ``dedup_bench.py --lang``.

Each event has five people, a date, numbers and quotes; each of its 1-3 independent reports
(per language) may get an exact, a near and a rewritten copy planted after it with the same
probabilities and edits as the English corpus:

- ``exact``:   the same text, half of them framed by a source line and a boilerplate line;
- ``near``:    ~12% of sentences with one word changed, one sentence dropped, one added;
- ``rewrite``: 45% of content words replaced by others of the same kind, a third of the
               function words dropped, sentences reordered (names, numbers and quotes kept).

Chinese words come from jieba's own dictionary (real words, written without spaces, sentences
ending in 。, quotes in “”), so the segmenter meets real vocabulary; Russian and English words
are pseudo-words built from syllables (Cyrillic for Russian, with Russian function words and
«» quotes). People are Chinese names from the same dictionary, written as such in Chinese, in
pinyin in English (``Wang Yi``) and in Cyrillic letters in Russian: the names the three
languages share, as real coverage of a visit does. In the mixed corpus an event is reported in
one, two or three languages (same people, same numbers, other words); 15 % of events reuse two
people of an event of the days before (another story with the same people, the hard negative
for stories across languages; the protagonists, the first two people, differ).
"""

from __future__ import annotations

import os
import random
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from benchmarks.dedup_corpus import START, Doc

LANGS = ("en", "zh", "ru")
P_EXACT = P_NEAR = P_REWRITE = 0.06
P_SHARED_PEOPLE = 0.15
REWRITE_SYNONYMS = 0.45
_LAT_SYL = "ka to ri men sa lo ver dan pe mi nor tal be gu fa zi ho ran el os ste lin mar ad bri"
_CYR_SYL = "ка то ри мен са ло вер дан пе ми нор тал бе гу фа зи хо ран ел ос сте лин мар ад бри"
FUNCTION = {
    "en": "the a of to and in on for with as by at from that was is said has have will it its",
    "ru": "и в на с по что как о из к у за от для это был была были его её их не также уже",
    "zh": "的 了 在 是 和 与 对 将 也 等 并 又 及 把 被 从 向 为 于 其 已",
}
BOILERPLATE = {
    "en": ("Sign up for our newsletter to get the top stories every morning.",
           "Copyright 2025 Example Media Group. All rights reserved."),
    "ru": ("Подпишитесь на нашу рассылку, чтобы получать главные новости.",
           "Все права защищены. Перепечатка без ссылки на источник запрещена."),
    "zh": ("（责任编辑：李明）", "版权所有 未经授权禁止转载"),
}  # fmt: skip
HEADER = {"en": "{} in the news.", "ru": "Источник: агентство {}.", "zh": "来源：{}报道"}
_CYR = dict(zip("abcdefghijklmnopqrstuvwxyz", "абцдефгхийклмнопкрстуввкйз", strict=True))
_CYR_MULTI = (("zh", "чж"), ("ch", "ч"), ("sh", "ш"), ("x", "с"), ("q", "ц"), ("yu", "ю"),
              ("ya", "я"), ("yi", "и"), ("y", "й"), ("ng", "н"), ("ao", "ао"))  # fmt: skip


@dataclass
class Person:
    zh: str
    en: list[str]  # ["Wang", "Yi"]
    ru: list[str]


@dataclass
class Event:
    id: str
    date: datetime
    people: list[Person]
    numbers: list[str]
    topic: dict[str, list[str]]
    quotes: dict[str, list[list[str]]]


def cyrillic(latin: str) -> str:
    word = latin.lower()
    for a, b in _CYR_MULTI:
        word = word.replace(a, b)
    return "".join(_CYR.get(c, c) for c in word).capitalize()


def _jieba_words() -> tuple[list[str], list[str]]:
    """(common words, person names) of jieba's dictionary, most frequent first."""
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    words: list[tuple[int, str]] = []
    names: list[tuple[int, str]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            word, freq, tag = line.split()
            if not 2 <= len(word) <= 3 or not all("\u4e00" <= c <= "\u9fff" for c in word):
                continue
            if tag == "nr" and len(word) in (2, 3):
                names.append((int(freq), word))
            elif tag in ("n", "v", "vn", "a", "ad", "d", "an"):
                words.append((int(freq), word))
    words.sort(reverse=True)
    names.sort(reverse=True)
    return [w for _, w in words], [w for _, w in names]


class IntlCorpus:
    def __init__(self, seed: int = 1, langs: tuple[str, ...] = LANGS, vocab_size: int = 20000):
        from text_unidecode import unidecode

        self.rng = random.Random(seed)
        self.langs = langs
        zh_words, zh_names = _jieba_words()
        self.vocab: dict[str, list[str]] = {
            "en": self._pseudo(_LAT_SYL.split(), vocab_size),
            "ru": self._pseudo(_CYR_SYL.split(), vocab_size),
            "zh": zh_words[200 : 200 + vocab_size],
        }
        self.synonym: dict[str, dict[str, str]] = {}
        for lang, vocab in self.vocab.items():
            other = vocab[:]
            self.rng.shuffle(other)
            self.synonym[lang] = dict(zip(vocab, other, strict=True))
        self.function = {lang: words.split() for lang, words in FUNCTION.items()}
        self.language: dict[str, str] = {}  # document id -> its language
        total, self.cum = 0.0, []
        for rank in range(vocab_size):  # Zipf-like word frequencies, as in the English corpus
            total += 1.0 / (rank + 10)
            self.cum.append(total)
        self.people: list[Person] = []
        for name in zh_names[:6000]:
            syllables = unidecode(name).split()
            en = [syllables[0].capitalize(), "".join(syllables[1:]).lower().capitalize()]
            self.people.append(Person(name, en, [cyrillic(p) for p in en]))

    def _pseudo(self, syllables: list[str], n: int) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        while len(out) < n:
            word = "".join(self.rng.choice(syllables) for _ in range(self.rng.randint(2, 4)))
            if word not in seen:
                seen.add(word)
                out.append(word)
        return out

    def docs(self, n: int) -> list[Doc]:
        out: list[Doc] = []
        events: list[Event] = []
        while len(out) < n:
            event = self._event(len(events), events)
            events.append(event)
            langs = self.langs if len(self.langs) == 1 else self._some_langs()
            for lang in langs:
                for r in range(self.rng.randint(1, 2 if len(self.langs) > 1 else 3)):
                    out += self._report_and_copies(event, lang, r)
        out.sort(key=lambda d: (d.published, d.id))
        return out[:n]

    def _some_langs(self) -> list[str]:
        k = self.rng.choice((1, 2, 2, 3))
        return self.rng.sample(list(self.langs), k)

    def _event(self, k: int, earlier: list[Event]) -> Event:
        rng = self.rng
        date = START + timedelta(days=rng.uniform(0, 365))
        people = rng.sample(self.people, 5)
        if earlier and rng.random() < P_SHARED_PEOPLE:  # two of its people, not its protagonists
            base = earlier[-1]
            people = [*people[:2], *base.people[:2], people[2]]
            date = base.date + timedelta(days=rng.uniform(0, 3))
        numbers = [str(rng.randint(32, 9999)) for _ in range(3)]
        topic = {lang: rng.sample(self.vocab[lang][200:8000], 40) for lang in LANGS}
        quotes = {lang: [self._words(lang, rng.randint(7, 11)) for _ in range(3)] for lang in LANGS}
        return Event(f"e{k}", date, people, numbers, topic, quotes)

    def _words(self, lang: str, n: int) -> list[str]:
        return self.rng.choices(self.vocab[lang], cum_weights=self.cum, k=n)

    def _name(self, person: Person, lang: str) -> list[str]:
        return [person.zh] if lang == "zh" else getattr(person, lang)

    def _sentence(self, event: Event, lang: str) -> list[list[str]]:
        """A sentence as a list of parts: [words] or, for a quote, [quote words, speaker]."""
        rng = self.rng
        words: list[str] = []
        for _ in range(rng.randint(10, 18)):
            x = rng.random()
            if x < 0.35:
                words.append(rng.choice(self.function[lang]))
            elif x < 0.6:
                words.append(rng.choice(event.topic[lang]))
            elif x < 0.82:
                words += self._words(lang, 1)
            elif x < 0.96:
                people = event.people[:2] if rng.random() < 0.6 else event.people
                words += self._name(rng.choice(people), lang)
            else:
                words.append(rng.choice(event.numbers))
        parts = [words]
        if rng.random() < 0.12:
            parts.append(rng.choice(event.quotes[lang]))
            parts.append(self._name(event.people[0], lang))
        return parts

    def _render(self, lang: str, sentence: list[list[str]]) -> str:
        words = sentence[0]
        if lang == "zh":
            text = "".join(words) + "。"
            if len(sentence) > 1:
                text += f"{''.join(sentence[2])}说：“{''.join(sentence[1])}。”"
            return text
        text = " ".join(words)
        text = text[:1].upper() + text[1:] + "."
        if len(sentence) > 1:
            quote = " ".join(sentence[1]).capitalize()
            said = " ".join(sentence[2])
            text += f' "{quote}," {said} said.' if lang == "en" else f" «{quote}», – сказал {said}."
        return text

    def _report_and_copies(self, event: Event, lang: str, r: int) -> list[Doc]:
        rng = self.rng
        sentences = [self._sentence(event, lang) for _ in range(rng.randint(14, 22))]
        lead = self._name(event.people[0], lang) + rng.sample(event.topic[lang], 4)
        title = ("" if lang == "zh" else " ").join(lead + self._name(event.people[1], lang))
        rid = f"{event.id}{lang}r{r}"
        when = event.date + timedelta(hours=rng.uniform(0, 30))
        docs = [self._doc(rid, when, title, lang, sentences, rid, "unique", event)]
        for kind, p in (("exact", P_EXACT), ("near", P_NEAR), ("rewrite", P_REWRITE)):
            if rng.random() < p:
                later = when + timedelta(hours=rng.uniform(1, 20))
                copy = getattr(self, f"_{kind}")(sentences, event, lang)
                docs.append(self._doc(f"{rid}-{kind}", later, title, lang, copy, rid, kind, event))
        return docs

    def _doc(self, did: str, when: datetime, title: str, lang: str, sentences: list,
             group: str, planted: str, event: Event) -> Doc:  # fmt: skip
        rendered = [s if isinstance(s, str) else self._render(lang, s) for s in sentences]
        sep = "" if lang == "zh" else " "
        paras = [sep.join(rendered[i : i + 3]) for i in range(0, len(rendered), 3)]
        url = f"http://site{zlib.crc32(did.encode()) % 50}.test/{lang}/{event.id}/{did}"
        self.language[did] = lang
        return Doc(did, url, when, title, "\n\n".join(paras), group, planted, event.id)

    def _exact(self, sentences: list, event: Event, lang: str) -> list:
        if self.rng.random() < 0.5:
            return sentences
        who = "".join(self._name(event.people[0], lang)) if lang == "zh" else "Global Wire"
        return [HEADER[lang].format(who), *sentences, self.rng.choice(BOILERPLATE[lang])]

    def _near(self, sentences: list, event: Event, lang: str) -> list:
        rng = self.rng
        out = []
        for s in sentences:
            words = list(s[0])
            if rng.random() < 0.12:
                words[rng.randrange(1, len(words))] = self._words(lang, 1)[0]
            out.append([words, *s[1:]])
        del out[rng.randrange(len(out))]
        out.insert(rng.randrange(len(out)), self._sentence(event, lang))
        return [*out, rng.choice(BOILERPLATE[lang])]

    def _rewrite(self, sentences: list, event: Event, lang: str) -> list:
        rng = self.rng
        function = set(self.function[lang])
        synonym = self.synonym[lang]
        out = []
        for s in sentences:
            words = []
            for w in s[0]:
                if w in synonym and rng.random() < REWRITE_SYNONYMS:
                    w = synonym[w]
                elif w in function and rng.random() < 0.3:
                    continue
                words.append(w)
            out.append([words, *s[1:]])
        rng.shuffle(out)
        return out
