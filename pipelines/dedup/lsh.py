"""Banded LSH keys over datasketch MinHash values, and an in-memory MinHash matrix.

The band tables are in memory (``bandmap.BandMap``), rebuilt from the MinHash values the SQLite
file keeps (``store``) when an index opens. The probability that two texts
of Jaccard ``s`` share at least one of ``b`` bands of ``r`` rows is ``1 - (1 - s**r)**b``; with
b=42, r=3 (126 of 128 values): s=0.2 → 0.29, 0.3 → 0.68, 0.4 → 0.94, 0.5 → 0.996. Both
layers use it: near (threshold 0.5, so almost never missed) and rewrite candidates (content
words, Jaccard 0.5-0.65 for rewrites).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_PRIME = np.uint64(0x100000001B3)


@dataclass(frozen=True)
class Bands:
    bands: int
    rows: int
    salt: int

    def keys(self, values: np.ndarray) -> list[int]:
        """One signed 64-bit key per band."""
        return [int(k) for k in self.key_array(values[None, :])[0].view(np.int64)]

    def key_array(self, values: np.ndarray) -> np.ndarray:
        """Band keys (uint64) of MinHash rows: ``(documents, bands)`` of ``(documents, width)``."""
        v = values[:, : self.bands * self.rows].astype(np.uint64)
        v = v.reshape(len(values), self.bands, self.rows)
        acc = _band_seeds(self.bands, self.salt)
        with np.errstate(over="ignore"):
            for j in range(self.rows):
                acc = acc * _PRIME + v[:, :, j]
            return _fmix64(acc)

    def shares(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Which of the MinHash ``rows`` have all the values of at least one band of ``values``."""
        span = self.bands * self.rows
        bands = rows[:, :span].reshape(len(rows), self.bands, self.rows)
        return (bands == values[:span].reshape(self.bands, self.rows)).all(axis=2).any(axis=1)


@lru_cache(maxsize=8)
def _band_seeds(bands: int, salt: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        seeds = np.uint64(salt) + np.arange(bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    seeds.flags.writeable = False
    return seeds


def _fmix64(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xFF51AFD7ED558CCD)
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xC4CEB9FE1A85EC53)
    return x ^ (x >> np.uint64(33))


NEAR = Bands(bands=42, rows=3, salt=1)
WORDS = Bands(bands=42, rows=3, salt=2)


GROW_ROWS = 1 << 16  # rows a large matrix grows by (32 MiB)


def grown(have: int, need: int, step: int) -> int:
    """Capacity for ``need`` items: doubling up to ``step``, then ``step`` at a time. Large
    arrays grow with ``ndarray.resize``: glibc's ``realloc`` of an mmap'ed block is an
    ``mremap`` (no copy, no second array), and the zeros it fills in are at most ``step``."""
    return need if need <= have else max(need, have + min(have, step))


class MinHashMatrix:
    """MinHash values of every document, one row per document row id (grown in place).

    ``dtype=np.uint8`` keeps only the low byte of each value (a b-bit MinHash sketch, a quarter
    of the memory): two documents with equal values have equal low bytes, so counts of equal
    low bytes (``equal_counts``) are upper bounds of the counts of equal values, and a document
    whose bound is too low for a rule is ruled out without its full values."""

    def __init__(self, width: int, dtype: type[np.unsignedinteger] = np.uint32):
        self.width = width
        self.data = np.zeros((1024, width), dtype=dtype)
        self.count = 0

    def _reserve(self, rows: int) -> None:
        if rows > len(self.data):
            self.data.resize((grown(len(self.data), rows, GROW_ROWS), self.width), refcheck=False)

    def stored(self, values: np.ndarray) -> np.ndarray:
        """``values`` (uint32) as this matrix keeps them: the low bytes of a sketch."""
        return values if values.dtype == self.data.dtype else values.astype(self.data.dtype)

    def put(self, rowid: int, values: np.ndarray) -> None:
        self._reserve(rowid + 1)
        self.data[rowid] = self.stored(values)
        self.count += 1

    def put_many(self, rowids: np.ndarray, values: np.ndarray) -> None:
        if len(rowids):
            self._reserve(int(rowids.max()) + 1)
            self.data[rowids] = self.stored(values)
            self.count += len(rowids)

    def estimates(self, values: np.ndarray, rowids: list[int] | np.ndarray) -> np.ndarray:
        """Estimated Jaccard of ``values`` with each of ``rowids`` (a full matrix)."""
        rows = self.data[np.asarray(rowids, dtype=np.int64)]
        return np.count_nonzero(rows == values, axis=1) / self.width

    def at_least(self, values: np.ndarray, rowids: np.ndarray, least: int,
                 full_rows: Callable[[np.ndarray], np.ndarray],
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
        """Of ``rowids`` (repeats allowed), the distinct ones (ascending) with at least ``least``
        values equal to ``values`` (uint32), with their full rows and those counts. A sketch's
        bound rules most out first; ``full_rows`` (row ids -> their uint32 values) is asked only
        for the rest."""
        maybe = rowids[self.equal_counts(self.stored(values), rowids) >= least]
        rows = np.unique(maybe)
        full = full_rows(rows) if len(rows) else np.zeros((0, self.width), dtype=np.uint32)
        counts = np.count_nonzero(full == values, axis=1)
        passing = counts >= least
        return rows[passing], full[passing], counts[passing]

    def equal_counts(self, values: np.ndarray, rowids: np.ndarray) -> np.ndarray:
        """How many stored values of each of ``rowids`` equal ``values`` (given as stored: see
        ``stored``); for a sketch, an upper bound of the full values' count."""
        rows = np.take(self.data, rowids, axis=0)
        same = rows == values
        if self.width % 8 or self.width > 255:
            return np.count_nonzero(same, axis=1)
        # booleans are bytes of 0 or 1: add up each row's 8-byte words (no byte of the sum can
        # pass the width), then the 8 bytes of the sum with one multiplication (its top byte);
        # ~4x faster than ``count_nonzero`` along an axis
        lanes = same.view(np.uint64).sum(axis=1, dtype=np.uint64)
        return ((lanes * _BYTE_SUM) >> np.uint64(56)).astype(np.int64)


_BYTE_SUM = np.uint64(0x0101010101010101)
