"""Story clusters: independent reports of one event, grouped by the names they share and time.

A story keeps a profile: for each name (4-letter key, see ``signatures.NAME_PREFIX``) its
mention count summed over the members, a weight ``(1 + log count) * (2 if in title/lead else 1)``
and a prominence ``count * (2 if in title/lead else 1)``, both summed too.
A new article joins the best story (highest cosine) whose profile it matches:

- cosine(article weights, story weights) >= STORY_COSINE;
- coverage >= STORY_COVERAGE both ways: the share of the article's name mentions that the story
  has, and the share of the mentions of the story's STORY_CORE most prominent names that the
  article has (the core only: a big story gathers many names no single report has);
- shared protagonists: the names the story mentions among the article's PROTAGONISTS most
  prominent ones carry >= SHARED_PROTAGONISTS of their prominence, and the other way round.
  This is what keeps a Kremlin briefing on US talks (Moscow, Russia, Putin, Trump, Ukraine; no
  Wang, no China) out of the story of Wang Yi's Moscow visit although it shares most of its
  names with a report of that visit which mentions the briefing;
- the article's date lies within MAX_GAP of the story's time span, and the span stays within
  MAX_SPAN (two visits of the same people a year apart are two stories).

A story holds articles of one language. Stories of different languages are linked into one story
across languages (``cross_label``) by language-neutral evidence (``Signatures.cross``): names
written in Latin letters (``Лавров``, ``Lavrov``; ``习近平``, ``Xi Jinping``) and numbers of two or
more digits. Precision first: a new article links its story to a story of another language
within MAX_GAP of its date when they share >= CROSS_NAMES names and >= CROSS_NUMBERS numbers
and the story has >= CROSS_COVER of the article's key mentions (``cross_match``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pipelines.dedup.signatures import NUMBER_BIT, Signatures, array

STORY_COSINE = 0.4
STORY_COVERAGE = 0.45
STORY_CORE = 12
PROTAGONISTS = 5
SHARED_PROTAGONISTS = 0.6
LEAD_BOOST = 1.0
MAX_GAP_DAYS = 3.0
MAX_SPAN_DAYS = 10.0
PROFILE_SIZE = 128  # names kept in a story profile (the most mentioned)
INDEX_TERMS = 8  # names of an article used to find candidate stories
CROSS_NAMES = 3
CROSS_NUMBERS = 1
CROSS_COVER = 0.15
CROSS_TERMS = 16  # language-neutral keys of an article used to find stories of other languages


@dataclass(frozen=True)
class Profile:
    """Names (sorted uint32 keys) with their mention counts, weights and prominence."""

    keys: np.ndarray
    counts: np.ndarray
    weights: np.ndarray
    prominence: np.ndarray

    def to_bytes(self) -> bytes:
        n = np.array([len(self.keys)], dtype="<u4")
        values = np.concatenate((self.counts, self.weights, self.prominence)).astype("<f4")
        return n.tobytes() + self.keys.astype("<u4").tobytes() + values.tobytes()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Profile:
        n = int(np.frombuffer(blob, dtype="<u4", count=1)[0])
        keys = np.frombuffer(blob, dtype="<u4", count=n, offset=4)
        values = np.frombuffer(blob, dtype="<f4", count=3 * n, offset=4 + 4 * n)
        counts, weights, prominence = values.astype(np.float64).reshape(3, n)
        return cls(keys, counts, weights, prominence)

    def top(self, n: int) -> np.ndarray:
        """The ``n`` most prominent names."""
        return self.keys[np.argsort(-self.prominence, kind="stable")[:n]]

    # What ``similarity`` derives from one side, computed once per profile (a story's profile
    # is kept parsed while it does not change, and scored against many articles).
    @cached_property
    def norm2(self) -> float:
        return float(self.weights @ self.weights)

    @cached_property
    def core(self) -> tuple[np.ndarray, np.ndarray, np.floating]:
        """Keys and counts of the STORY_CORE most prominent names, and the counts' sum."""
        core = np.argsort(-self.prominence, kind="stable")[:STORY_CORE]
        counts = self.counts[core]
        return self.keys[core], counts, counts.sum()

    @cached_property
    def protagonists(self) -> tuple[np.ndarray, np.ndarray, np.floating]:
        """Keys and prominence of the PROTAGONISTS most prominent names, and its sum."""
        top = np.argsort(-self.prominence, kind="stable")[:PROTAGONISTS]
        mass = self.prominence[top]
        return self.keys[top], mass, mass.sum()

    @cached_property
    def count_sum(self) -> np.floating:
        return self.counts.sum()


