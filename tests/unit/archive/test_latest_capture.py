"""One row per article: the API, the export and search show each article (an event's URL) once,
its latest capture; ``all_captures`` shows every capture; ``unique`` keeps original texts. The
API's rows are the export's flat, typed rows (one schema: archive/articles/export.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from archive import open_archive
from archive.access.api import Archive
from archive.articles.export import EXPORT_SCHEMA, flat_row, format_of, write_export
from archive.articles.record import ArticleRecord, Dup, WarcRef
from archive.articles.search import ArticleSource, SearchIndex
from archive.articles.sets import is_unique, latest_captures, read_articles
from archive.articles.store import ArticleStore
from archive.errors import NotInArchive

EVENT = "ev"
URL = "https://news.example.com/talks"


def article(
    n: int,
    *,
    url: str = URL,
    crawl: str = "20250401T000000Z",
    fetched: str = "2025-04-01T10:00:00Z",
    revision: int = 1,
    kind: str = "unique",
    text: str = "Lavrov met Wang Yi in Moscow.",
    date: str | None = "2025-04-01T09:30:00Z",
) -> dict[str, Any]:
    rid = f"<urn:uuid:{n:08d}-0000-0000-0000-000000000000>"
    return ArticleRecord(
        id=hashlib.sha256(rid.encode()).hexdigest()[:16],
        url=url,
        title=f"capture {n}",
        date=date,
        text=f"{text} (capture {n})",
        fetched_at=fetched,
        crawl_id=crawl,
        event=EVENT,
        revision=revision,
        dup=Dup(kind=kind, of=None if kind == "unique" else "x", score=0.0),
        warc=WarcRef(filename="a.warc.gz", offset=n, length=1, record_id=rid, payload_digest=None),
    ).to_json()


def archive_of(tmp_path: Path, crawls: dict[str, list[dict[str, Any]]]) -> Archive:
    for crawl_id, records in crawls.items():
        store = ArticleStore(tmp_path / EVENT, crawl_id)
        for r in records:
            store.add(r, canonical_text=None)
        store.close()
    (tmp_path / EVENT / "warc").mkdir(exist_ok=True)
    return open_archive(tmp_path)


FIRST, SECOND = "20250401T000000Z", "20250402T000000Z"
OTHER = "https://news.example.com/other"


def two_crawls() -> dict[str, list[dict[str, Any]]]:
    """A URL captured by two crawls (revision 2 the second time), another URL only by the
    first, and a copy of another article (an AMP variant: dup kind url)."""
    return {
        FIRST: [
            article(1, crawl=FIRST),
            article(2, url=OTHER, crawl=FIRST),
            article(3, url=URL + "?amp", crawl=FIRST, kind="url"),
        ],
        SECOND: [
            article(4, crawl=SECOND, fetched="2025-04-02T10:00:00Z", revision=2, kind="revision")
        ],
    }


def titles(rows: Any) -> list[str]:
    return sorted(r["title"] for r in rows)


def test_each_article_once_its_latest_capture(tmp_path: Path) -> None:
    a = archive_of(tmp_path, two_crawls())
    assert titles(a.stored_articles()) == ["capture 2", "capture 3", "capture 4"]
    assert titles(a.articles(EVENT)) == ["capture 2", "capture 3", "capture 4"]
    every = ["capture 1", "capture 2", "capture 3", "capture 4"]
    assert titles(a.stored_articles(all_captures=True)) == every
    assert titles(a.articles(all_captures=True)) == every
    # --unique-only: original texts (unique, revision); the AMP copy of another article is out
    assert titles(a.articles(unique=True)) == ["capture 2", "capture 4"]
    # one crawl only: its own latest captures
    assert titles(a.articles(crawl=FIRST)) == ["capture 1", "capture 2", "capture 3"]


def test_unique_keeps_an_original_article_recaptured_as_a_url_duplicate(tmp_path: Path) -> None:
    # a re-crawl that did not track revisions (or a re-extraction): the URL's second capture is
    # judged a `url` duplicate of its first; the article is still an original text
    crawls = {
        FIRST: [article(1, crawl=FIRST), article(2, url=OTHER, crawl=FIRST, kind="exact")],
        SECOND: [
            article(3, crawl=SECOND, fetched="2025-04-02T10:00:00Z", kind="url"),
            article(4, url=OTHER, crawl=SECOND, fetched="2025-04-02T10:00:00Z", kind="url"),
        ],
    }
    a = archive_of(tmp_path, crawls)
    assert titles(a.articles()) == ["capture 3", "capture 4"]
    assert titles(a.articles(unique=True)) == ["capture 3"]  # the copy stays out
    assert titles(a.articles(unique=True, all_captures=True)) == ["capture 1", "capture 3"]
    files = sorted((tmp_path / EVENT / "articles").glob("*.jsonl"))
    with SearchIndex(tmp_path / "s.sqlite") as ix:
        ix.sync([source(f) for f in files])
        assert titles(h.__dict__ for h in ix.search("Lavrov", unique_only=True)) == ["capture 3"]
        hits = ix.search("Lavrov", unique_only=True, all_captures=True)
        assert titles(h.__dict__ for h in hits) == ["capture 1", "capture 3"]


def test_within_one_crawl_the_later_fetch_wins(tmp_path: Path) -> None:
    late = article(2, fetched="2025-04-01T12:00:00Z", revision=2, kind="revision")
    early = article(1, fetched="2025-04-01T10:00:00Z")
    a = archive_of(tmp_path, {FIRST: [late, early]})  # stored out of order: the time decides
    assert titles(a.articles()) == ["capture 2"]


def test_a_re_extraction_replaces_the_same_capture() -> None:
    old = article(1)
    new = {**article(1), "title": "re-extracted"}
    assert titles(latest_captures([[new], [old]])) == ["re-extracted"]
    assert titles(latest_captures([[new], [old]], all_captures=True)) == ["re-extracted"]


def test_unique_means_an_original_text() -> None:
    kinds = ["unique", "revision", "url", "exact", "near", "rewrite"]
    assert [is_unique(article(1, kind=k)) for k in kinds] == [True, True] + [False] * 4
    assert is_unique({"id": "no-verdict"})


def test_api_rows_are_the_exports_typed_rows(tmp_path: Path) -> None:
    a = archive_of(tmp_path, two_crawls())
    rows = list(a.articles())
    assert all(row == flat_row(s) for row, s in zip(rows, a.stored_articles(), strict=True))
    assert all(not isinstance(v, dict) for row in rows for v in row.values())  # flat
    assert isinstance(rows[0]["fetched_at"], dt.datetime) and rows[0]["fetched_at"].tzinfo
    assert isinstance(rows[0]["published"], dt.date)
    out = io.BytesIO()
    write_export(a.stored_articles(), "parquet", out)
    exported = pq.read_table(io.BytesIO(out.getvalue()))
    table = a.to_arrow()
    assert table.schema.equals(EXPORT_SCHEMA) and exported.schema.equals(table.schema)
    assert table.to_pylist() == exported.to_pylist() == rows


def test_to_pandas_has_the_exports_dtypes_and_dates_parse(tmp_path: Path) -> None:
    # mixed stored date forms (day, UTC, no zone): the typed columns still parse
    crawls = {
        FIRST: [
            article(1, date="2025-04-01"),
            article(2, url=OTHER, date="2025-04-01T09:30:00"),
            article(3, url=OTHER + "3", date="2025-03-31T22:00:00+02:00"),
        ]
    }
    a = archive_of(tmp_path, crawls)
    df = a.to_pandas()
    target = tmp_path / "a.parquet"
    with target.open("wb") as fh:
        write_export(a.stored_articles(), "parquet", fh)
    exported = pd.read_parquet(target)
    assert list(df.columns) == list(exported.columns)
    assert dict(df.dtypes) == dict(exported.dtypes)
    for frame in (df, pd.DataFrame(a.articles()), exported):
        fetched = pd.to_datetime(frame["fetched_at"], utc=True)
        assert fetched.notna().all()
        published = pd.to_datetime(frame["published"])
        assert sorted(published.dt.strftime("%Y-%m-%d")) == [
            "2025-03-31",
            "2025-04-01",
            "2025-04-01",
        ]


def source(path: Path) -> ArticleSource:
    from archive.storage.local import LocalStorage

    data = path.read_bytes()
    key = path.name
    storage = LocalStorage(path.parent)
    return ArticleSource(str(path), f"{len(data)}", lambda: read_articles(storage, key))


def test_search_shows_each_article_once_and_counts_all(tmp_path: Path) -> None:
    archive_of(tmp_path, two_crawls())
    files = sorted((tmp_path / EVENT / "articles").glob("*.jsonl"))
    with SearchIndex(tmp_path / "s.sqlite") as ix:
        ix.sync([source(f) for f in files])
        assert titles(h.__dict__ for h in ix.search("Lavrov")) == [
            "capture 2",
            "capture 3",
            "capture 4",
        ]
        assert ix.matches("Lavrov") == 3 and ix.matches("Lavrov", all_captures=True) == 4
        assert len(ix.search("Lavrov", all_captures=True)) == 4
        unique = ix.search("Lavrov", unique_only=True)
        assert titles(h.__dict__ for h in unique) == ["capture 2", "capture 4"]
        assert ix.matches("Lavrov", unique_only=True) == 2
        assert len(ix.search("Lavrov", limit=1)) == 1  # the cut the CLI reports as "1 of 3"
        # the older crawl's capture matches a word the latest one no longer has
        assert ix.matches('"capture 1"') == 0 and ix.matches('"capture 1"', all_captures=True)


def test_the_only_event_is_the_default(tmp_path: Path) -> None:
    a = archive_of(tmp_path, two_crawls())
    assert a.event() == EVENT == a.event(EVENT)
    with pytest.raises(NotInArchive):
        a.event("nope")
    (tmp_path / "ev2" / "warc").mkdir(parents=True)
    with pytest.raises(ValueError, match="2 events"):
        a.event()


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.parquet", "parquet"),
        ("dir.d/A.CSV", "csv"),
        ("x.jsonl", "jsonl"),
        ("x.json", None),
        ("parquet", None),
        ("x.parquet.gz", None),
    ],
)
def test_format_of_the_output_name(name: str, fmt: str | None) -> None:
    assert format_of(name) == fmt
