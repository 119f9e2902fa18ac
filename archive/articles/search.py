"""Full-text search over article sets: an embedded SQLite FTS5 index, no server.

The index is a cache built from the stored article sets (``<slug>/articles/<crawl-id>.jsonl``):
:meth:`SearchIndex.sync` re-reads only the sets whose fingerprint changed and drops the ones
that are gone. Title and text are indexed (``unicode61 remove_diacritics 2``: case and accents
are ignored, so ``Lavrov`` finds ``Lavróv``); ranking is bm25 with the title weighted
:data:`TITLE_WEIGHT` times the text.

Queries are what users type (``archive/articles/query.py``): words, ``"phrases"``, ``OR``,
``-word`` exclusion, ``word*`` prefix; never passed to FTS5 unescaped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from archive.articles.query import SearchError, compile_query, parse_day
from archive.articles.rows import ROW_COLUMNS, row, site_filter

__all__ = ["ArticleSource", "Hit", "SearchError", "SearchIndex", "SyncResult", "compile_query"]

TITLE_WEIGHT = 5.0
SNIPPET_TOKENS = 24
SCHEMA_VERSION = 3

_SCHEMA = f"""
CREATE TABLE sources (
    name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, articles INTEGER NOT NULL);
CREATE TABLE articles (
    rid INTEGER PRIMARY KEY, source TEXT NOT NULL, {", ".join(f"{c} TEXT" for c in ROW_COLUMNS)},
    current INTEGER NOT NULL DEFAULT 0, latest INTEGER NOT NULL DEFAULT 0,
    original INTEGER NOT NULL DEFAULT 0);
CREATE INDEX articles_id ON articles (id, rid);
CREATE INDEX articles_url ON articles (url, event);
CREATE INDEX articles_source ON articles (source);
CREATE VIRTUAL TABLE fts USING fts5 (
    title, text, content='articles', content_rowid='rid',
    tokenize='unicode61 remove_diacritics 2');
PRAGMA user_version = {SCHEMA_VERSION};
"""
# Which rows search shows (as archive.articles.sets.latest_captures does for the API and export):
# current: not replaced by a re-extraction storing the same id again (its rows are newer);
# latest: the latest capture of its article (an event's URL);
# original: its article has a current capture with an original text (unique or revision).
_FLAGS = (
    """UPDATE articles SET current = (
        rid = (SELECT max(b.rid) FROM articles b WHERE b.id = articles.id))""",
    """UPDATE articles SET latest = (rid IN (
        SELECT rid FROM (
            SELECT rid, row_number() OVER (
                PARTITION BY event, url
                ORDER BY crawl_id DESC, fetched_at DESC, CAST(revision AS INTEGER) DESC, rid DESC
            ) AS n FROM articles WHERE current)
        WHERE n = 1))""",
    """UPDATE articles SET original = EXISTS (
        SELECT 1 FROM articles c
        WHERE c.url = articles.url AND c.event IS articles.event AND c.current
          AND (c.dup_kind IN ('unique', 'revision') OR c.dup_kind IS NULL))""",
)
_COLUMNS = ", ".join(("source", *ROW_COLUMNS))
_INSERT = f"INSERT INTO articles ({_COLUMNS}) VALUES ({', '.join('?' * (1 + len(ROW_COLUMNS)))})"


@dataclass(frozen=True)
class ArticleSource:
    """One article set: ``name`` (e.g. its storage key), a ``fingerprint`` that changes with
    its content (e.g. size and sha256) and ``load``, called only when it must be (re)indexed."""

    name: str
    fingerprint: str
    load: Callable[[], Iterable[dict[str, Any]]]


@dataclass(frozen=True)
class SyncResult:
    """Sources added, re-indexed, removed and left alone; articles indexed by this sync."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    articles: int = 0


@dataclass(frozen=True)
class Hit:
    """One result. ``score`` is minus bm25: higher is better. ``snippet`` marks hits ``[…]``."""

    id: str
    title: str | None
    sitename: str | None
    site: str | None
    date: str | None
    url: str
    snippet: str
    event: str | None
    dup_kind: str | None
    score: float


