"""Dedup signatures of one text: the CPU-heavy, picklable part (runs in extraction workers).

``signatures(text, title)`` returns compact byte strings (uint32 arrays) that ``DedupIndex`` stores
and compares; nothing here needs the index. Layers and what they use:

- exact: ``digest`` (normalised word sequence) and ``words_seq`` (same words, hashed, in order);
- near: ``shingles``, a MinHash (datasketch) of word 5-shingles;
- rewrite: ``words``, a MinHash of content-word stems (candidates), then ``vocab``, ``entities``,
  ``numbers``, ``quotes`` and ``sentences`` for the decision;
- story: ``entities`` (with counts), ``lead`` (names in the title and first sentences), ``vocab``;
- stories across languages: ``cross``, language-neutral keys (numbers, names in Latin letters).

``lang`` is the text's language: the index never makes texts of two languages duplicates of each
other or members of one story (``cross`` links stories across languages instead).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from pipelines.dedup.lsh import _fmix64
from pipelines.dedup.text import Tokens, content_lines, tokens
from pipelines.words import HAN_RUN

NUM_PERM = 128
SHINGLE = 5
QUOTE_GRAM = 3
LEAD_SENTENCES = 2
NAME_PREFIX = 4  # names are keyed by 4 letters: Russia/Russian, China/Chinese, Sergei/Sergey
_MASK64 = (1 << 64) - 1
NUMBER_BIT = 0x80000000  # set in the hash of a number of ``cross``, clear in a name's
LEADING_DIGITS = re.compile(r"[0-9]+")
MIN_CROSS_NUMBER = 32  # smaller numbers (days, months, counts) say nothing across languages


@dataclass(frozen=True)
class Signatures:
    """Everything dedup keeps of one text. Arrays are little-endian uint32 bytes."""

    digest: bytes  # blake2b-128 of the normalised word sequence
    words_seq: bytes  # hash of every normalised word, in order
    shingles: bytes  # MinHash of word 5-shingles (NUM_PERM values)
    words: bytes  # MinHash of content-word stems, names and numbers included
    vocab: bytes  # sorted stems of content words outside quotes, not names or numbers
    entities: bytes  # sorted (name hash, count) pairs, flattened
    numbers: bytes  # sorted hashes of numbers
    quotes: bytes  # sorted hashes of word 3-grams inside quotation marks
    sentences: bytes  # stems outside quotes, per sentence; 0 ends a sentence
    lead: bytes  # sorted name hashes of the title and the first sentences
    lang: bytes  # ISO 639-1 code of the text's language (b"" when unknown)
    cross: bytes  # sorted (key hash, count) pairs of language-neutral keys (NUMBER_BIT: a number)
    n_words: int

    def to_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    @classmethod
    def from_row(cls, row: Any) -> Signatures:
        return cls(**{name: row[name] for name in FIELDS})


FIELDS = tuple(Signatures.__dataclass_fields__)


@lru_cache(maxsize=1 << 18)
def h32(word: str) -> int:
    """Stable 32-bit hash of a word, never 0 (0 separates sentences)."""
    return zlib.crc32(word.encode("utf-8")) or 1


def u32(values: Iterable[int]) -> bytes:
    return np.fromiter(values, dtype="<u4").tobytes()


def array(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")


def signatures(text: str, title: str | None = None, language: str | None = None) -> Signatures:
    """Signatures of an article's text; lines that only repeat ``title`` are ignored.

    ``language`` is the article's detected language (``Article.language``): it picks the
    stemmer (``text.SNOWBALL``) and is kept in ``lang``."""
    lang = language_key(language)
    toks = tokens(content_lines(text, title), lang)
    norms, stems = toks.norm, toks.stem
    seq = np.fromiter(map(h32, norms), dtype=np.uint64, count=len(norms))
    outside = [not q and c for q, c in zip(toks.quoted, toks.content, strict=True)]
    names = Counter(_names(toks.norm, toks.entity))
    lead = list(_names(*_lead(toks)))
    if title:
        lead += _names(*_lead(tokens(content_lines(title, None), lang), None))
    return Signatures(
        digest=hashlib.blake2b(" ".join(norms).encode("utf-8"), digest_size=16).digest(),
        words_seq=seq.astype("<u4").tobytes(),
        shingles=minhash(shingle_hashes(seq)),
        words=minhash(np.unique([h32(w) for w, c in zip(stems, toks.content, strict=True) if c])),
        vocab=_sorted_set(
            w
            for w, o, e, n in zip(stems, outside, toks.entity, toks.number, strict=True)
            if o and not (e or n)
        ),
        entities=_counts(names),
        numbers=_sorted_set(w for w, n in zip(norms, toks.number, strict=True) if n),
        quotes=_sorted_set(_quote_grams(toks)),
        sentences=_sentences(toks, outside),
        lead=_sorted_set(lead),
        lang=lang.encode("ascii"),
        cross=_cross(Counter(cross_keys(toks))),
        n_words=len(norms),
    )


def language_key(language: str | None) -> str:
    """``zh`` of ``zh``, ``zh-CN``, ``ZH_tw``; "" when unknown."""
    if not language:
        return ""
    key = language.strip().lower().replace("_", "-").split("-")[0]
    return key if key.isascii() and key.isalpha() and len(key) <= 3 else ""


def cross_keys(toks: Tokens) -> Iterable[str]:
    """Language-neutral keys of a text: its numbers (``#80``) and its names in Latin letters,
    keyed like names (``NAME_PREFIX`` letters): ``Лавров`` and ``Lavrov`` give ``lavr``,
    ``习近平`` gives ``xi`` and ``jinp`` like ``Xi Jinping``."""
    for word, entity, number in zip(toks.norm, toks.entity, toks.number, strict=True):
        if not (number or entity):
            continue
        if number:
            digits = LEADING_DIGITS.match(word)  # 80th, 80-летия, 2022
            if digits and len(digits[0]) <= 6 and int(digits[0]) >= MIN_CROSS_NUMBER:
                yield f"#{int(digits[0])}"
        elif entity:
            yield from latin_name_keys(word)


@lru_cache(maxsize=1 << 16)
def latin_name_keys(word: str) -> tuple[str, ...]:
    """A name in Latin letters, keyed by its first NAME_PREFIX letters; a Han name of two to
    four characters as surname and given name (``王毅`` → ``wang``, ``yi``)."""
    from text_unidecode import unidecode

    if HAN_RUN.fullmatch(word):
        syllables = [s.lower() for s in unidecode(word).split()]
        if 2 <= len(syllables) <= 4:
            parts = [syllables[0], "".join(syllables[1:])]
        else:
            parts = ["".join(syllables)]
    else:
        parts = ["".join(c for c in unidecode(word).lower() if c.isalpha())]
    return tuple(p[:NAME_PREFIX] for p in parts if len(p) >= 2)


def _names(norms: Iterable[str], entity: Iterable[bool]) -> Iterable[str]:
    """Names are keyed by their first NAME_PREFIX letters."""
    return (w[:NAME_PREFIX] for w, e in zip(norms, entity, strict=True) if e)


def shingle_hashes(seq: np.ndarray) -> np.ndarray:
    """32-bit hashes of every run of SHINGLE words (the whole text if shorter)."""
    if len(seq) == 0:
        return seq
    k = min(SHINGLE, len(seq))
    with np.errstate(over="ignore"):
        acc = np.zeros(len(seq) - k + 1, dtype=np.uint64)
        for j in range(k):
            acc = acc * np.uint64(0x100000001B3) + seq[j : len(seq) - k + 1 + j]
        return _fmix64(acc) >> np.uint64(32)


@lru_cache(maxsize=1)
def _datasketch() -> tuple[Any, Any]:
    """datasketch's MinHash class and our permutations, imported on first use: datasketch pulls
    in scipy (~1-2 s), which the crawl's main process (the dedup index) never needs."""
    from datasketch import MinHash

    return MinHash, MinHash(num_perm=NUM_PERM, seed=1).permutations


def minhash(hashes: np.ndarray) -> bytes:
    """datasketch MinHash of pre-hashed 32-bit values, as NUM_PERM uint32 values."""
    minhash_class, permutations = _datasketch()
    m = minhash_class(num_perm=NUM_PERM, hashfunc=_identity, permutations=permutations)
    if len(hashes):
        m.update_batch(hashes.tolist())
    return m.hashvalues.astype("<u4").tobytes()


def _identity(value: int) -> int:
    return value


def _sorted_set(words: Iterable[str]) -> bytes:
    return np.unique(np.fromiter({h32(w) for w in words}, dtype="<u4")).tobytes()


def _counts(counter: Counter[str]) -> bytes:
    pairs = sorted((h32(w), n) for w, n in counter.items())
    return u32(v for pair in pairs for v in pair)


def _cross(counter: Counter[str]) -> bytes:
    pairs = sorted(
        ((h32(k) | NUMBER_BIT) if k.startswith("#") else (h32(k) & ~NUMBER_BIT), n)
        for k, n in counter.items()
    )
    return u32(v for pair in pairs for v in pair)


def _quote_grams(toks: Tokens) -> Iterable[str]:
    quoted = [w for w, q in zip(toks.norm, toks.quoted, strict=True) if q]
    n = QUOTE_GRAM
    return (" ".join(quoted[i : i + n]) for i in range(max(0, len(quoted) - n + 1)))


def _sentences(toks: Tokens, outside: list[bool]) -> bytes:
    out: list[int] = []
    current = None
    for w, s, o in zip(toks.stem, toks.sentence, outside, strict=True):
        if not o:
            continue
        if current is not None and s != current:
            out.append(0)
        current = s
        out.append(h32(w))
    return u32(out)


def _lead(
    toks: Tokens, sentences: int | None = LEAD_SENTENCES
) -> tuple[Iterable[str], Iterable[bool]]:
    """(norms, entity flags) of the first ``sentences`` sentences (all of them for None)."""
    if not toks.norm or sentences is None:
        return toks.norm, toks.entity
    last = toks.sentence[0] + sentences
    n = sum(1 for s in toks.sentence if s < last)  # sentence numbers never decrease
    return toks.norm[:n], toks.entity[:n]
