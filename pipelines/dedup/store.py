"""SQLite persistence of the dedup index: documents, URL keys, LSH bands, stories.

One file (or ``:memory:``), WAL journal. Each added article is a savepoint inside a transaction
that is committed every ``commit_every`` articles or ``commit_seconds`` (and on close). A crash
loses at most that last batch (re-adding those articles repairs it). The LSH band tables are not
stored (version 3; version 2 kept them here, ~90 B-tree pages dirtied per article, most of the
cost of an add at scale): they are a function of the MinHash columns, from which ``DedupIndex``
rebuilds them in memory (``bandmap``) on open, with one scan (``minhash_chunks``).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipelines.dedup.signatures import FIELDS, NUM_PERM, Signatures
from pipelines.dedup.terms import TermIndex

SCHEMA_VERSION = "3"  # 2: languages and stories across them (added to a version-1 file on open)
# 3: no band tables (dropped from a version-2 file on open: rebuilt in memory from the MinHashes)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(
    id INTEGER PRIMARY KEY,             -- row of the in-memory MinHash matrices
    doc_id TEXT UNIQUE NOT NULL,
    url TEXT NOT NULL,
    day REAL,                           -- publication time in days since 1970-01-01 (UTC)
    kind TEXT NOT NULL,
    of_doc INTEGER,                     -- the canonical document (first seen of the group)
    score REAL NOT NULL,
    story INTEGER NOT NULL,
    digest BLOB NOT NULL, words_seq BLOB NOT NULL, shingles BLOB NOT NULL, words BLOB NOT NULL,
    vocab BLOB NOT NULL, entities BLOB NOT NULL, numbers BLOB NOT NULL, quotes BLOB NOT NULL,
    sentences BLOB NOT NULL, lead BLOB NOT NULL, n_words INTEGER NOT NULL,
    lang BLOB NOT NULL DEFAULT x'', cross BLOB NOT NULL DEFAULT x''
);
CREATE INDEX IF NOT EXISTS docs_digest ON docs(digest);
CREATE TABLE IF NOT EXISTS urls(key TEXT PRIMARY KEY, doc INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stories(
    id INTEGER PRIMARY KEY, label TEXT UNIQUE NOT NULL, start REAL, end REAL,
    n INTEGER NOT NULL, profile BLOB NOT NULL,
    lang TEXT NOT NULL DEFAULT '',      -- the language of its articles
    cross BLOB NOT NULL DEFAULT x'',    -- language-neutral keys of its articles, with counts
    cross_label TEXT                    -- its story across languages (NULL: its own label)
);
CREATE TABLE IF NOT EXISTS cross_terms(term INTEGER, day INTEGER, story INTEGER,
    PRIMARY KEY(term, day, story)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_terms(term INTEGER, day INTEGER, story INTEGER,
    PRIMARY KEY(term, day, story)) WITHOUT ROWID;
"""
BAND_TABLES = ("near_bands", "word_bands")  # of version 2 files, dropped on open
STORY_TERM_LIMIT = 5000
TERM_TABLES = ("story_terms", "cross_terms")
# stories kept (most recently used): ~2.5 KB each; a 9-day window holds ~13,000 at 1M documents
STORY_CACHE = 1 << 15


@dataclass
class StoryRow:
    """A row of ``stories`` as the index reads it (kept in ``Store``'s cache: a story the
    matcher scores is read from SQLite once, not once per article). ``parsed`` is free for the
    caller to keep what it derives from ``profile`` (cleared when the profile changes)."""

    id: int
    label: str
    start: float | None
    end: float | None
    n: int
    profile: bytes
    lang: str
    cross: bytes
    cross_label: str | None
    parsed: Any = field(default=None, compare=False)

    @property
    def cross_or_label(self) -> str:
        """Its story across languages (its own label when not linked)."""
        return self.label if self.cross_label is None else self.cross_label

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)


