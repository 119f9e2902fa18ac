"""The article set for downstream tools: JSONL as stored, or CSV and Parquet in one flat schema.

- ``jsonl``: the archive's own format, one article per line exactly as stored (nested objects,
  key order kept, UTF-8 unescaped), so exporting an unfiltered set reproduces its lines.
- ``csv``: the flat columns of :data:`EXPORT_COLUMNS` with a header row, UTF-8, RFC 4180 quoting
  (CRLF rows; text keeps its newlines inside quotes), lists joined with ``"; "``, booleans
  ``true``/``false``, null as an empty field.
- ``parquet``: the flat columns with the pyarrow types of :data:`EXPORT_COLUMNS`, zstd, row
  groups of at most :data:`ROW_GROUP_ROWS` rows; readable as is by DuckDB, pandas and polars.

Everything streams: rows are written as they come (Parquet a row group at a time), and ``out``
may be a non-seekable stream such as ``sys.stdout.buffer`` or a pipe. ``out`` is not closed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any, BinaryIO, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from archive.articles.record import COLUMNS, lookup
from archive.articles.sets import is_unique

Format = Literal["jsonl", "parquet", "csv"]
FORMATS: tuple[str, ...] = ("jsonl", "parquet", "csv")
EXTENSIONS: dict[str, Format] = {".jsonl": "jsonl", ".parquet": "parquet", ".csv": "csv"}
ROW_GROUP_ROWS = 10_000
ROW_GROUP_TEXT_BYTES = 64 << 20  # also close a row group early on very long texts
CHUNK_BYTES = 1 << 20  # JSONL/CSV: write to ``out`` in chunks of about this size
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# Arrow type and readable type of each column kind (the columns: archive.articles.record)
_ARROW: dict[str, tuple[pa.DataType, str]] = {
    "string": (pa.string(), "string"),
    "strings": (pa.list_(pa.string()), "list<string>"),
    "int32": (pa.int32(), "int32"),
    "int64": (pa.int64(), "int64"),
    "float64": (pa.float64(), "float64"),
    "bool": (pa.bool_(), "bool"),
    "timestamp": (pa.timestamp("us", tz="UTC"), "timestamp[us, UTC]"),
    "date": (pa.date32(), "date"),
}
EXPORT_COLUMNS: list[tuple[str, pa.DataType]] = [(c.name, _ARROW[c.kind][0]) for c in COLUMNS]
EXPORT_SCHEMA: pa.Schema = pa.schema(EXPORT_COLUMNS)
SCHEMA_DOC: list[tuple[str, str, str]] = [(c.name, _ARROW[c.kind][1], c.doc) for c in COLUMNS]


def filter_articles(
    articles: Iterable[dict[str, Any]], *, unique_only: bool = False, event: str | None = None
) -> Iterator[dict[str, Any]]:
    """The articles of ``event`` (all if None), only canonical copies if ``unique_only``."""
    for article in articles:
        if event is not None and article.get("event") != event:
            continue
        if unique_only and not is_unique(article):
            continue
        yield article


def _string(v: Any) -> str | None:
    return None if v is None else v if isinstance(v, str) else str(v)


def _strings(v: Any) -> list[str] | None:
    if v is None:
        return None
    items = v if isinstance(v, list | tuple) else [v]
    return [x if isinstance(x, str) else str(x) for x in items if x is not None]


def _number(kind: type[int] | type[float]) -> Callable[[Any], Any]:
    def convert(v: Any) -> Any:
        if v is None or isinstance(v, bool):
            return None
        try:
            return kind(v)
        except (TypeError, ValueError, OverflowError):
            return None

    return convert


def _bool(v: Any) -> bool | None:
    return v if isinstance(v, bool) else None


def _timestamp(v: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(v)
    except (TypeError, ValueError):
        return None
    # WARC-Date is UTC by definition; a value without a zone is read as UTC
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(v: Any) -> date | None:
    if not isinstance(v, str) or not _DAY.match(v):
        return None
    try:
        return date.fromisoformat(v[:10])
    except ValueError:
        return None


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "string": _string,
    "strings": _strings,
    "int32": _number(int),
    "int64": _number(int),
    "float64": _number(float),
    "bool": _bool,
    "timestamp": _timestamp,
    "date": _day,
}
_CONVERTERS = [(c.name, c.path, _CONVERT[c.kind]) for c in COLUMNS]


def flat_row(article: dict[str, Any]) -> dict[str, Any]:
    """One article as the flat columns (Python values of the column types; missing → None)."""
    return {name: convert(lookup(article, path)) for name, path, convert in _CONVERTERS}


def format_of(path: str) -> Format | None:
    """The export format a file name asks for by its extension (``.jsonl``, ``.parquet``,
    ``.csv``, any case), or None."""
    return EXTENSIONS.get(PurePath(path).suffix.lower())


def write_export(articles: Iterable[dict[str, Any]], fmt: Format, out: BinaryIO) -> int:
    """Write ``articles`` to ``out`` in ``fmt``; returns the number of rows written."""
    writers = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    return writers[fmt](articles, out)


def _write_jsonl(articles: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    rows, chunk = 0, io.StringIO()
    for article in articles:
        chunk.write(json.dumps(article, ensure_ascii=False))
        chunk.write("\n")
        rows += 1
        if chunk.tell() >= CHUNK_BYTES:
            _drain(chunk, out)
    _drain(chunk, out)
    return rows


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write_csv(articles: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    chunk = io.StringIO()
    writer = csv.writer(chunk, lineterminator="\r\n")  # RFC 4180; QUOTE_MINIMAL
    writer.writerow([name for name, _ in EXPORT_COLUMNS])
    rows = 0
    for article in articles:
        writer.writerow([_csv_cell(v) for v in flat_row(article).values()])
        rows += 1
        if chunk.tell() >= CHUNK_BYTES:
            _drain(chunk, out)
    _drain(chunk, out)
    return rows


def _drain(chunk: io.StringIO, out: BinaryIO) -> None:
    data = chunk.getvalue()
    if data:
        out.write(data.encode("utf-8"))
    chunk.seek(0)
    chunk.truncate()


def record_batches(articles: Iterable[dict[str, Any]]) -> Iterator[pa.RecordBatch]:
    """Stored articles as Arrow record batches of :data:`EXPORT_SCHEMA` (the flat columns), at
    most :data:`ROW_GROUP_ROWS` rows or about :data:`ROW_GROUP_TEXT_BYTES` of text each."""
    names = [name for name, _ in EXPORT_COLUMNS]
    columns: dict[str, list[Any]] = {name: [] for name in names}
    pending = text_bytes = 0
    for article in articles:
        row = flat_row(article)
        for name in names:
            columns[name].append(row[name])
        pending += 1
        text_bytes += len(row["text"] or "")
        if pending >= ROW_GROUP_ROWS or text_bytes >= ROW_GROUP_TEXT_BYTES:
            yield pa.RecordBatch.from_pydict(columns, schema=EXPORT_SCHEMA)
            pending = text_bytes = 0
            columns = {name: [] for name in names}
    if pending:
        yield pa.RecordBatch.from_pydict(columns, schema=EXPORT_SCHEMA)


def to_table(articles: Iterable[dict[str, Any]]) -> pa.Table:
    """Stored articles as one Arrow table of :data:`EXPORT_SCHEMA` (what Parquet holds)."""
    return pa.Table.from_batches(list(record_batches(articles)), schema=EXPORT_SCHEMA)


def _write_parquet(articles: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    rows = 0
    with pq.ParquetWriter(out, EXPORT_SCHEMA, compression="zstd") as writer:
        for batch in record_batches(articles):
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows
