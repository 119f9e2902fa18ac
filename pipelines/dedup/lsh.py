"""Banded LSH keys over datasketch MinHash values, and an in-memory MinHash matrix.

The band tables are in memory (``bandmap.BandMap``), rebuilt from the MinHash values the SQLite
file keeps (``store``) when an index opens. The probability that two texts
of Jaccard ``s`` share at least one of ``b`` bands of ``r`` rows is ``1 - (1 - s**r)**b``; with
b=42, r=3 (126 of 128 values): s=0.2 → 0.29, 0.3 → 0.68, 0.4 → 0.94, 0.5 → 0.996. Both
layers use it: near (threshold 0.5, so almost never missed) and rewrite candidates (content
words, Jaccard 0.5-0.65 for rewrites).
"""

from __future__ import annotations

from dataclasses import dataclass

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
        n = len(values)
        v = values[:, : self.bands * self.rows].astype(np.uint64).reshape(n, self.bands, self.rows)
        with np.errstate(over="ignore"):
            acc = np.full(self.bands, self.salt, dtype=np.uint64) + np.arange(
                self.bands, dtype=np.uint64
            ) * np.uint64(0x9E3779B97F4A7C15)
            acc = np.broadcast_to(acc, (n, self.bands))
            for j in range(self.rows):
                acc = acc * _PRIME + v[:, :, j]
            return _fmix64(acc)


def _fmix64(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xFF51AFD7ED558CCD)
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xC4CEB9FE1A85EC53)
    return x ^ (x >> np.uint64(33))


NEAR = Bands(bands=42, rows=3, salt=1)
WORDS = Bands(bands=42, rows=3, salt=2)


class MinHashMatrix:
    """MinHash values of every document, one row per document row id. Grows by a quarter in
    place (``ndarray.resize``: ``realloc``, which moves no pages of a large array), so growing
    needs no second copy of the matrix."""

    def __init__(self, width: int):
        self.width = width
        self.data = np.zeros((1024, width), dtype=np.uint32)
        self.count = 0

    def _reserve(self, rows: int) -> None:
        if rows > len(self.data):
            self.data.resize((max(rows, len(self.data) + len(self.data) // 4), self.width),
                             refcheck=False)  # fmt: skip

    def put(self, rowid: int, values: np.ndarray) -> None:
        self._reserve(rowid + 1)
        self.data[rowid] = values
        self.count += 1

    def put_many(self, rowids: np.ndarray, values: np.ndarray) -> None:
        if len(rowids):
            self._reserve(int(rowids.max()) + 1)
            self.data[rowids] = values
            self.count += len(rowids)

    def estimates(self, values: np.ndarray, rowids: list[int]) -> np.ndarray:
        """Estimated Jaccard of ``values`` with each of ``rowids``."""
        rows = self.data[np.asarray(rowids, dtype=np.int64)]
        return np.count_nonzero(rows == values, axis=1) / self.width