class Store:
    """Typed queries over the dedup SQLite file. Not thread-safe; one writer."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        commit_every: int = 1000,
        commit_seconds: float = 1.0,
    ):
        self.commit_every = commit_every
        self.commit_seconds = commit_seconds
        self.pending = 0
        self.last_commit = time.monotonic()
        target = ":memory:" if path is None else os.fspath(path)
        self.stories: OrderedDict[int, StoryRow] = OrderedDict()  # LRU cache of ``stories``
        self.db = sqlite3.connect(target, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA temp_store=MEMORY")
        self.db.execute("PRAGMA cache_size=-65536")  # 64 MiB
        # checkpoint every 8,192 pages (32 MiB of WAL), not every 1,000: a page of the random-access
        # indexes (doc ids, digests, URL keys, terms) changed by many batches is copied once
        self.db.execute("PRAGMA wal_autocheckpoint=8192")
        self.db.executescript(SCHEMA)
        self._migrate()
        self.db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
        )
        # the term tables, in memory too (``terms``): what story matching asks of them
        self.terms = {table: TermIndex() for table in TERM_TABLES}
        self.added_terms: list[tuple[str, int, int, int]] = []  # this article's, for undo
        for table, index in self.terms.items():
            cursor = self.db.execute(f"SELECT term, day, story FROM {table}")  # key order
            cursor.row_factory = None
            while rows := cursor.fetchmany(65536):
                index.load(rows)

    def _migrate(self) -> None:
        """Version 1 → 2: the columns of languages (rows of version 1 have none: ``''``)."""
        added = {
            "docs": ("lang BLOB NOT NULL DEFAULT x''", "cross BLOB NOT NULL DEFAULT x''"),
            "stories": ("lang TEXT NOT NULL DEFAULT ''", "cross BLOB NOT NULL DEFAULT x''",
                        "cross_label TEXT"),
        }  # fmt: skip
        for table, columns in added.items():
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column.split()[0] not in have:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        for table in BAND_TABLES:  # version 2 → 3
            self.db.execute(f"DROP TABLE IF EXISTS {table}")

    def close(self) -> None:
        self.commit()
        self.db.close()

    def begin(self) -> None:
        """Start one article's changes (a savepoint in the current batch transaction)."""
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
        self.db.execute("SAVEPOINT article")
        self.added_terms.clear()

    def done(self) -> None:
        """Keep the article's changes; commit the batch when it is due."""
        self.db.execute("RELEASE article")
        self.added_terms.clear()
        self.pending += 1
        due = time.monotonic() - self.last_commit >= self.commit_seconds
        if self.pending >= self.commit_every or due:
            self.commit()

    def undo(self) -> None:
        """Drop the article's changes, keep the batch."""
        self.db.execute("ROLLBACK TO article")
        self.db.execute("RELEASE article")
        self.stories.clear()  # may hold the dropped changes: read again from the file
        for table, term, day, story in reversed(self.added_terms):
            self.terms[table].remove(term, day, story)
        self.added_terms.clear()

    def commit(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")
        self.pending = 0
        self.last_commit = time.monotonic()

    # documents
    def doc_by_id(self, doc_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT d.*, o.doc_id AS of_id, s.label AS story_label FROM docs d "
            "LEFT JOIN docs o ON o.id = d.of_doc JOIN stories s ON s.id = d.story "
            "WHERE d.doc_id = ?",
            (doc_id,),
        ).fetchone()
        return row

    def doc(self, rowid: int) -> sqlite3.Row:
        row: sqlite3.Row = self.db.execute("SELECT * FROM docs WHERE id = ?", (rowid,)).fetchone()
        return row

    def sig(self, rowid: int) -> Signatures:
        return Signatures.from_row(self.doc(rowid))

    def word_minhashes(self, rowids: np.ndarray) -> np.ndarray:
        """The content-word MinHash values (uint32, one row each) of documents ``rowids``, in
        that order (the index keeps only a sketch of them in memory)."""
        found: dict[int, bytes] = {}
        ids = [int(r) for r in rowids]
        for at in range(0, len(ids), 500):
            chunk = ids[at : at + 500]
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT id, words FROM docs WHERE id IN ({marks})"
            found.update((row[0], row[1]) for row in self.db.execute(query, chunk))
        blob = b"".join(found[r] for r in ids)
        return np.frombuffer(blob, dtype="<u4").reshape(len(ids), NUM_PERM)

    def doc_by_digest(self, digest: bytes) -> int | None:
        row = self.db.execute(
            "SELECT id FROM docs WHERE digest = ? ORDER BY id LIMIT 1", (digest,)
        ).fetchone()
        return None if row is None else int(row[0])

    def next_rowid(self) -> int:
        row = self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM docs").fetchone()
        return int(row[0])

    def insert_doc(self, rowid: int, values: dict[str, Any], sig: Signatures) -> None:
        cols = ["id", *values, *FIELDS]
        params = [rowid, *values.values(), *(getattr(sig, f) for f in FIELDS)]
        marks = ", ".join("?" * len(cols))
        self.db.execute(f"INSERT INTO docs({', '.join(cols)}) VALUES ({marks})", params)

    def doc_ids(self, rowids: Sequence[int]) -> dict[int, str]:
        marks = ", ".join("?" * len(rowids))
        rows = self.db.execute(f"SELECT id, doc_id FROM docs WHERE id IN ({marks})", list(rowids))
        return {int(r[0]): str(r[1]) for r in rows}

    def minhash_chunks(self, size: int = 65536) -> Iterator[list[tuple[Any, ...]]]:
        """(id, shingles, words, lang, of_doc, story) of every document, ``size`` at a time."""
        cursor = self.db.execute(
            "SELECT id, shingles, words, lang, of_doc, story FROM docs ORDER BY id"
        )
        cursor.row_factory = None  # plain tuples
        while rows := cursor.fetchmany(size):
            yield rows

    # URL keys
    def doc_by_url(self, keys: Sequence[str]) -> int | None:
        marks = ", ".join("?" * len(keys))
        row = self.db.execute(
            f"SELECT MIN(doc) FROM urls WHERE key IN ({marks})", list(keys)
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def add_urls(self, keys: Sequence[str], rowid: int) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO urls(key, doc) VALUES (?, ?)", [(k, rowid) for k in keys]
        )

    # stories (written through the cache: the cache is what the connection would read)
    def story(self, story_id: int) -> StoryRow:
        cached = self.stories.get(story_id)
        if cached is not None:
            self.stories.move_to_end(story_id)
            return cached
        row = self.db.execute(
            "SELECT id, label, start, end, n, profile, lang, cross, cross_label FROM stories "
            "WHERE id = ?",
            (story_id,),
        ).fetchone()
        found = StoryRow(*row)
        self._cache(found)
        return found

    def _cache(self, row: StoryRow) -> None:
        self.stories[row.id] = row
        if len(self.stories) > STORY_CACHE:
            self.stories.popitem(last=False)

    def new_story(self, label: str, day: float | None, profile: bytes, lang: str = "") -> int:
        cur = self.db.execute(
            "INSERT INTO stories(label, start, end, n, profile, lang) VALUES (?, ?, ?, 1, ?, ?)",
            (label, day, day, profile, lang),
        )
        story_id = int(cur.lastrowid or 0)
        self._cache(StoryRow(story_id, label, day, day, 1, profile, lang, b"", None))
        return story_id

    def set_story_cross(self, story_id: int, cross: bytes) -> None:
        row = self.story(story_id)
        self.db.execute("UPDATE stories SET cross = ? WHERE id = ?", (cross, story_id))
        row.cross = cross

    def cross_label(self, story_id: int) -> str:
        return self.story(story_id).cross_or_label

    def join_cross(self, old: str, new: str) -> None:
        """Every story whose story across languages is ``old`` now has ``new``."""
        self.db.execute(
            "UPDATE stories SET cross_label = ? WHERE COALESCE(cross_label, label) = ?", (new, old)
        )
        for row in self.stories.values():
            if row.cross_or_label == old:
                row.cross_label = new

    def cross_candidates(self, terms: Sequence[int], lo: int | None, hi: int | None) -> list[int]:
        """Stories sharing language-neutral keys with an article, most shared first."""
        return self._by_terms("cross_terms", terms, lo, hi)

    def add_cross_terms(self, terms: Sequence[int], day: int, story_id: int) -> None:
        self._add_terms("cross_terms", terms, day, story_id)

    def count_story(self, story_id: int) -> None:
        """One more article (a duplicate: the story's span and names do not change)."""
        row = self.story(story_id)  # before the update: a row read after it has n + 1
        self.db.execute("UPDATE stories SET n = n + 1 WHERE id = ?", (story_id,))
        row.n += 1

    def update_story(self, story_id: int, start: float | None, end: float | None, n: int,
                     profile: bytes) -> None:  # fmt: skip
        row = self.story(story_id)
        self.db.execute(
            "UPDATE stories SET start = ?, end = ?, n = ?, profile = ? WHERE id = ?",
            (start, end, n, profile, story_id),
        )
        row.start, row.end, row.n, row.profile, row.parsed = start, end, n, profile, None

    def story_candidates(self, terms: Sequence[int], lo: int | None, hi: int | None) -> list[int]:
        """Stories sharing names with an article, most shared first."""
        return self._by_terms("story_terms", terms, lo, hi)

    def _by_terms(self, table: str, terms: Sequence[int], lo: int | None, hi: int | None
                  ) -> list[int]:  # fmt: skip
        assert table in TERM_TABLES
        return self.terms[table].stories(terms, lo, hi, STORY_TERM_LIMIT)

    def add_story_terms(self, terms: Sequence[int], day: int, story_id: int) -> None:
        self._add_terms("story_terms", terms, day, story_id)

    def _add_terms(self, table: str, terms: Sequence[int], day: int, story_id: int) -> None:
        assert table in TERM_TABLES
        self.db.executemany(
            f"INSERT OR IGNORE INTO {table}(term, day, story) VALUES (?, ?, ?)",
            [(t, day, story_id) for t in terms],
        )
        index = self.terms[table]
        for term in terms:
            if index.add(term, day, story_id):
                self.added_terms.append((table, term, day, story_id))
