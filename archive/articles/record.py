"""The article record: one line of ``<slug>/articles/<crawl-id>.jsonl``, and its schema.

:class:`ArticleRecord` is the one owner of the stored article. Everything else derives from it:

- the JSONL line: :meth:`ArticleRecord.to_json` (writing) and :meth:`ArticleRecord.from_json`
  (reading, tolerant of lines written before a field existed);
- the flat columns of CSV and Parquet exports: :data:`COLUMNS`, built from the fields below
  (a nested record such as ``dup`` becomes ``dup_kind``, ``dup_of``…; ``Column.kind`` names the
  type, :mod:`archive.articles.export` maps it to Arrow);
- the search index row (:mod:`archive.articles.rows`) and the Python API (``archive.access``),
  which read stored lines through :func:`lookup` on a column's path.

Adding a field is a change here (a dataclass field with its ``meta``) plus setting its value
where records are made (``pipelines/analysis/item.py``); a test round-trips a record through
every format to hold that.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["string", "strings", "int32", "int64", "float64", "bool", "timestamp", "date"]


def article_id(record_id: str) -> str:
    """A stable id per capture, derived from its WARC response record id."""
    return hashlib.sha256(record_id.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Column:
    """One flat column of the export (and a path into the stored JSON)."""

    name: str
    path: tuple[str, ...]
    kind: Kind
    doc: str


def meta(kind: Kind, doc: str, *, also: tuple[tuple[str, Kind, str], ...] = ()) -> dict[str, Any]:
    """Field metadata: the column's type and meaning; ``also``: derived columns that follow it
    (name, type, meaning) computed from the same stored value."""
    return {"kind": kind, "doc": doc, "also": also}


@dataclass(frozen=True, kw_only=True)
class Relevance:
    score: float = field(metadata=meta("float64", "relevance to the event, 0-1"))
    on_event: bool = field(metadata=meta("bool", "judged on-event (always true in a stored set)"))
    reason: str = field(metadata=meta("string", "why it is (or is not) on-event"))


@dataclass(frozen=True, kw_only=True)
class Dup:
    kind: str = field(metadata=meta("string", "`unique`, `url`, `exact`, `near` or `rewrite`"))
    of: str | None = field(metadata=meta("string", "id of the canonical document (null if unique)"))
    score: float = field(metadata=meta("float64", "similarity to it"))


@dataclass(frozen=True, kw_only=True)
class WarcRef:
    filename: str = field(metadata=meta("string", "WARC file of the response record"))
    offset: int = field(metadata=meta("int64", "byte offset of the record in that file"))
    length: int = field(
        metadata=meta("int64", "its length in bytes (a ranged read of it is exactly the record)")
    )
    record_id: str = field(metadata=meta("string", "WARC-Record-ID"))
    payload_digest: str | None = field(metadata=meta("string", "WARC-Payload-Digest"))


_DATE_DOC = (
    "publication date as stored: ISO 8601 `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` (UTC) or "
    "`YYYY-MM-DDTHH:MM:SS` (zone unknown)"
)
_PUBLISHED_DOC = "the day of `date` (the UTC day for zoned values); null when there is no date"


@dataclass(frozen=True, kw_only=True)
class ArticleRecord:
    """One stored article: what was extracted, judged and deduplicated, and where it came from."""

    id: str = field(
        metadata=meta("string", "article id: 16 hex chars from its WARC response record id")
    )
    url: str = field(metadata=meta("string", "the fetched URL"))
    canonical_url: str | None = field(
        default=None, metadata=meta("string", "`<link rel=canonical>`, if any")
    )
    title: str | None = field(default=None, metadata=meta("string", "headline"))
    author: str | None = field(default=None, metadata=meta("string", "authors joined by `; `"))
    authors: tuple[str, ...] = field(default=(), metadata=meta("strings", "authors"))
    date: str | None = field(
        default=None,
        metadata=meta("string", _DATE_DOC, also=(("published", "date", _PUBLISHED_DOC),)),
    )
    date_source: str | None = field(
        default=None,
        metadata=meta(
            "string",
            "where the date came from (`json-ld`, `meta`, `news-sitemap`, `feed`, `time`, "
            "`url`, `gdelt`, …)",
        ),
    )
    sitename: str | None = field(default=None, metadata=meta("string", "publisher name"))
    language: str | None = field(
        default=None, metadata=meta("string", "ISO 639-1 language of the text")
    )
    tags: tuple[str, ...] = field(default=(), metadata=meta("strings", "keywords"))
    text: str = field(
        default="", metadata=meta("string", "clean text, paragraphs separated by a blank line")
    )
    word_count: int = field(default=0, metadata=meta("int32", "words in `text`"))
    text_sha256: str | None = field(
        default=None, metadata=meta("string", "SHA-256 of `text` (hex)")
    )
    truncated: bool = field(
        default=False,
        metadata=meta("bool", "true when the page likely shows a teaser, not the full text"),
    )
    fetched_at: str | None = field(
        default=None, metadata=meta("timestamp", "WARC-Date of the response record")
    )
    crawl_id: str = field(default="", metadata=meta("string", "the crawl that stored the article"))
    event: str = field(default="", metadata=meta("string", "event slug"))
    relevance: Relevance | None = field(default=None, metadata={"nested": Relevance})
    dup: Dup | None = field(default=None, metadata={"nested": Dup})
    story: str | None = field(
        default=None,
        metadata=meta(
            "string", "story cluster id (id of the story's first article; one language per story)"
        ),
    )
    cross_story: str | None = field(
        default=None,
        metadata=meta(
            "string",
            "story across languages: id of the first story of the stories of several languages "
            "linked by shared names and numbers, as known when the article was added",
        ),
    )
    revision: int = field(
        default=1,
        metadata=meta(
            "int32", "revision of the article at this URL: 1, 2, … (its text changed in substance)"
        ),
    )
    previous_id: str | None = field(
        default=None, metadata=meta("string", "id of the previous revision (null for revision 1)")
    )
    words_added: int | None = field(
        default=None, metadata=meta("int32", "words added since the previous revision")
    )
    words_removed: int | None = field(
        default=None, metadata=meta("int32", "words removed since the previous revision")
    )
    warc: WarcRef | None = field(default=None, metadata={"nested": WarcRef})
    extractor: str | None = field(default=None, metadata=meta("string", "extractor and version"))

    def to_json(self) -> dict[str, Any]:
        """The JSONL line's object, keys in field order (tuples as lists)."""
        return _to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArticleRecord:
        """A record from a stored line; keys it does not know are ignored, missing ones default."""
        return _from_json(cls, data)


