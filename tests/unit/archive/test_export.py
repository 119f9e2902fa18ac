"""Export (archive/articles/export.py): JSONL as stored, CSV and Parquet read back as downstream
tools do."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from archive.articles.export import (
    EXPORT_COLUMNS,
    EXPORT_SCHEMA,
    ROW_GROUP_ROWS,
    SCHEMA_DOC,
    filter_articles,
    flat_row,
    write_export,
)
from archive.articles.record import article_id
from archive.articles.store import ArticleStore, read_articles
from archive.warc.records import RecordLocation
from pipelines.analysis.item import ArticleItem
from pipelines.dedup.index import DedupVerdict
from pipelines.extract.article import Article
from pipelines.relevance.scorer import Relevance

NAMES = [name for name, _ in EXPORT_COLUMNS]
TRICKY_TEXT = 'Первый абзац: «Лавров».\n\nSecond paragraph, with "quotes", commas; and a tab\t.'


def record(
    n: int,
    *,
    title: str = "Lavrov meets Wang Yi",
    text: str = "Wang Yi met Sergey Lavrov in Moscow.",
    authors: tuple[str, ...] = ("Анна Петрова", "John O'Neil"),
    tags: tuple[str, ...] = ("diplomacy", "China"),
    date: str | None = "2025-04-01T09:30:00Z",
    kind: str = "unique",
    of: str | None = None,
    event: str = "demo-event",
    fetched_at: str | None = "2025-04-02T08:00:01.250000Z",
) -> dict[str, Any]:
    """One article exactly as the store pipeline builds it (``ArticleItem.record``)."""
    url = f"https://news.example.com/2025/04/01/story-{n}"
    record_id = f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"
    article = Article(
        url=url,
        text=text,
        title=title,
        authors=authors,
        date=date,
        date_source="json-ld",
        sitename="Example News",
        language="en",
        tags=tags,
        canonical_url=url + "?amp=0",
        word_count=len(text.split()),
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        truncated=n % 2 == 1,
        extractor="trafilatura 2.3.1",
    )
    item = ArticleItem(
        id=article_id(record_id),
        url=url,
        fetched_at=fetched_at,
        warc=RecordLocation(
            "demo-20250402-00000.warc.gz", 3_000_000_000 + n, 4321, record_id, "sha1:ABCD"
        ).as_dict(),
        article=article,
        signatures=None,
        relevance=Relevance(0.8333, True, "on-event"),
        verdict=DedupVerdict(kind, of, 0.9 if of else 0.0, "story-1"),  # type: ignore[arg-type]
    )
    return item.record("crawl-1", event).to_json()


def stored_set(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """Three articles written by the real ArticleStore and read back: the exported input."""
    records = [
        record(0, text=TRICKY_TEXT),
        record(1, authors=(), tags=(), date="2025-04-01"),  # no author: null / empty list
        record(2, kind="exact", of=article_id("<urn:uuid:00000000-0000-0000-0000-000000000000>")),
    ]
    store = ArticleStore(tmp_path / "event", "crawl-1")
    for r in records:
        store.add(r, canonical_text=None)
    store.close()
    return store.articles_path, read_articles(store.articles_path)


def export(articles: list[dict[str, Any]], fmt: str) -> bytes:
    out = io.BytesIO()
    assert write_export(articles, fmt, out) == len(articles)  # type: ignore[arg-type]
    return out.getvalue()


def test_jsonl_reproduces_the_stored_lines(tmp_path: Path) -> None:
    path, articles = stored_set(tmp_path)
    data = export(articles, "jsonl")
    assert data == path.read_bytes()  # the archive's own format, byte for byte
    assert "Лавров" in data.decode("utf-8")  # not \\u-escaped
    assert [json.loads(line) for line in data.splitlines()] == articles


def test_jsonl_keeps_nested_objects_and_key_order() -> None:
    article = {"z": 1, "id": "a", "dup": {"of": None, "kind": "unique"}, "text": "x\ny"}
    (line,) = export([article], "jsonl").decode().splitlines()
    assert line == '{"z": 1, "id": "a", "dup": {"of": null, "kind": "unique"}, "text": "x\\ny"}'


def test_parquet_schema_and_values_in_duckdb(tmp_path: Path) -> None:
    _, articles = stored_set(tmp_path)
    target = tmp_path / "articles.parquet"
    target.write_bytes(export(articles, "parquet"))
    con = duckdb.connect()
    described = con.sql(f"DESCRIBE SELECT * FROM '{target}'").fetchall()
    assert [(row[0], row[1]) for row in described] == [
        (name, DUCKDB_TYPES[str(kind)]) for name, kind in EXPORT_COLUMNS
    ]
    rows = con.sql(
        f"SELECT id, text, author, authors, tags, published, fetched_at, word_count, truncated, "
        f"relevance_score, relevance_on_event, relevance_reason, dup_kind, dup_of, dup_score, "
        f"warc_offset, warc_length, warc_payload_digest FROM '{target}' ORDER BY warc_offset"
    ).fetchall()
    first, second, third = rows
    assert first[0] == articles[0]["id"]
    assert first[1] == TRICKY_TEXT  # unicode, newlines, quotes intact
    assert first[2] == "Анна Петрова; John O'Neil"
    assert first[3] == ["Анна Петрова", "John O'Neil"]
    assert first[4] == ["diplomacy", "China"]
    assert first[5] == dt.date(2025, 4, 1)
    assert first[6] == dt.datetime(2025, 4, 2, 8, 0, 1, 250000, tzinfo=dt.UTC)
    assert first[7:12] == (len(TRICKY_TEXT.split()), False, 0.833, True, "on-event")
    assert first[12:15] == ("unique", None, 0.0)
    assert first[15:] == (3_000_000_000, 4321, "sha1:ABCD")  # beyond 32 bits
    assert second[2:5] == (None, [], [])  # no author: null; no authors: empty list
    assert second[5] == dt.date(2025, 4, 1)
    assert second[8] is True
    assert third[12:15] == ("exact", articles[0]["id"], 0.9)
    count = con.sql(f"SELECT count(*) FROM '{target}' WHERE dup_kind = 'unique'").fetchone()
    assert count == (2,)


DUCKDB_TYPES = {
    "string": "VARCHAR",
    "list<item: string>": "VARCHAR[]",
    "date32[day]": "DATE",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp[us, tz=UTC]": "TIMESTAMP WITH TIME ZONE",
}


def test_parquet_in_pandas(tmp_path: Path) -> None:
    _, articles = stored_set(tmp_path)
    target = tmp_path / "articles.parquet"
    target.write_bytes(export(articles, "parquet"))
    frame = pd.read_parquet(target)
    assert list(frame.columns) == NAMES
    assert str(frame["word_count"].dtype) == "int32"
    assert str(frame["warc_offset"].dtype) == "int64"
    assert str(frame["relevance_score"].dtype) == "float64"
    assert str(frame["truncated"].dtype) == "bool"
    assert str(frame["fetched_at"].dtype) == "datetime64[us, UTC]"
    assert frame["fetched_at"][0] == pd.Timestamp("2025-04-02T08:00:01.25Z")
    assert frame["published"][1] == dt.date(2025, 4, 1)
    assert frame["text"][0] == TRICKY_TEXT
    assert frame["author"][1] is None
    assert list(frame["authors"][0]) == ["Анна Петрова", "John O'Neil"]
    assert list(frame["tags"][1]) == []
    assert frame["dup_of"][0] is None
    assert frame["dup_of"][2] == articles[0]["id"]
    assert list(frame["truncated"]) == [False, True, False]


def test_parquet_schema_is_the_documented_one(tmp_path: Path) -> None:
    _, articles = stored_set(tmp_path)
    schema = pq.read_schema(io.BytesIO(export(articles, "parquet")))
    assert schema.equals(EXPORT_SCHEMA)
    assert [c for c, _, _ in SCHEMA_DOC] == NAMES
    assert all(kind and meaning for _, kind, meaning in SCHEMA_DOC)


def test_missing_keys_are_null() -> None:
    table = pq.read_table(io.BytesIO(export([{"id": "x"}, {}], "parquet")))
    assert table.num_rows == 2
    assert table.column("id").to_pylist() == ["x", None]
    for name in NAMES[1:]:
        assert table.column(name).null_count == 2, name
    csv_rows = list(csv.reader(io.StringIO(export([{"id": "x"}], "csv").decode())))
    assert csv_rows[1] == ["x"] + [""] * (len(NAMES) - 1)


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2025-04-01", dt.date(2025, 4, 1)),
        ("2025-04-01T23:30:00Z", dt.date(2025, 4, 1)),
        ("2025-04-01T23:30:00", dt.date(2025, 4, 1)),
        ("2025-02-30", None),
        ("April 1", None),
        (None, None),
    ],
)
def test_published_is_the_day_of_date(value: str | None, day: dt.date | None) -> None:
    row = flat_row({"date": value})
    assert (row["date"], row["published"]) == (value, day)


def test_fetched_at_parsing() -> None:
    assert flat_row({"fetched_at": "2025-04-02T08:00:01Z"})["fetched_at"] == dt.datetime(
        2025, 4, 2, 8, 0, 1, tzinfo=dt.UTC
    )
    assert flat_row({"fetched_at": "not a date"})["fetched_at"] is None


def test_csv_with_the_csv_module(tmp_path: Path) -> None:
    _, articles = stored_set(tmp_path)
    data = export(articles, "csv")
    assert b"\r\n" in data  # RFC 4180 line ends
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert len(rows) == 3
    assert list(rows[0]) == NAMES
    first, second, third = rows
    assert first["text"] == TRICKY_TEXT
    assert first["authors"] == "Анна Петрова; John O'Neil"
    assert first["tags"] == "diplomacy; China"
    assert first["published"] == "2025-04-01"
    assert first["fetched_at"] == "2025-04-02T08:00:01.250000Z"  # as stored
    assert (first["truncated"], second["truncated"]) == ("false", "true")
    assert first["word_count"] == str(len(TRICKY_TEXT.split()))
    assert first["warc_offset"] == "3000000000"
    assert (second["author"], second["authors"], second["tags"]) == ("", "", "")
    assert (third["dup_kind"], third["dup_of"], third["dup_score"]) == (
        "exact",
        articles[0]["id"],
        "0.9",
    )


def test_csv_in_pandas(tmp_path: Path) -> None:
    _, articles = stored_set(tmp_path)
    frame = pd.read_csv(io.BytesIO(export(articles, "csv")), encoding="utf-8")
    assert list(frame.columns) == NAMES
    assert frame["text"][0] == TRICKY_TEXT
    assert str(frame["word_count"].dtype) == "int64"
    assert str(frame["truncated"].dtype) == "bool"
    assert list(frame["warc_offset"]) == [3_000_000_000, 3_000_000_001, 3_000_000_002]
    assert pd.isna(frame["author"][1])
    assert frame["title"][0] == "Lavrov meets Wang Yi"


def read_pipe(fd: int, sink: bytearray) -> threading.Thread:
    def drain() -> None:
        with os.fdopen(fd, "rb") as fh:
            sink.extend(fh.read())

    thread = threading.Thread(target=drain)
    thread.start()
    return thread


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_to_a_pipe(tmp_path: Path, fmt: str) -> None:
    _, articles = stored_set(tmp_path)
    read_fd, write_fd = os.pipe()
    received = bytearray()
    reader = read_pipe(read_fd, received)
    with os.fdopen(write_fd, "wb") as out:
        assert not out.seekable()
        assert write_export(articles, fmt, out) == 3  # type: ignore[arg-type]
        assert not out.closed  # the caller's stream is left open
    reader.join()
    assert bytes(received) == export(articles, fmt)


def test_parquet_to_stdout_of_a_process(tmp_path: Path) -> None:
    path, _ = stored_set(tmp_path)
    script = (
        "import sys\n"
        "from archive.articles.export import write_export\n"
        "from archive.articles.store import read_articles\n"
        "n = write_export(read_articles(sys.argv[1]), 'parquet', sys.stdout.buffer)\n"
        "print(n, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).parents[3],
    )
    assert done.stderr.strip() == b"3"
    table = pq.read_table(io.BytesIO(done.stdout))
    assert table.column("text").to_pylist()[0] == TRICKY_TEXT


def test_filter_articles(tmp_path: Path) -> None:
    articles = [
        record(0),
        record(1, kind="near", of="x"),
        record(2, event="other-event"),
        {"id": "no-verdict", "event": "demo-event", "dup": None},
    ]
    ids = [a["id"] for a in articles]

    def kept(**kw: Any) -> list[str]:
        return [a["id"] for a in filter_articles(articles, **kw)]

    assert kept() == ids
    assert kept(unique_only=True) == [ids[0], ids[2], ids[3]]
    assert kept(event="demo-event") == [ids[0], ids[1], ids[3]]
    assert kept(event="demo-event", unique_only=True) == [ids[0], ids[3]]
    assert kept(event="nope") == []
    out = io.BytesIO()
    assert write_export(filter_articles(articles, unique_only=True), "parquet", out) == 3
    assert pq.read_table(io.BytesIO(out.getvalue())).column("id").to_pylist() == kept(
        unique_only=True
    )


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown export format 'xlsx'"):
        write_export([], "xlsx", io.BytesIO())  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_empty_export(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"empty.{fmt}"
    with target.open("wb") as out:
        assert write_export([], fmt, out) == 0  # type: ignore[arg-type]
    if fmt == "parquet":
        con = duckdb.connect()
        assert con.sql(f"SELECT count(*) FROM '{target}'").fetchone() == (0,)
        assert pq.read_schema(target).equals(EXPORT_SCHEMA)
    elif fmt == "csv":
        assert target.read_bytes() == (",".join(NAMES) + "\r\n").encode()
    else:
        assert target.read_bytes() == b""


def generated(count: int, out: io.BytesIO, written_early: list[int]) -> Iterator[dict[str, Any]]:
    """``count`` articles; records how much was written once 15,000 had been produced."""
    base = record(0)
    for n in range(count):
        if n == ROW_GROUP_ROWS + ROW_GROUP_ROWS // 2:
            written_early.append(out.tell())
        yield {
            **base,
            "id": f"{n:016x}",
            "text": f"Article {n}: Lavrov.\n\nParagraph {n % 97}.",
            "word_count": n,
            "warc": {**base["warc"], "offset": n * 1000},
        }


def test_many_articles_stream_in_row_groups(tmp_path: Path) -> None:
    out = io.BytesIO()
    written_early: list[int] = []
    assert write_export(generated(25_000, out, written_early), "parquet", out) == 25_000
    # the first row group was on its way out before the input was exhausted
    assert written_early[0] > 10_000
    target = tmp_path / "many.parquet"
    target.write_bytes(out.getvalue())
    meta = pq.ParquetFile(target).metadata
    assert meta.num_rows == 25_000
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [
        10_000,
        10_000,
        5_000,
    ]
    con = duckdb.connect()
    stats = con.sql(
        f"SELECT count(*), sum(word_count), max(warc_offset), count(DISTINCT id) FROM '{target}'"
    ).fetchone()
    assert stats == (25_000, sum(range(25_000)), 24_999_000, 25_000)
    frame = pd.read_parquet(target, columns=["id", "text"])
    assert frame["text"][24_999] == "Article 24999: Lavrov.\n\nParagraph 70."
    assert pa.types.is_string(pq.read_schema(target).field("text").type)