def member(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``np.isin(values, keys)`` for sorted ``keys`` (every key array here is sorted: profiles,
    signatures' sets): a binary search per value, ~10x faster than ``isin`` on these sizes."""
    if len(keys) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return np.asarray(keys[at] == values)


def doc_profile(sig: Signatures) -> Profile:
    pairs = array(sig.entities)
    keys, counts = pairs[0::2], pairs[1::2].astype(np.float64)
    boost = 1.0 + LEAD_BOOST * member(keys, array(sig.lead))
    weights = (1.0 + np.log(np.maximum(counts, 1.0))) * boost
    return Profile(keys.copy(), counts, weights, counts * boost)


@dataclass(frozen=True)
class StoryMatch:
    cosine: float
    coverage: float  # the smaller of the two coverages of name mentions
    protagonists: bool  # enough of each side's most prominent names are on the other

    @property
    def ok(self) -> bool:
        return (
            self.cosine >= STORY_COSINE and self.coverage >= STORY_COVERAGE and (self.protagonists)
        )


def similarity(doc: Profile, story: Profile) -> StoryMatch:
    if len(doc.keys) == 0 or len(story.keys) == 0:
        return StoryMatch(0.0, 0.0, False)
    at = np.minimum(np.searchsorted(story.keys, doc.keys), len(story.keys) - 1)
    i = np.flatnonzero(story.keys[at] == doc.keys)  # what intersect1d's indices would be
    return _similarity(doc, story, i, at[i])


def _cosine(doc: Profile, story: Profile, i: np.ndarray, j: np.ndarray) -> float:
    norm = math.sqrt(doc.norm2 * story.norm2)
    return float(doc.weights[i] @ story.weights[j]) / norm if norm else 0.0


def _similarity(doc: Profile, story: Profile, i: np.ndarray, j: np.ndarray) -> StoryMatch:
    cover_doc = float(doc.counts[i].sum() / doc.count_sum)
    keys, counts, total = story.core
    cover_story = float(counts[member(keys, doc.keys)].sum() / total)
    return StoryMatch(_cosine(doc, story, i, j), min(cover_doc, cover_story),
                      _protagonists(doc, story))  # fmt: skip


def _protagonists(a: Profile, b: Profile) -> bool:
    return min(_shared_top(a, b), _shared_top(b, a)) >= SHARED_PROTAGONISTS


def _shared_top(a: Profile, b: Profile) -> float:
    """Share of the prominence of ``a``'s top names that ``b`` mentions too."""
    keys, mass, total = a.protagonists
    return float(mass[member(keys, b.keys)].sum() / total)


def matches(doc: Profile, story: Profile) -> float | None:
    """The cosine when ``doc`` belongs to ``story``, else None (``similarity(...).ok``; the
    coverages and protagonists are not computed when the cosine is too low already)."""
    if len(doc.keys) == 0 or len(story.keys) == 0:
        return None
    at = np.minimum(np.searchsorted(story.keys, doc.keys), len(story.keys) - 1)
    i = np.flatnonzero(story.keys[at] == doc.keys)
    if _cosine(doc, story, i, at[i]) < STORY_COSINE:
        return None
    found = _similarity(doc, story, i, at[i])
    return found.cosine if found.ok else None


def merged(story: Profile, doc: Profile) -> Profile:
    keys = np.union1d(story.keys, doc.keys)
    values = np.zeros((3, len(keys)))
    for part in (story, doc):
        idx = np.searchsorted(keys, part.keys)
        values[:, idx] += (part.counts, part.weights, part.prominence)
    if len(keys) > PROFILE_SIZE:
        keep = np.sort(np.argsort(-values[0], kind="stable")[:PROFILE_SIZE])
        keys, values = keys[keep], values[:, keep]
    return Profile(keys, values[0], values[1], values[2])


def in_time(day: float | None, start: float | None, end: float | None) -> bool:
    """Whether an article of ``day`` (days since epoch) may join a story spanning start..end."""
    if day is None or start is None or end is None:
        return True
    if day < start - MAX_GAP_DAYS or day > end + MAX_GAP_DAYS:
        return False
    return max(end, day) - min(start, day) <= MAX_SPAN_DAYS


@dataclass(frozen=True)
class CrossMatch:
    names: int  # names shared
    numbers: int  # numbers shared
    cover: float  # share of the article's key mentions the story has

    @property
    def ok(self) -> bool:
        return (
            self.names >= CROSS_NAMES
            and self.numbers >= CROSS_NUMBERS
            and self.cover >= CROSS_COVER
        )


def cross_pairs(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(sorted keys, counts) of a ``cross`` blob (an article's or a story's)."""
    pairs = array(blob)
    return pairs[0::2], pairs[1::2].astype(np.float64)


def cross_merged(a: bytes, b: bytes) -> bytes:
    """The keys of two blobs with their counts summed (the most mentioned PROFILE_SIZE kept)."""
    (ka, ca), (kb, cb) = cross_pairs(a), cross_pairs(b)
    keys = np.union1d(ka, kb)
    counts = np.zeros(len(keys))
    counts[np.searchsorted(keys, ka)] += ca
    counts[np.searchsorted(keys, kb)] += cb
    if len(keys) > PROFILE_SIZE:
        keep = np.sort(np.argsort(-counts, kind="stable")[:PROFILE_SIZE])
        keys, counts = keys[keep], counts[keep]
    out = np.empty(2 * len(keys), dtype="<u4")
    out[0::2], out[1::2] = keys, counts.astype(np.uint32)
    return out.tobytes()


def cross_top(blob: bytes, n: int = CROSS_TERMS) -> list[int]:
    keys, counts = cross_pairs(blob)
    return [int(k) for k in keys[np.argsort(-counts, kind="stable")[:n]]]


def cross_match(doc: bytes, story: bytes) -> CrossMatch:
    (kd, cd), (ks, _) = cross_pairs(doc), cross_pairs(story)
    if len(kd) == 0 or len(ks) == 0:
        return CrossMatch(0, 0, 0.0)
    shared = member(kd, ks)
    numbers = (kd & NUMBER_BIT) != 0
    return CrossMatch(
        names=int(np.count_nonzero(shared & ~numbers)),
        numbers=int(np.count_nonzero(shared & numbers)),
        cover=float(cd[shared].sum() / cd.sum()),
    )
