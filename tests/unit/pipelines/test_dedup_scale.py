"""The structures that keep dedup fast at scale give the answers of the plain way: the cache of
story rows (``Store.story``) against the SQLite file, the story matcher's shortcuts against
``similarity``, ``url_key``'s fast path against w3lib's cleaning."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from pipelines.dedup import store as dedup_store
from pipelines.dedup import story as stories
from pipelines.dedup.canonical import SIMPLE_URL, _url_key, url_key
from pipelines.dedup.index import DedupIndex, DedupVerdict
from pipelines.dedup.signatures import Signatures, signatures
from tests.unit.pipelines.test_dedup import ARTICLES, shuffled, source_text


def _sigs() -> dict[str, Signatures]:
    return {i: signatures(*source_text(a)) for i, a in ARTICLES.items()}


def _add(index: DedupIndex, order: list[str], sigs: dict[str, Signatures]
         ) -> dict[str, DedupVerdict]:  # fmt: skip
    return {
        i: index.add(i, ARTICLES[i].url, None, ARTICLES[i].published_at, sigs[i]) for i in order
    }


def _file_rows(index: DedupIndex) -> dict[int, tuple[object, ...]]:
    rows = index.store.db.execute(
        "SELECT id, label, start, end, n, profile, lang, cross, cross_label FROM stories"
    )
    return {int(r[0]): tuple(r) for r in rows}


def _cached_rows(index: DedupIndex) -> dict[int, tuple[object, ...]]:
    return {
        i: (r.id, r.label, r.start, r.end, r.n, r.profile, r.lang, r.cross, r.cross_label)
        for i, r in index.store.stories.items()
    }


@pytest.mark.parametrize("capacity", [1, 3, 1 << 16])
def test_story_cache_is_what_the_file_holds(monkeypatch: pytest.MonkeyPatch, capacity: int
                                           ) -> None:  # fmt: skip
    """Whatever the cache keeps (one row, a few, all), every cached row equals the file's and
    the verdicts are those of a cache holding every story."""
    sigs = _sigs()
    order = shuffled(3)
    expected = _add(DedupIndex(), order, sigs)
    monkeypatch.setattr(dedup_store, "STORY_CACHE", capacity)
    index = DedupIndex()
    assert _add(index, order, sigs) == expected
    cached, stored = _cached_rows(index), _file_rows(index)
    assert cached and len(cached) <= capacity
    assert all(stored[i] == row for i, row in cached.items())
    if capacity > len(stored):  # all kept: some with more than one article (counted in place)
        assert len(cached) == len(stored)
        assert any(int(row[4]) > 1 for row in cached.values())  # type: ignore[call-overload]


def test_story_cache_across_reopen(tmp_path: Path) -> None:
    """An index closed half-way and opened again (an empty cache, rows read back from the file)
    gives every article the verdict of one that stayed open."""
    sigs = _sigs()
    order = shuffled(5)
    expected = _add(DedupIndex(), order, sigs)
    half = len(order) // 2
    with DedupIndex(tmp_path / "d.sqlite") as index:
        first = _add(index, order[:half], sigs)
    with DedupIndex(tmp_path / "d.sqlite") as index:
        assert not index.store.stories
        second = _add(index, order[half:], sigs)
        assert all(_file_rows(index)[i] == row for i, row in _cached_rows(index).items())
    assert first | second == expected


def test_story_cache_forgets_an_undone_article(monkeypatch: pytest.MonkeyPatch) -> None:
    """An add that fails after its story was updated is rolled back in the file and in the
    cache: the next adds are decided as if it had never been tried."""
    sigs = _sigs()
    order = shuffled(7)
    expected = _add(DedupIndex(), order, sigs)
    index = DedupIndex()
    real = index.store.add_urls
    failed: list[str] = []

    def fail_once(keys: list[str], rowid: int) -> None:
        if not failed and index.store.stories:  # stories exist: the add touched one
            failed.append("x")
            raise OSError("disk full")
        real(keys, rowid)

    monkeypatch.setattr(index.store, "add_urls", fail_once)
    got: dict[str, DedupVerdict] = {}
    for i in order:
        a = ARTICLES[i]
        try:
            got[i] = index.add(i, a.url, None, a.published_at, sigs[i])
        except OSError:
            assert all(_file_rows(index)[k] == r for k, r in _cached_rows(index).items())
            got[i] = index.add(i, a.url, None, a.published_at, sigs[i])  # tried again
    assert failed
    assert got == expected


def _profile(rng: random.Random, names: list[int]) -> stories.Profile:
    keys = np.array(sorted(rng.sample(names, rng.randint(1, 20))), dtype=np.uint32)
    counts = np.array([rng.randint(1, 6) for _ in keys], dtype=np.float64)
    boost = np.array([rng.choice((1.0, 2.0)) for _ in keys])
    weights = (1.0 + np.log(counts)) * boost
    profile = stories.Profile(keys, counts, weights, counts * boost)
    if rng.random() < 0.5:  # as stored: float32, parsed back
        return stories.Profile.from_bytes(profile.to_bytes())
    return profile


def test_matches_is_similarity_ok() -> None:
    """``matches`` (cosine first, the rest only when it passes; derived values cached on the
    profiles) decides as ``similarity(...).ok`` and returns its cosine, bit for bit."""
    rng = random.Random(11)
    names = list(range(1, 60))
    docs = [_profile(rng, names) for _ in range(60)]
    story_profiles = [_profile(rng, names) for _ in range(60)]
    decided = 0
    for doc in docs:
        for story in story_profiles:
            found = stories.similarity(doc, story)
            assert stories.matches(doc, story) == (found.cosine if found.ok else None)
            decided += found.ok
    assert 0 < decided < len(docs) * len(story_profiles)


def _random_url(rng: random.Random) -> str:
    parts = ["www.", "m.", "amp.", "mobile.", "news", "a-b", "xn--80ak", "0", "com", "co", "uk",
             "x", "-", ".", "B"]  # fmt: skip
    segments = ["amp", "AMP", "ampx", "index.html", "Index.HTML", "default.aspx", "a.amp.html",
                "e1-r2", "A_b~c", "x.y", "..", ".", "", "a..b", "a.", "v1.2.3", "%41", "a;b",
                "é", "index.shtml", "a b"]  # fmt: skip
    host = "".join(rng.choice(parts) for _ in range(rng.randint(1, 5)))
    path = "".join("/" + rng.choice(segments) for _ in range(rng.randint(0, 4)))
    path += "/" if rng.random() < 0.2 else ""
    url = rng.choice(["http://", "https://", "HTTP://", "ftp://"]) + host + path
    return url + (rng.choice(["?a=1", "#f", "?utm_source=x&b=2", ":8080"]) if rng.random() < 0.05
                  else "")  # fmt: skip


def test_url_key_fast_path_is_the_general_way() -> None:
    rng = random.Random(2)
    urls = [_random_url(rng) for _ in range(40_000)]
    urls += ["http://outlet12.test/e12345/e12345-r1-s2", "https://www.news.test/world/story-1/",
             "https://amp.news.test/world/story-1/amp/", "https://m.news.test/a/index.html",
             "http://m.me/page", "https://a.test", "https://a.test/"]  # fmt: skip
    fast = 0
    for url in urls:
        fast += SIMPLE_URL.match(url) is not None
        assert url_key(url) == _url_key(url), url
    assert fast > 3_000  # of 40,000: many on the fast path, every kind of exception on the other


def _sql_stories(db: object, table: str, terms: list[int], lo: int | None, hi: int | None,
                 limit: int) -> list[int]:  # fmt: skip
    """The query the index asked SQLite before the terms were kept in memory."""
    marks = ", ".join("?" * len(terms))
    where, params = f"term IN ({marks})", list(terms)
    if lo is not None and hi is not None:
        where += " AND day BETWEEN ? AND ?"
        params += [lo, hi]
    rows = db.execute(  # type: ignore[attr-defined]
        f"SELECT story, COUNT(*) AS hits FROM (SELECT story FROM {table} WHERE {where} "
        f"LIMIT {limit}) GROUP BY story ORDER BY hits DESC, story",
        params,
    )
    return [int(r[0]) for r in rows]


@pytest.mark.parametrize("limit", [3, 40, 5000])
def test_term_index_answers_as_the_sql_query(tmp_path: Path, limit: int) -> None:
    """Random rows (out of time order, repeated, undated) through ``Store``; the in-memory
    answer equals the grouped SQL query's for random terms and windows, also after a reopen
    (rows loaded from the file) and after undone articles."""
    rng = random.Random(limit)
    path = tmp_path / "t.sqlite"
    store = dedup_store.Store(path)
    undone = 0
    for _ in range(600):
        store.begin()
        terms = rng.sample(range(1, 40), rng.randint(1, 8))
        day = -(10**7) if rng.random() < 0.05 else rng.randint(100, 160)
        story = rng.randint(1, 300)
        store.add_story_terms(terms, day, story)
        store.add_cross_terms(terms[:3], day, story)
        if rng.random() < 0.1:
            store.undo()
            undone += 1
        else:
            store.done()
    assert undone
    store.commit()
    for reopened in (False, True):  # rows added one by one, then loaded from the file
        if reopened:
            store.close()
            store = dedup_store.Store(path)
        assert len(store.terms["story_terms"]) == store.db.execute(
            "SELECT COUNT(*) FROM story_terms").fetchone()[0]  # fmt: skip
        for _ in range(300):
            terms = rng.sample(range(1, 45), rng.randint(1, 10))
            lo = rng.randint(95, 165)
            start, end = (None, None) if rng.random() < 0.1 else (lo, lo + rng.randint(0, 8))
            for table in dedup_store.TERM_TABLES:
                got = store.terms[table].stories(terms, start, end, limit)
                assert got == _sql_stories(store.db, table, terms, start, end, limit)
    store.close()
