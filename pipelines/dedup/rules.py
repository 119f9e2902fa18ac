"""Pairwise decisions of the dedup layers, as pure functions over ``Signatures``.

Thresholds are module constants, each with the evidence it rests on (pairs of the demo web's
articles, ``tests/test_dedup.py``, and the synthetic benchmark).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from difflib import SequenceMatcher
from fractions import Fraction
from functools import lru_cache

import numpy as np

from pipelines.dedup.signatures import Signatures, array

# near: estimated Jaccard of word 5-shingles. Lightly edited wire copy: 0.73; independent
# reports of the same event: <= 0.03; spun rewrites: 0.1-0.35.
NEAR_JACCARD = 0.5
# exact with different framing (headline, boilerplate lines, credits around the same text):
# the longest common run of words covers >= 90% of the shorter and >= 75% of the longer text.
EXACT_CHECK_JACCARD = 0.75
EXACT_SHORTER = 0.9
EXACT_LONGER = 0.75
# rewrite candidates: estimated Jaccard of content-word stems (rewrites 0.5-0.65, independent
# reports of the same event 0.16-0.31).
REWRITE_CANDIDATE = 0.3
# two sentences are counterparts when their stems (outside quotes) have Jaccard >= 0.3;
# a rewrite has counterparts for >= 50% of the shorter text's sentences (rewrites 0.8-1.0,
# independent reports <= 0.4), keeps >= 60% of names and >= 35% of other vocabulary.
SENTENCE_MATCH = Fraction(3, 10)  # exact: compared in integers
MIN_SENTENCE_STEMS = 3
MIN_SENTENCES = 3
REWRITE_ALIGNED = 0.5
REWRITE_NAMES = 0.6
REWRITE_VOCAB = 0.35
# per language where measured otherwise (benchmarks/README.md). Russian corpus: independent
# reports of one event that align >= 0.5 of their sentences keep 0.42-0.48 of each other's
# vocabulary, rewrites >= 0.49 (the demo's Russian rewrite 0.57). Chinese: rewrites align >= 0.59
# of their sentences, independent reports <= 0.35: the English thresholds hold.
REWRITE_VOCAB_BY_LANGUAGE = {"ru": 0.49}
REWRITE_NUMBERS = 0.5


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard estimate from two MinHash value arrays."""
    return float(np.count_nonzero(a == b)) / len(a)


def framed_copy(a: Signatures, b: Signatures) -> bool:
    """Same text, give or take a headline or boilerplate before and after it: the longest common
    run of words covers EXACT_SHORTER of the shorter text and EXACT_LONGER of the longer."""
    sa, sb = array(a.words_seq), array(b.words_seq)
    short, long_ = sorted((len(sa), len(sb)))
    if short == 0:
        return False
    need = max(math.ceil(EXACT_SHORTER * short), math.ceil(EXACT_LONGER * long_))
    if need > short:
        return False
    shared = _common_run(sa, sb, need)
    if shared is not None:
        return shared
    matcher = SequenceMatcher(None, sa.tolist(), sb.tolist(), autojunk=False)
    return matcher.find_longest_match(0, len(sa), 0, len(sb)).size >= need


_P = np.uint64(0x100000001B3)


