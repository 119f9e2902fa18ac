"""One article record, every format: a record with every field set goes through the JSONL store,
the Python API, the CSV and Parquet exports and the search index, and comes back whole.

The sample is built by walking ``ArticleRecord``'s fields, so a field added to the record is
checked here without touching this file: if a format forgets it, a test below fails.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from archive import open_archive
from archive.articles.export import EXPORT_SCHEMA, flat_row, write_export
from archive.articles.record import COLUMNS, ArticleRecord, Column, lookup
from archive.articles.rows import ROW_COLUMNS, row
from archive.articles.store import ArticleStore

SAMPLES: dict[str, Any] = {
    "string": "s",
    "strings": ("a", "b"),
    "int32": 7,
    "int64": 1234567890123,
    "float64": 0.625,
    "bool": True,
    "timestamp": "2025-04-01T12:00:00.123456Z",
}


def sample(cls: Any, prefix: str = "") -> Any:
    """An instance of ``cls`` with every field set to a distinct, non-default value."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        nested = f.metadata.get("nested")
        name = f"{prefix}{f.name}"
        if nested is not None:
            values[f.name] = sample(nested, f"{name}_")
            continue
        kind = f.metadata["kind"]
        value = SAMPLES[kind]
        if kind == "string":
            special = {"id": "0123456789abcdef", "date": "2025-04-01"}
            value = special.get(name, f"{name}-value")
        values[f.name] = value
    return cls(**values)


RECORD: ArticleRecord = sample(ArticleRecord)


def leaf_paths(cls: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for f in dataclasses.fields(cls):
        nested = f.metadata.get("nested")
        out += leaf_paths(nested, (*prefix, f.name)) if nested else [(*prefix, f.name)]
    return out


def test_every_field_has_an_export_column() -> None:
    paths = {c.path for c in COLUMNS}
    assert set(leaf_paths(ArticleRecord)) <= paths
    assert len({c.name for c in COLUMNS}) == len(COLUMNS)
    assert all(c.doc for c in COLUMNS)


def test_json_round_trip_and_old_lines_still_read() -> None:
    data = json.loads(json.dumps(RECORD.to_json()))
    assert ArticleRecord.from_json(data) == RECORD
    old = {"id": "x", "url": "http://a.test/", "unknown_future_key": 1}
    record = ArticleRecord.from_json(old)
    assert (record.id, record.url, record.dup, record.tags) == ("x", "http://a.test/", None, ())


def test_store_then_api_gives_back_the_same_record(tmp_path: Path) -> None:
    store = ArticleStore(tmp_path / "ev", "crawl-1")
    store.add(RECORD.to_json(), canonical_text=RECORD.text)
    store.close()
    (tmp_path / "ev" / "warc").mkdir()  # an event directory, as every crawl leaves one
    archive = open_archive(tmp_path)
    assert list(archive.article_records("ev")) == [RECORD]
    (stored,) = archive.stored_articles("ev")
    assert stored == json.loads(json.dumps(RECORD.to_json()))
    (flat,) = archive.articles("ev")  # the export's flat, typed row
    assert flat == flat_row(stored) and list(flat) == [c.name for c in COLUMNS]


def expected(col: Column) -> Any:
    value = lookup(RECORD.to_json(), col.path)
    return list(value) if isinstance(value, tuple) else value


def test_csv_and_parquet_carry_every_column(tmp_path: Path) -> None:
    article = RECORD.to_json()
    flat = flat_row(article)
    assert list(flat) == [c.name for c in COLUMNS]
    assert all(flat[c.name] is not None for c in COLUMNS), "a column lost its value"

    out = io.BytesIO()
    write_export([article], "csv", out)
    header, values = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert header == [c.name for c in COLUMNS]
    for col, cell in zip(COLUMNS, values, strict=True):
        assert cell != "", col.name

    target = tmp_path / "a.parquet"
    with target.open("wb") as fh:
        write_export([article], "parquet", fh)
    table = pq.read_table(target)
    assert table.schema.equals(EXPORT_SCHEMA)
    got = table.to_pylist()[0]
    for col in COLUMNS:
        if col.kind in ("timestamp", "date"):
            assert got[col.name] is not None, col.name
        else:
            assert got[col.name] == expected(col), col.name


def test_search_row_reads_the_record_by_column_name() -> None:
    values = dict(zip(("source", *ROW_COLUMNS), row("src", RECORD.to_json()), strict=True))
    stored = {c.name: c for c in COLUMNS}
    for name in ROW_COLUMNS:
        if name in stored and name != "language":
            assert values[name] == str(expected(stored[name])), name
    assert values["day"] == "2025-04-01"
    assert values["sitename_key"] == RECORD.sitename.casefold()  # type: ignore[union-attr]
