"""The in-memory LSH band tables (``pipelines.dedup.bandmap``): what they return against a plain
scan, collisions of their compressed keys, and their rebuild when an index file reopens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from pipelines.dedup.bandmap import BandMap
from pipelines.dedup.index import DedupIndex
from pipelines.dedup.lsh import NEAR, MinHashMatrix
from pipelines.dedup.signatures import signatures
from pipelines.dedup.store import Store


def _docs(n: int, seed: int) -> np.ndarray:
    """MinHash rows where many documents share some bands with an earlier one."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 1 << 32, size=(n, 128), dtype=np.uint32)
    for i in range(1, n):
        if rng.random() < 0.5:
            j = int(rng.integers(0, i))
            for band in rng.choice(42, size=int(rng.integers(1, 4)), replace=False):
                rows[i, 3 * band : 3 * band + 3] = rows[j, 3 * band : 3 * band + 3]
    rows[n // 2 :: 7, :3] = rows[0, :3]  # one big bucket
    return rows


def _expected(rows: np.ndarray, query: np.ndarray, upto: int) -> list[int]:
    """A plain scan: rows 1..upto sharing a band with ``query``, ordered by the (signed) key of
    the first band shared in key order, then by row."""
    keys = NEAR.key_array(query[None, :])[0]
    found: list[tuple[int, int]] = []
    for rowid in range(1, upto + 1):
        same = [
            (rows[rowid, 3 * b : 3 * b + 3] == query[3 * b : 3 * b + 3]).all() for b in range(42)
        ]
        shared = [keys.view(np.int64)[b] for b in range(42) if same[b]]
        if shared:
            found.append((int(min(shared)), rowid))
    return [rowid for _, rowid in sorted(found)]


def _filled(rows: np.ndarray, buffer_docs: int) -> tuple[BandMap, MinHashMatrix]:
    matrix = MinHashMatrix(128)
    bands = BandMap(NEAR, matrix, buffer_docs=buffer_docs)
    for rowid in range(1, len(rows)):
        matrix.put(rowid, rows[rowid])
        bands.add(rowid, NEAR.key_array(rows[rowid][None, :])[0])
    return bands, matrix


def test_candidates_are_those_of_a_plain_scan_before_and_after_merges() -> None:
    rows = _docs(400, seed=1)
    for buffer_docs in (1, 7, 1000):  # every add merged; some merged, some pending; none merged
        bands, _ = _filled(rows, buffer_docs)
        assert len(bands) == 42 * 399
        for q in (0, 1, 5, 50, 123, 200, 399):
            keys = NEAR.key_array(rows[q][None, :])[0]
            assert bands.candidates(rows[q], keys, 2000) == _expected(rows, rows[q], 399)
        keys = NEAR.key_array(rows[0][None, :])[0]
        assert bands.candidates(rows[0], keys, 5) == _expected(rows, rows[0], 399)[:5]


def test_a_document_is_a_candidate_only_when_its_band_values_are_the_query_s() -> None:
    rows = _docs(50, seed=2)
    bands, _ = _filled(rows, buffer_docs=10)
    query = rows[3].copy()
    query[3:] ^= 1  # shares band 0 with row 3 only (and with whatever shares row 3's band 0)
    keys = NEAR.key_array(query[None, :])[0]
    # a row stored under the query's band 5 key (a collision of keys): kept by the check bits,
    # dropped by the comparison of values
    bands._merge(keys[5:6], np.array([7], dtype=np.uint32))
    stored_band, stored_docs = bands._stored(keys)
    assert 7 in stored_docs[stored_band == 5].tolist()
    found = bands.candidates(query, keys, 2000)
    assert 3 in found and 7 not in found
    assert found == _expected(rows, query, 49)


def test_add_many_equals_adding_one_by_one() -> None:
    rows = _docs(300, seed=3)
    one_by_one, _ = _filled(rows, buffer_docs=16)
    matrix = MinHashMatrix(128)
    at_once = BandMap(NEAR, matrix)
    ids = np.arange(1, 300)
    matrix.put_many(ids, rows[1:])
    at_once.add_many(ids[:150], rows[1:151])
    at_once.add_many(ids[150:], rows[151:])
    assert len(one_by_one.pending_docs) == 299 % 16
    one_by_one.merge()
    assert not one_by_one.pending and len(one_by_one) == len(at_once) == 42 * 299
    assert (at_once.offsets == one_by_one.offsets).all()
    assert (at_once.docs[: at_once.size] == one_by_one.docs[: one_by_one.size]).all()


TEXT = ("The city council approved the new budget for buses and trams on Tuesday after a long "
        "debate. The mayor said fares would stay the same for two years. Critics said the plan "
        "left the northern districts without a night service. The vote was 31 to 12.")  # fmt: skip


def _variant(k: int) -> str:
    return TEXT.replace("Tuesday", f"day {k}").replace("31", str(100 + k)) + f" Item {k} of many."


def test_a_reopened_index_finds_what_it_found_before(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite"
    with DedupIndex(path, commit_every=3) as index:
        for k in range(20):
            index.add(f"d{k}", f"http://a.test/{k}", None, "2025-03-01",
                      signatures(f"Unrelated report number {k} about {k * 7} goats."))  # fmt: skip
        index.add("orig", "http://a.test/orig", None, "2025-03-01", signatures(TEXT))
        fresh = index.add("copy1", "http://b.test/c1", None, "2025-03-01",
                          signatures(_variant(1)))  # fmt: skip
    with DedupIndex(path) as index:
        assert len(index) == 22
        again = index.add("copy2", "http://b.test/c2", None, "2025-03-01", signatures(_variant(2)))
    assert fresh.kind == again.kind == "near" and fresh.of == again.of == "orig"


KILLED = """
import os, sys
from pipelines.dedup.index import DedupIndex
from pipelines.dedup.signatures import signatures
index = DedupIndex(sys.argv[1], commit_every=1000)
index.add("orig", "http://a.test/orig", None, "2025-03-01", signatures(sys.argv[2]))
index.flush()
index.add("late", "http://a.test/late", None, "2025-03-01", signatures("Never committed text."))
os._exit(0)  # killed: no close, the last batch is lost
"""


def test_an_index_killed_after_a_commit_reopens_with_what_was_committed(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite"
    subprocess.run([sys.executable, "-c", KILLED, str(path), TEXT], check=True)
    with DedupIndex(path) as index:
        assert len(index) == 1
        v = index.add("copy", "http://b.test/c", None, "2025-03-01", signatures(_variant(3)))
        late = index.add("late", "http://a.test/late", None, None, signatures("Other words."))
    assert (v.kind, v.of) == ("near", "orig")
    assert late.kind == "unique"  # re-added after the crash: a new document


def test_a_version_2_index_loses_its_band_tables_and_keeps_its_documents(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite"
    with DedupIndex(path) as index:
        index.add("orig", "http://a.test/orig", None, "2025-03-01", signatures(TEXT))
    store = Store(path)
    store.db.execute("CREATE TABLE near_bands(key INTEGER, doc INTEGER, PRIMARY KEY(key, doc))")
    store.db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    store.close()
    with DedupIndex(path) as index:
        v = index.add("copy", "http://b.test/c", None, "2025-03-01", signatures(_variant(4)))
        tables = {r[0] for r in index.store.db.execute("SELECT name FROM sqlite_master")}
    assert (v.kind, v.of) == ("near", "orig")
    assert "near_bands" not in tables


def _similar_docs(n: int, seed: int) -> np.ndarray:
    """``_docs`` where half the documents also take 10-70 % of an earlier one's values: counts
    of equal values on both sides of a rewrite candidate's threshold."""
    rows = _docs(n, seed)
    rng = np.random.default_rng(seed + 100)
    for i in range(1, n, 2):
        j = int(rng.integers(0, i))
        cols = rng.choice(128, size=int(rng.integers(13, 90)), replace=False)
        rows[i, cols] = rows[j, cols]
    return rows


def _sketched(rows: np.ndarray, buffer_docs: int) -> BandMap:
    """A band table over the low bytes of ``rows`` (as the rewrite layer keeps them)."""
    matrix = MinHashMatrix(128, np.uint8)
    bands = BandMap(NEAR, matrix, buffer_docs=buffer_docs)
    for rowid in range(1, len(rows)):
        matrix.put(rowid, rows[rowid])
        bands.add(rowid, NEAR.key_array(rows[rowid][None, :])[0])
    return bands


def test_strong_candidates_are_the_candidates_that_pass_with_their_estimates() -> None:
    """``strong_candidates`` over a sketch of low bytes (full rows asked for only where the
    bound passes): exactly the ``candidates`` of a full matrix (the first ``limit`` of the key
    order) with at least ``least`` equal values, ascending, with ``estimates`` bit for bit;
    merged and pending entries alike, whether the limit cuts or not."""
    rows = _similar_docs(400, seed=3)
    asked: list[int] = []

    def full_rows(ids: np.ndarray) -> np.ndarray:
        asked.extend(ids.tolist())
        return rows[ids]

    cut = 0
    for buffer_docs in (1, 7, 1000):
        exact, matrix = _filled(rows, buffer_docs)
        sketched = _sketched(rows, buffer_docs)
        for q in (0, 1, 5, 50, 123, 200, 201, 399):
            keys = NEAR.key_array(rows[q][None, :])[0]
            for limit in (2000, 5, 1):
                candidates = exact.candidates(rows[q], keys, limit)
                counts = np.count_nonzero(rows[candidates] == rows[q], axis=1)
                cut += len(exact.candidates(rows[q], keys, 2000)) > limit
                for least in (0, 4, 20, 39, 60):
                    passing = zip(candidates, counts, strict=True)
                    expected = sorted(r for r, c in passing if c >= least)
                    for bands in (exact, sketched):
                        asked.clear()
                        got, scores = bands.strong_candidates(rows[q], keys, limit, least,
                                                              full_rows)  # fmt: skip
                        assert got.tolist() == expected, (q, limit, least)
                        assert scores.tolist() == matrix.estimates(rows[q], expected).tolist()
                        if bands is sketched and least >= 39:  # the bound ruled most out
                            assert len(asked) < max(3 * len(expected), 10)
    assert cut > 10  # the limit did cut some


def test_a_sketch_of_low_bytes_bounds_the_counts_of_equal_values() -> None:
    rows = _similar_docs(300, seed=4)
    full, sketch = MinHashMatrix(128), MinHashMatrix(128, np.uint8)
    ids = np.arange(1, 300)
    full.put_many(ids, rows[1:])
    sketch.put_many(ids, rows[1:])
    assert sketch.data.nbytes * 4 == full.data.nbytes
    for q in (0, 7, 150):
        exact = full.equal_counts(rows[q], ids)
        bound = sketch.equal_counts(sketch.stored(rows[q]), ids)
        assert exact.tolist() == np.count_nonzero(rows[1:] == rows[q], axis=1).tolist()
        assert (bound >= exact).all() and (bound > exact).any()
        assert (bound - exact).mean() < 1.5  # one value in 256 agrees by chance
    narrow = MinHashMatrix(12)  # not a multiple of 8 columns: counted one by one
    narrow.put_many(ids, rows[1:, :12])
    expected = np.count_nonzero(rows[1:, :12] == rows[5, :12], axis=1)
    assert narrow.equal_counts(rows[5, :12], ids).tolist() == expected.tolist()