def _windows(seq: np.ndarray, n: int) -> np.ndarray:
    """A 64-bit polynomial hash of every run of ``n`` words (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        one = np.ones(1, dtype=np.uint64)
        powers = np.concatenate((one, np.cumprod(np.full(len(seq) - 1, _P, dtype=np.uint64))))
        prefix = np.zeros(len(seq) + 1, dtype=np.uint64)
        np.cumsum(seq.astype(np.uint64) * powers, out=prefix[1:])
        # sum of seq[i + k] * P**(i + k) over k < n, then P**i taken out by its inverse
        count = len(seq) - n + 1
        inverse = np.concatenate((one, np.cumprod(np.full(count - 1, _P_INV, dtype=np.uint64))))
        return (prefix[n:] - prefix[:-n]) * inverse


_P_INV = np.uint64(pow(int(_P), -1, 1 << 64))


def _common_run(a: np.ndarray, b: np.ndarray, n: int) -> bool | None:
    """Whether ``a`` and ``b`` share a run of ``n`` words, by hashes of all runs checked word
    for word; None when hashes collide (the caller asks difflib)."""
    ha, hb = _windows(a, n), _windows(b, n)
    _, ia, ib = np.intersect1d(ha, hb, return_indices=True)
    if len(ia) == 0:
        return False
    for i, j in zip(ia.tolist(), ib.tolist(), strict=True):
        if np.array_equal(a[i : i + n], b[j : j + n]):
            return True
    return None


@dataclass(frozen=True)
class RewriteEvidence:
    """What two texts share beyond their exact wording."""

    aligned: float  # share of the shorter text's sentences with a counterpart
    sentences: int  # sentences of the shorter text that were compared
    names: float  # containment of names
    vocab: float  # containment of other content words outside quotes
    numbers: float  # containment of numbers (1.0 when either has none)
    quotes: int  # shared word 3-grams inside quotation marks
    min_vocab: float = REWRITE_VOCAB  # the threshold of the texts' language

    @property
    def is_rewrite(self) -> bool:
        return (
            self.sentences >= MIN_SENTENCES
            and self.aligned >= REWRITE_ALIGNED
            and self.names >= REWRITE_NAMES
            and self.vocab >= self.min_vocab
            and self.numbers >= REWRITE_NUMBERS
        )


def rewrite_evidence(a: Signatures, b: Signatures) -> RewriteEvidence:
    aligned, compared = _alignment(_sentences(a.sentences), _sentences(b.sentences))
    return RewriteEvidence(
        aligned=aligned,
        sentences=compared,
        names=_containment(_names(a), _names(b)),
        vocab=_containment(set(array(a.vocab).tolist()), set(array(b.vocab).tolist())),
        numbers=_containment(set(array(a.numbers).tolist()), set(array(b.numbers).tolist()), 1.0),
        quotes=len(np.intersect1d(array(a.quotes), array(b.quotes))),
        min_vocab=REWRITE_VOCAB_BY_LANGUAGE.get(a.lang.decode("ascii"), REWRITE_VOCAB),
    )


def _names(sig: Signatures) -> set[int]:
    return set(array(sig.entities)[0::2].tolist())


def _containment(a: set[int], b: set[int], empty: float = 0.0) -> float:
    if not a or not b:
        return empty
    return len(a & b) / min(len(a), len(b))


@lru_cache(maxsize=512)  # a new article is compared with up to 8 candidates, often the same
def _sentences(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A sentence-by-stem incidence in sparse form: (row of each entry, stem of each entry),
    one entry per distinct stem of a sentence, for sentences of >= MIN_SENTENCE_STEMS stems
    (rows renumbered 0..n-1), ordered by stem so that ``_alignment`` joins two of them without
    sorting again. ``0`` separates sentences in the blob."""
    values = array(blob).astype(np.int64)
    words = values != 0
    keys = np.unique((np.cumsum(~words)[words] << 32) | values[words])
    rows, stems = keys >> 32, keys & 0xFFFFFFFF
    sizes = np.bincount(rows) if rows.size else np.zeros(0, dtype=np.int64)
    kept = sizes >= MIN_SENTENCE_STEMS
    keep = kept[rows]
    rows = (np.cumsum(kept) - 1)[rows[keep]]
    stems = stems[keep]
    order = np.argsort(stems, kind="stable")  # once per document, not once per comparison
    rows, stems = rows[order], stems[order]
    rows.flags.writeable = False  # cached: shared by every caller
    stems.flags.writeable = False
    return rows, stems


def _alignment(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[float, int]:
    """Share of the shorter text's sentences that have a counterpart in the other (any order):
    stem sets ``s``, ``t`` with ``|s & t| >= SENTENCE_MATCH * |s | t|``.

    All pairs at once: the shared-stem count of every sentence pair comes from one join of the
    two (sentence, stem) lists on the stem, counted into one sentences-by-sentences matrix
    (vectorised, no BLAS threads).
    """
    (ra, sa), (rb, sb) = a, b
    na, nb = (int(ra.max()) + 1 if ra.size else 0), (int(rb.max()) + 1 if rb.size else 0)
    if na > nb:
        (ra, sa, na), (rb, sb, nb) = (rb, sb, nb), (ra, sa, na)
    if na == 0:
        return 0.0, 0
    # Both lists are ordered by stem (``_sentences``): the queries are sorted too.
    lo = np.searchsorted(sb, sa, "left")
    counts = np.searchsorted(sb, sa, "right") - lo  # entries of b sharing each entry's stem
    starts = np.cumsum(counts) - counts
    index = np.arange(int(counts.sum())) + np.repeat(lo - starts, counts)
    pairs = np.repeat(ra, counts) * nb + rb[index]
    shared = np.bincount(pairs, minlength=na * nb).reshape(na, nb)
    # |s & t| >= p/q |s | t|, |s | t| = |s| + |t| - |s & t|  <=>  (p+q)|s & t| - p|t| >= p|s|
    # in place, integers only: a pair's test costs two passes over the matrix, not five.
    p, q = SENTENCE_MATCH.numerator, SENTENCE_MATCH.denominator
    shared *= p + q
    shared -= p * np.bincount(rb, minlength=nb)
    hits = int(np.count_nonzero(shared.max(axis=1) >= p * np.bincount(ra, minlength=na)))
    return hits / na, na