class SearchIndex:
    """An FTS5 index of article sets in one SQLite file (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        try:
            self._prepare()
        except BaseException:
            self._db.close()
            raise

    def _prepare(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        # an older layout (or a new file): the index is a cache, rebuilt by the next sync
        self._db.execute("BEGIN")
        for table in ("fts", "articles", "sources"):
            self._db.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def sync(self, sources: Iterable[ArticleSource]) -> SyncResult:
        """Index new and changed sources, drop vanished ones; one transaction per source."""
        known = dict(self._db.execute("SELECT name, fingerprint FROM sources").fetchall())
        seen: set[str] = set()
        added = updated = unchanged = articles = 0
        for source in sources:
            seen.add(source.name)
            old = known.get(source.name)
            if old == source.fingerprint:
                unchanged += 1
                continue
            articles += self._index(source)
            known[source.name] = source.fingerprint
            if old is None:
                added += 1
            else:
                updated += 1
        gone = sorted(set(known) - seen)
        for name in gone:
            with self._transaction():
                self._delete(name)
        if added or updated or gone:
            with self._transaction():
                for statement in _FLAGS:
                    self._db.execute(statement)
        return SyncResult(added, updated, len(gone), unchanged, articles)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _delete(self, name: str) -> None:
        self._db.execute(
            "INSERT INTO fts (fts, rowid, title, text) "
            "SELECT 'delete', rid, title, text FROM articles WHERE source = ?",
            (name,),
        )
        self._db.execute("DELETE FROM articles WHERE source = ?", (name,))
        self._db.execute("DELETE FROM sources WHERE name = ?", (name,))

    def _index(self, source: ArticleSource) -> int:
        with self._transaction():
            self._delete(source.name)
            rows = (row(source.name, article) for article in source.load())
            count = max(self._db.executemany(_INSERT, rows).rowcount, 0)
            self._db.execute(
                "INSERT INTO fts (rowid, title, text) "
                "SELECT rid, title, text FROM articles WHERE source = ?",
                (source.name,),
            )
            self._db.execute(
                "INSERT INTO sources (name, fingerprint, articles) VALUES (?, ?, ?)",
                (source.name, source.fingerprint, count),
            )
        return count

    def search(
        self,
        query: str,
        *,
        since: str | None = None,
        until: str | None = None,
        site: str | None = None,
        lang: str | None = None,
        event: str | None = None,
        unique_only: bool = False,
        all_captures: bool = False,
        limit: int = 20,
    ) -> list[Hit]:
        """The best ``limit`` matches, best first; filters combine with AND.

        Each article (an event's URL) once, its latest capture (``all_captures``: every capture).
        ``since``/``until``: inclusive days (YYYY-MM-DD) compared with the day of ``date``
        (articles without a date are left out when either is given). ``site``: a host and its
        subdomains (a leading ``www.`` is ignored) or a sitename. ``unique_only``: articles with
        an original text (a capture whose ``dup.kind`` is unique or revision, or has no verdict).
        """
        if limit < 1:
            raise SearchError(f"limit must be at least 1, not {limit}")
        where, params = self._where(
            query, since, until, site, lang, event, unique_only, all_captures
        )
        return self._run(where, params, limit)

    def count(self) -> int:
        """Rows in the index (every capture)."""
        return int(self._db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def matches(
        self,
        query: str,
        *,
        since: str | None = None,
        until: str | None = None,
        site: str | None = None,
        lang: str | None = None,
        event: str | None = None,
        unique_only: bool = False,
        all_captures: bool = False,
    ) -> int:
        """How many articles :meth:`search` finds with no ``limit``."""
        where, params = self._where(
            query, since, until, site, lang, event, unique_only, all_captures
        )
        sql = f"SELECT count(*) FROM fts JOIN articles a ON a.rid = fts.rowid WHERE {where}"
        try:
            return int(self._db.execute(sql, params).fetchone()[0])
        except sqlite3.OperationalError as exc:
            raise SearchError(f"cannot run the search: {exc}") from None

    def _where(
        self,
        query: str,
        since: str | None,
        until: str | None,
        site: str | None,
        lang: str | None,
        event: str | None,
        unique_only: bool,
        all_captures: bool,
    ) -> tuple[str, list[Any]]:
        where, params = ["fts MATCH ?"], [compile_query(query)]
        where.append("a.current = 1" if all_captures else "a.latest = 1")
        first = parse_day(since, "since") if since else None
        last = parse_day(until, "until") if until else None
        if first and last and first > last:
            raise SearchError(f"since ({first}) is after until ({last})")
        for clause, value in (
            ("a.day >= ?", first),
            ("a.day <= ?", last),
            ("a.language = ?", lang.strip().lower() if lang else None),
            ("a.event = ?", event),
        ):
            if value:
                where.append(clause)
                params.append(value)
        if site and site.strip():
            clause, values = site_filter(site)
            where.append(clause)
            params += values
        if unique_only:
            where.append("a.original = 1")
        return " AND ".join(where), params

    def _run(self, where: str, params: list[Any], limit: int) -> list[Hit]:
        # rank first, then build snippets for the few rows kept (snippet() is the costly part)
        sql = f"""
            WITH top AS (
                SELECT a.rid AS rid, bm25(fts, {TITLE_WEIGHT}, 1.0) AS rank
                FROM fts JOIN articles a ON a.rid = fts.rowid
                WHERE {where} ORDER BY rank, a.rid LIMIT ?)
            SELECT a.id, a.title, a.sitename, a.site, a.date, a.url,
                   snippet(fts, 1, '[', ']', '…', {SNIPPET_TOKENS}),
                   a.event, a.dup_kind, top.rank
            FROM top JOIN articles a ON a.rid = top.rid JOIN fts ON fts.rowid = top.rid
            WHERE fts MATCH ? ORDER BY top.rank, top.rid"""
        try:
            rows = self._db.execute(sql, [*params, limit, params[0]]).fetchall()
        except sqlite3.OperationalError as exc:  # not expected: compile_query only emits strings
            raise SearchError(f"cannot run the search: {exc}") from None
        return [
            Hit(r[0], r[1], r[2], r[3], r[4], r[5], (r[6] or "").strip(), r[7], r[8], -float(r[9]))
            for r in rows
        ]
