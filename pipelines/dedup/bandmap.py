"""LSH band tables in memory: band key → documents, compact and flat in cost as the index grows.

Each document puts one entry per band (``Bands``: 42) in a table; a query asks which documents
share at least one band (the same ``rows`` MinHash values at the same band) with a text. Held in
SQLite B-trees (one row per entry, ~90 pages dirtied per article) this was most of the cost of
an add, and grew with the index as the trees outgrew the page cache; as Python dicts it would
take ~100 bytes an entry (84 entries per document: 8 GB at a million documents).

Here a table is a bucketed array (CSR): entries grouped by the top ``BUCKET_BITS`` bits of their
64-bit band key (``offsets[b]:offsets[b + 1]`` are bucket ``b``'s), each entry the document row
(uint32) and a 16-bit check (the low bits of the key): 6 bytes an entry, ~500 MB for both tables
at a million documents. Within a bucket, entries are in insertion (document) order. New entries
go to a small dict first and are merged into the array every ``buffer_docs`` documents, in place:
the arrays grow with ``ndarray.resize`` (``realloc``, no copy of the old array) and old entries
move back to their new places in chunks, so a merge needs no second copy of a table.

A query looks up a bucket per band key, keeps the entries whose check matches, and then keeps only
documents whose MinHash values (``MinHashMatrix``) really equal the query's on that band: 36 bits
of key are a filter, equality of the band's values is the rule (what SQLite's 64-bit keys gave,
with no collisions left). The rewrite layer's table keeps a sketch (the values' low bytes) and
asks only for its strong candidates (``strong_candidates``), checked in full. Nothing here is
persisted: the index rebuilds its tables from the MinHash columns of its SQLite file when it
opens (``DedupIndex``), so what was committed is all there is to recover.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pipelines.dedup.lsh import Bands, MinHashMatrix, grown

BUCKET_BITS = 20  # 1M buckets: ~40 entries each at a million documents (42 bands)
CHECK_MASK = np.uint64(0xFFFF)
GROW_ENTRIES = 1 << 22  # entries the arrays grow by once large (24 MiB)
MOVE_CHUNK = 1 << 20  # entries moved at a time when a merge makes room (transient memory)


class BandMap:
    """One LSH band table: which documents have which band keys."""

    def __init__(self, bands: Bands, matrix: MinHashMatrix, buffer_docs: int = 8192):
        self.bands = bands
        self.matrix = matrix
        self.buffer_docs = buffer_docs
        self.offsets = np.zeros((1 << BUCKET_BITS) + 1, dtype=np.int64)
        self.checks = np.zeros(0, dtype=np.uint16)
        self.docs = np.zeros(0, dtype=np.uint32)
        self.size = 0  # entries in the arrays (their capacity may be larger)
        self.pending: dict[int, int | list[int]] = {}  # band key → document(s), not merged yet
        self.pending_keys: list[np.ndarray] = []
        self.pending_docs: list[int] = []

    def __len__(self) -> int:
        """Entries (bands of documents) held."""
        return self.size + len(self.pending_docs) * self.bands.bands

    def add(self, rowid: int, keys: np.ndarray) -> None:
        """Remember the band keys (``Bands.key_array`` of its values) of document ``rowid``."""
        pending = self.pending
        listed = keys.tolist()
        if pending.keys().isdisjoint(listed):  # most documents: no key pending yet
            pending.update(dict.fromkeys(listed, rowid))
        else:
            for key in listed:
                had = pending.setdefault(key, rowid)  # one document: an int, else a list
                if had is not rowid:
                    if isinstance(had, int):
                        pending[key] = [had, rowid]
                    else:
                        had.append(rowid)
        self.pending_keys.append(keys)
        self.pending_docs.append(rowid)
        if len(self.pending_docs) >= self.buffer_docs:
            self.merge()

    def add_many(self, rowids: np.ndarray, values: np.ndarray) -> None:
        """Remember many documents at once (``values``: their MinHash rows), as when opening."""
        self.merge()
        if len(rowids):
            keys = self.bands.key_array(values)
            self._merge(keys.reshape(-1), np.repeat(rowids.astype(np.uint32), self.bands.bands))

    def merge(self) -> None:
        """Move the pending entries into the arrays."""
        if not self.pending_docs:
            return
        keys = np.concatenate(self.pending_keys)
        docs = np.repeat(np.asarray(self.pending_docs, dtype=np.uint32), self.bands.bands)
        self._merge(keys, docs)
        self.pending.clear()
        self.pending_keys.clear()
        self.pending_docs.clear()

    def _merge(self, keys: np.ndarray, docs: np.ndarray) -> None:
        """Insert entries (documents in ascending order) at the end of their buckets."""
        buckets = (keys >> np.uint64(64 - BUCKET_BITS)).astype(np.int64)
        order = np.argsort(buckets, kind="stable")  # stable: documents stay in order
        buckets, keys, docs = buckets[order], keys[order], docs[order]
        added = np.bincount(buckets, minlength=1 << BUCKET_BITS)
        before = np.zeros(len(self.offsets), dtype=np.int64)  # new entries in earlier buckets
        np.cumsum(added, out=before[1:])
        old, new = self.size, self.size + len(keys)
        if new > len(self.docs):
            capacity = grown(len(self.docs), new, GROW_ENTRIES)
            self.checks.resize(capacity, refcheck=False)
            self.docs.resize(capacity, refcheck=False)
        # a new entry goes before the old entry at ``at`` (the old end of its bucket)
        at = self.offsets[buckets + 1]
        places = at + np.arange(len(keys))
        # old entries move back by the number of new ones before them: from the end, a chunk
        # at a time (each chunk's span ends where the next chunk's begins)
        for end in range(old, 0, -MOVE_CHUNK):
            start = max(0, end - MOVE_CHUNK)
            first, last = np.searchsorted(at, [start, end - 1], "right")
            span = slice(start + first, end + last)
            keep = np.ones(span.stop - span.start, dtype=bool)
            keep[places[first:last] - span.start] = False
            for array in (self.checks, self.docs):
                chunk = array[start:end].copy()
                array[span][keep] = chunk
        self.checks[places] = (keys & CHECK_MASK).astype(np.uint16)
        self.docs[places] = docs
        self.offsets += before
        self.size = new

    def candidates(self, values: np.ndarray, keys: np.ndarray, limit: int) -> list[int]:
        """Documents sharing a band with MinHash ``values`` (band ``keys``): ordered by the band
        key they share first (as a signed 64-bit integer), then by row, each once; the first
        ``limit`` of them (a flood of identical bands is cut off)."""
        band, found = self._verified(values, keys)
        return _ordered(band, found, keys, limit).tolist()

    def strong_candidates(self, values: np.ndarray, keys: np.ndarray, limit: int, least: int,
                          full_rows: Callable[[np.ndarray], np.ndarray],
                          ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """The documents of ``candidates`` (the first ``limit`` in key order) that have at least
        ``least`` values equal to ``values``, in ascending row order (int64), each with its
        estimated Jaccard (equal values / width): what the rewrite layer needs of the thousands
        of weak candidates a content-word LSH gives at a million documents, of which ~1 % pass.

        The matrix may be a sketch of low bytes (``MinHashMatrix``, ``np.uint8``): its counts of
        equal bytes are upper bounds, so a candidate is ruled out by one contiguous 128-byte row
        (the random reads of candidates' rows are most of the cost), and ``full_rows`` (row ids
        -> their full uint32 values) is asked only for those that may pass. Those are checked
        in full: a band really shared, the count of equal values. Where the limit may cut (more
        entries than ``limit``), which documents come first in key order is decided with the
        stored values on the band (for a sketch: 36 bits of key and 24 of values must agree by
        chance for a wrong entry to count, as 64-bit keys did in SQLite)."""
        band, found = self._entries(keys)
        rows, full, counts = self.matrix.at_least(values, found, least, full_rows)
        keep = self.bands.shares(full, values)
        if keep.any() and len(found) > limit:
            stored = self.matrix.stored(values)
            width = self.bands.rows
            cols = band[:, None] * width + np.arange(width)
            at = found[:, None] * self.matrix.width + cols
            same = (np.take(self.matrix.data.reshape(-1), at) == stored[cols]).all(axis=1)
            keep &= np.isin(rows, _ordered(band[same], found[same], keys, limit))
        return rows[keep], counts[keep] / self.matrix.width

    def _verified(self, values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(band, document) of every entry sharing a band with ``values``, pending ones too."""
        band, found = self._entries(keys)
        if not len(found):
            return band, found
        rows = self.bands.rows
        cols = band[:, None] * rows + np.arange(rows)
        stored = self.matrix.stored(values)
        same = (self.matrix.data[found[:, None], cols] == stored[cols]).all(axis=1)
        return band[same], found[same]

    def _entries(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(band, document) of the entries, merged or pending, that may share a band key (their
        check matches); not yet checked against the MinHash values."""
        band, found = self._stored(keys)
        extra_band: list[int] = []
        extra_docs: list[int] = []
        listed = keys.tolist()
        for key in self.pending.keys() & listed:
            b, docs = listed.index(key), self.pending[key]
            if isinstance(docs, int):
                extra_band.append(b)
                extra_docs.append(docs)
            else:
                extra_band += [b] * len(docs)
                extra_docs += docs
        if extra_docs:
            band = np.concatenate((band, np.asarray(extra_band, dtype=np.int64)))
            found = np.concatenate((found, np.asarray(extra_docs, dtype=np.int64)))
        return band, found

    def _stored(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(band, document) of the merged entries in the buckets of ``keys`` whose check
        matches."""
        buckets = (keys >> np.uint64(64 - BUCKET_BITS)).astype(np.int64)
        lo, hi = self.offsets[buckets], self.offsets[buckets + 1]
        counts = hi - lo
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        starts = np.cumsum(counts) - counts
        idx = np.arange(total) + np.repeat(lo - starts, counts)
        band = np.repeat(np.arange(len(keys)), counts)
        hit = self.checks[idx] == (keys & CHECK_MASK).astype(np.uint16)[band]
        return band[hit], self.docs[idx[hit]].astype(np.int64)


def _ordered(band: np.ndarray, found: np.ndarray, keys: np.ndarray, limit: int) -> np.ndarray:
    """Documents by the (signed) key of the band they share, then by row, each once; the first
    ``limit``."""
    if len(found) <= 1:
        return found
    found = found[np.lexsort((found, keys.view(np.int64)[band]))]  # by signed key, row
    _, first = np.unique(found, return_index=True)
    return found[np.sort(first)][:limit]
