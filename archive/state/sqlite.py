"""The crawl state in one SQLite file per event: ``<event>/state/crawl-state.sqlite``.

WAL journal, one transaction per write: a crawl killed at any moment leaves every completed
write in the file and none half-done. One writer at a time is guaranteed by the event lock
(:mod:`archive.storage.lock`); readers (``newsarc history``, tests) may open it alongside.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from archive.errors import StorageError
from archive.state import UrlState

STATE_DIR = "state"
STATE_FILE = "crawl-state.sqlite"
_FIELDS = [f.name for f in dataclasses.fields(UrlState)]
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS urls (
    {", ".join(f"{name} {'TEXT PRIMARY KEY' if name == 'url' else ''}" for name in _FIELDS)}
);
CREATE INDEX IF NOT EXISTS urls_due ON urls (next_due);
"""


def state_path(event_dir: str | os.PathLike[str]) -> Path:
    return Path(event_dir) / STATE_DIR / STATE_FILE


class SqliteCrawlState:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            have = {row[1] for row in self._db.execute("PRAGMA table_info(urls)")}
            for name in _FIELDS:  # a state written by an older newsarc: add the new fields
                if name not in have:
                    self._db.execute(f"ALTER TABLE urls ADD COLUMN {name}")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the crawl state {self.path}: {exc}") from exc

    def get(self, url: str) -> UrlState | None:
        try:
            row = self._db.execute(
                f"SELECT {', '.join(_FIELDS)} FROM urls WHERE url = ?", (url,)
            ).fetchone()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read the crawl state {self.path}: {exc}") from exc
        return None if row is None else self._state(row)

    @staticmethod
    def _state(row: tuple[Any, ...]) -> UrlState:
        values = dict(zip(_FIELDS, row, strict=True))
        values["warc"] = json.loads(values["warc"]) if values["warc"] else None
        return UrlState(**{k: v for k, v in values.items() if v is not None or k == "warc"})

    def put(self, state: UrlState) -> None:
        values: list[Any] = []
        for name in _FIELDS:
            value = getattr(state, name)
            values.append(json.dumps(value, sort_keys=True) if name == "warc" and value else value)
        try:
            self._db.execute(
                f"INSERT OR REPLACE INTO urls ({', '.join(_FIELDS)}) "
                f"VALUES ({', '.join('?' * len(_FIELDS))})",
                values,
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot write the crawl state {self.path}: {exc}") from exc

    def mark_analysed(self, url: str) -> None:
        """One statement, not a read and a rewrite of the row (once per page of a crawl)."""
        try:
            self._db.execute(
                "UPDATE urls SET analysed = 1 WHERE url = ? AND NOT coalesce(analysed, 0)", (url,)
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot write the crawl state {self.path}: {exc}") from exc

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM urls").fetchone()[0])

    def due(self, now: float) -> list[tuple[str, str]]:
        """(URL, kind) of the URLs due at ``now`` (epoch seconds), soonest first: not whole
        records, whose article texts a crawl start need not hold."""
        rows = self._db.execute(
            "SELECT url, kind FROM urls WHERE next_due <= ? ORDER BY next_due", (now,)
        ).fetchall()
        return [(str(url), str(kind)) for url, kind in rows]

    def __iter__(self) -> Iterator[UrlState]:
        """Every URL's state (for copying a state into another store)."""
        rows = self._db.execute(f"SELECT {', '.join(_FIELDS)} FROM urls ORDER BY url").fetchall()
        return (self._state(row) for row in rows)

    def put_many(self, states: Iterable[UrlState]) -> int:
        """Write many states in one transaction (copying a state in). Returns how many."""
        n = 0
        try:
            self._db.execute("BEGIN")
            for state in states:
                self.put(state)
                n += 1
            self._db.execute("COMMIT")
        except (sqlite3.Error, StorageError) as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise StorageError(f"cannot write the crawl state {self.path}: {exc}") from exc
        return n

    def close(self) -> None:
        """Fold the WAL into the database file (what is uploaded), then close."""
        # if it fails, the WAL stays beside the file and SQLite replays it on the next open
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()