def _to_json(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            value = _to_json(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _from_json(cls: Any, data: dict[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        nested = f.metadata.get("nested")
        if nested is not None and isinstance(value, dict):
            value = _from_json(nested, value)
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    for f in dataclasses.fields(cls):  # required fields absent from an old or partial line
        if f.name not in values and f.default is dataclasses.MISSING:
            values[f.name] = None
    return cls(**values)


def _columns(cls: Any, prefix: tuple[str, ...] = ()) -> list[Column]:
    out: list[Column] = []
    for f in dataclasses.fields(cls):
        path = (*prefix, f.name)
        nested = f.metadata.get("nested")
        if nested is not None:
            out += _columns(nested, path)
            continue
        out.append(Column("_".join(path), path, f.metadata["kind"], f.metadata["doc"]))
        out += [Column(name, path, kind, doc) for name, kind, doc in f.metadata["also"]]
    return out


COLUMNS: tuple[Column, ...] = tuple(_columns(ArticleRecord))
"""The flat columns of an export, in order (CSV header, Parquet schema)."""


def lookup(article: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` in a stored article's JSON (None when absent)."""
    value: Any = article
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def column(name: str) -> Column:
    """The column called ``name`` (KeyError if there is none)."""
    for col in COLUMNS:
        if col.name == name:
            return col
    raise KeyError(name)
