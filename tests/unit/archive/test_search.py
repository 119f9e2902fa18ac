"""Full-text search (archive/articles/search.py): query language, ranking, filters, incremental
sync."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.articles.record import article_id
from archive.articles.search import ArticleSource, SearchError, SearchIndex, compile_query
from archive.articles.store import ArticleStore, read_articles
from archive.warc.records import RecordLocation
from pipelines.analysis.item import ArticleItem
from pipelines.dedup.index import DedupVerdict
from pipelines.extract.article import Article
from pipelines.relevance.scorer import Relevance

FILLER = "The delegation discussed trade, energy and regional security over two days. "


def record(
    n: int,
    title: str,
    text: str,
    *,
    url: str | None = None,
    date: str | None = "2025-04-01",
    sitename: str | None = "Example News",
    language: str = "en",
    event: str = "demo-event",
    kind: str = "unique",
    of: str | None = None,
    crawl_id: str = "crawl-1",
) -> dict[str, Any]:
    """One article exactly as the store pipeline builds it (``ArticleItem.record``)."""
    url = url or f"https://www.example.com/news/{n}"
    record_id = f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"
    article = Article(
        url=url,
        text=text,
        title=title,
        authors=("Ann Author",),
        date=date,
        date_source="meta",
        sitename=sitename,
        language=language,
        canonical_url=url,
        word_count=len(text.split()),
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        extractor="trafilatura 2.3.1",
    )
    item = ArticleItem(
        id=article_id(record_id),
        url=url,
        fetched_at="2025-04-02T08:00:00.123456Z",
        warc=RecordLocation("a.warc.gz", 100 * n, 99, record_id, "sha1:ABC").as_dict(),
        article=article,
        signatures=None,
        relevance=Relevance(0.9, True, "on-event"),
        verdict=DedupVerdict(kind, of, 1.0 if of else 0.0, "story-1"),  # type: ignore[arg-type]
    )
    return item.record(crawl_id, event).to_json()


def stored(tmp_path: Path, crawl_id: str, records: list[dict[str, Any]]) -> Path:
    """Write ``records`` with the real ArticleStore; the path of ``articles/<crawl>.jsonl``."""
    store = ArticleStore(tmp_path / "event", crawl_id)
    for r in records:
        store.add(r, canonical_text=None)
    store.close()
    return store.articles_path


def source(path: Path) -> ArticleSource:
    data = path.read_bytes()
    fingerprint = f"{len(data)}:{hashlib.sha256(data).hexdigest()}"
    return ArticleSource(str(path), fingerprint, lambda: read_articles(path))


CORPUS = [
    # 0: the word only in the body, 1: only in the title
    record(
        0, "Ministers meet in Moscow", FILLER * 2 + "Later Lavrov spoke to reporters. " + FILLER * 2
    ),
    record(1, "Lavrov welcomes Wang Yi", FILLER * 2),
    record(2, "Trade talks resume", "The foreign minister said talks would resume soon."),
    record(3, "Minister abroad", "Talks with the foreign ministry resume. The minister said no."),
    record(4, "Energy deal", "Gazprom and CNPC sign a gas contract.", language="fr"),
    record(5, "Сергей Лавров в Пекине", "Министр иностранных дел прибыл в Пекин.", language="ru"),
    record(6, "Wire copy", "Lavrov and Wang Yi met. Wire copy text.", kind="exact", of="x"),
    record(7, "Lavróv en Pekín", "El canciller Lavróv llegó a Pekín.", language="es"),
]


@pytest.fixture()
def index(tmp_path: Path) -> Iterator[SearchIndex]:
    with SearchIndex(tmp_path / "search.sqlite") as ix:
        ix.sync([source(stored(tmp_path, "crawl-1", CORPUS))])
        yield ix


def titles(hits: list[Any]) -> list[str]:
    return [h.title for h in hits]


def test_title_hit_ranks_above_body_hit(index: SearchIndex) -> None:
    hits = index.search("lavrov", lang="en")
    assert titles(hits) == ["Lavrov welcomes Wang Yi", "Wire copy", "Ministers meet in Moscow"]
    assert hits[0].score > hits[1].score > hits[2].score > 0


def test_hit_fields_and_snippet(index: SearchIndex) -> None:
    (hit,) = index.search("reporters")
    assert hit.id == CORPUS[0]["id"]
    assert (hit.title, hit.sitename, hit.site) == (
        "Ministers meet in Moscow",
        "Example News",
        "www.example.com",
    )
    assert (hit.date, hit.url, hit.event, hit.dup_kind) == (
        "2025-04-01",
        "https://www.example.com/news/0",
        "demo-event",
        "unique",
    )
    assert "[reporters]" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")  # cut out of a longer text
    assert len(hit.snippet.split()) <= 24 + 2


def test_all_words_must_match(index: SearchIndex) -> None:
    assert titles(index.search("lavrov wang", lang="en")) == [
        "Lavrov welcomes Wang Yi",
        "Wire copy",
    ]
    assert index.search("lavrov gazprom") == []
    assert titles(index.search("lavrov AND reporters")) == ["Ministers meet in Moscow"]


def test_phrase(index: SearchIndex) -> None:
    assert titles(index.search('"foreign minister"')) == ["Trade talks resume"]
    assert len(index.search("foreign minister")) == 2  # both words, not adjacent in one
    assert titles(index.search('"foreign minister')) == ["Trade talks resume"]  # unterminated


def test_or(index: SearchIndex) -> None:
    assert sorted(titles(index.search("gazprom OR reporters"))) == [
        "Energy deal",
        "Ministers meet in Moscow",
    ]
    # a b OR c: a AND (b OR c)
    assert sorted(titles(index.search("talks resume OR gazprom"))) == [
        "Minister abroad",
        "Trade talks resume",
    ]
    assert titles(index.search("talks gazprom OR reporters")) == []


def test_exclusion(index: SearchIndex) -> None:
    assert titles(index.search("lavrov -wire", lang="en")) == [
        "Lavrov welcomes Wang Yi",
        "Ministers meet in Moscow",
    ]
    assert titles(index.search('lavrov -"wire copy" -reporters', lang="en")) == [
        "Lavrov welcomes Wang Yi"
    ]
    assert titles(index.search("lavrov NOT reporters NOT wire", lang="en")) == [
        "Lavrov welcomes Wang Yi"
    ]


def test_prefix(index: SearchIndex) -> None:
    assert titles(index.search("ministr*")) == ["Minister abroad"]  # ministry, not minister
    assert sorted(titles(index.search("minist*"))) == [
        "Minister abroad",
        "Ministers meet in Moscow",
        "Trade talks resume",
    ]
    assert titles(index.search("gazp*")) == ["Energy deal"]
    assert sorted(titles(index.search('"foreign minis"*'))) == [
        "Minister abroad",
        "Trade talks resume",
    ]
    assert titles(index.search('"foreign minister"*')) == ["Trade talks resume"]
    assert index.search("gazp") == []  # no star, no prefix match


def test_diacritics_and_case_are_ignored(index: SearchIndex) -> None:
    spanish = ["Lavróv en Pekín"]
    assert titles(index.search("lavrov", lang="es")) == spanish
    assert titles(index.search("LAVRÓV", lang="es")) == spanish
    assert titles(index.search("Lavróv wang", lang="en")) == [
        "Lavrov welcomes Wang Yi",
        "Wire copy",
    ]
    assert titles(index.search("pekin")) == spanish
    assert titles(index.search("лавров")) == ["Сергей Лавров в Пекине"]


def test_filters(tmp_path: Path) -> None:
    corpus = [
        record(0, "Summit a", "summit", date="2025-03-31T23:59:59Z", url="https://example.com/a"),
        record(1, "Summit b", "summit", date="2025-04-01", url="https://news.example.com/b"),
        record(2, "Summit c", "summit", date="2025-04-03T10:00:00", url="https://notexample.com/c"),
        record(3, "Summit d", "summit", date=None, url="https://other.org/d", sitename="Daily X"),
        record(4, "Summit e", "summit", language="de", event="other-event"),
    ]
    with SearchIndex(tmp_path / "i.sqlite") as ix:
        ix.sync([source(stored(tmp_path, "c", corpus))])

        def found(**filters: Any) -> list[str]:
            return sorted(t[-1] for t in titles(ix.search("summit", **filters)))

        assert found() == ["a", "b", "c", "d", "e"]
        assert found(since="2025-04-01") == ["b", "c", "e"]
        assert found(until="2025-04-01") == ["a", "b", "e"]
        assert found(since="2025-04-01", until="2025-04-01") == ["b", "e"]
        assert found(since="2025-04-02", until="2025-04-03") == ["c"]
        assert found(site="example.com") == ["a", "b", "e"]  # host and subdomains, not notexample
        assert found(site="www.example.com") == ["a", "b", "e"]
        assert found(site="news.example.com") == ["b"]
        assert found(site="https://NEWS.example.com/x") == ["b"]
        assert found(site="daily x") == ["d"]  # the sitename, any case
        assert found(site="ample.com") == []
        assert found(lang="DE") == ["e"]
        assert found(event="other-event") == ["e"]
        assert found(event="demo-event", lang="en", site="example.com") == ["a", "b"]


def test_unique_only(index: SearchIndex) -> None:
    assert "Wire copy" in titles(index.search("lavrov"))
    unique = index.search("lavrov", unique_only=True)
    assert "Wire copy" not in titles(unique)
    assert {h.dup_kind for h in unique} == {"unique"}
    assert len(unique) == len(index.search("lavrov")) - 1


def test_limit(index: SearchIndex) -> None:
    assert len(index.search("lavrov", limit=2)) == 2
    assert titles(index.search("lavrov", limit=1, lang="en")) == ["Lavrov welcomes Wang Yi"]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"since": "yesterday"}, "since must be a date"),
        ({"until": "2025-02-30"}, "until is not a valid date"),
        ({"since": "2025-04-02", "until": "2025-04-01"}, "after until"),
        ({"limit": 0}, "limit must be at least 1"),
    ],
)
def test_bad_filters(index: SearchIndex, filters: dict[str, Any], message: str) -> None:
    with pytest.raises(SearchError, match=message):
        index.search("lavrov", **filters)


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        ("lavrov wang", '("lavrov" AND "wang")'),
        ("a b OR c d", '("a" AND ("b" OR "c") AND "d")'),
        ('"foreign minister" -wire*', '("foreign minister") NOT "wire" *'),
        ("NEAR(a b)", '("NEAR(a" AND "b)")'),
        ('title:x "a""', '("title:x" AND "a")'),
        ("x OR -y OR z", '("x" AND "z") NOT "y"'),
    ],
)
def test_compile_query(query: str, expression: str) -> None:
    assert compile_query(query) == expression


@pytest.mark.parametrize(
    "query", ["", "   ", "AND", "OR NOT", "*", '"', '""', "-", "-lavrov", "( )"]
)
def test_nothing_to_search(index: SearchIndex, query: str) -> None:
    with pytest.raises(SearchError, match="cannot search"):
        index.search(query)


HOSTILE = [
    '"',
    '"lavrov',
    'lavrov"',
    'la"vrov',
    "AND",
    "lavrov AND",
    "AND lavrov",
    "lavrov OR",
    "lavrov NOT",
    "NEAR(",
    "NEAR(lavrov wang, 2)",
    "*",
    "*lavrov",
    "lav*rov",
    "col:",
    "title:lavrov",
    "{title text}: lavrov",
    "^lavrov",
    "lavrov + wang",
    "(lavrov",
    "lavrov)",
    "'; DROP TABLE articles; --",
    "lavrov' OR '1'='1",
    "') OR 1=1 --",
    "lavrov\x00wang",
    "--lavrov",
    "lavrov -",
    "💥 lavrov",
    "lavrov " * 200,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_reach_sqlite_as_syntax(index: SearchIndex, query: str) -> None:
    before = index.count()
    try:
        hits = index.search(query)
    except SearchError as exc:
        assert "cannot search" in str(exc)  # refused by the parser, not failed in SQLite
    except sqlite3.Error as exc:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"{query!r} reached SQLite as syntax: {exc!r}")
    else:
        assert isinstance(hits, list)
    assert index.count() == before


def test_hostile_words_are_searched_as_text(index: SearchIndex) -> None:
    assert titles(index.search("NEAR(lavrov reporters")) == []  # "near" is just a word here
    assert titles(index.search("title:reporters")) == []  # a phrase "title reporters"
    assert titles(index.search("(reporters)")) == ["Ministers meet in Moscow"]
    assert titles(index.search("lavrov AND")) == titles(index.search("lavrov"))
    assert titles(index.search("lavrov\x00wang")) == titles(index.search("lavrov wang"))
    assert sorted(titles(index.search("gazprom' OR 'reporters"))) == [
        "Energy deal",
        "Ministers meet in Moscow",
    ]


def test_sync_is_incremental(tmp_path: Path) -> None:
    first = stored(tmp_path, "crawl-1", CORPUS[:3])
    second = stored(tmp_path, "crawl-2", [record(10, "Beijing visit", "Wang Yi in Beijing.")])
    path = tmp_path / "search.sqlite"
    with SearchIndex(path) as ix:
        result = ix.sync([source(first), source(second)])
        assert (result.added, result.updated, result.removed, result.unchanged) == (2, 0, 0, 0)
        assert result.articles == 4 == ix.count()

    def must_not_load() -> list[dict[str, Any]]:
        raise AssertionError("an unchanged source was loaded")

    unchanged = ArticleSource(str(first), source(first).fingerprint, must_not_load)
    # crawl-2 changes: one article replaced by another
    second.write_text("")
    second = stored(tmp_path, "crawl-2", [record(11, "Shanghai visit", "Wang Yi in Shanghai.")])
    with SearchIndex(path) as ix:  # the index persists across opens
        result = ix.sync([unchanged, source(second)])
        assert (result.added, result.updated, result.removed, result.unchanged) == (0, 1, 0, 1)
        assert result.articles == 1
        assert ix.count() == 4
        assert ix.search("beijing") == []
        assert titles(ix.search("shanghai")) == ["Shanghai visit"]
        assert titles(ix.search('"foreign minister"')) == ["Trade talks resume"]

        result = ix.sync([source(second)])  # crawl-1 is gone
        assert (result.added, result.updated, result.removed, result.unchanged) == (0, 0, 1, 1)
        assert result.articles == 0
        assert ix.count() == 1
        assert ix.search('"foreign minister"') == []
        assert ix.search("lavrov") == []  # nothing left in the full-text index either
        assert titles(ix.search("shanghai")) == ["Shanghai visit"]
    assert_consistent(path)


def assert_consistent(path: Path) -> None:
    """FTS5's own check that the full-text index matches the stored rows."""
    db = sqlite3.connect(path)
    try:
        db.execute("INSERT INTO fts (fts, rank) VALUES ('integrity-check', 1)")  # 1: and content
    finally:
        db.close()


def test_failed_load_keeps_the_old_rows_and_retries(tmp_path: Path) -> None:
    path = stored(tmp_path, "crawl-1", CORPUS[:2])
    with SearchIndex(tmp_path / "search.sqlite") as ix:
        ix.sync([source(path)])

        def broken() -> Iterator[dict[str, Any]]:
            yield record(20, "Half written", "half")
            raise OSError("connection reset")

        with pytest.raises(OSError, match="connection reset"):
            ix.sync([ArticleSource(str(path), "changed", broken)])
        assert ix.count() == 2  # the transaction was rolled back
        assert ix.search("half") == []
        assert titles(ix.search("wang")) == ["Lavrov welcomes Wang Yi"]
        result = ix.sync([ArticleSource(str(path), "changed", lambda: [record(21, "New", "x")])])
        assert (result.updated, result.articles) == (1, 1)  # not taken as already indexed
        assert titles(ix.search("new")) == ["New"]
    assert_consistent(tmp_path / "search.sqlite")


def test_index_of_another_layout_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "search.sqlite"
    with SearchIndex(path) as ix:
        ix.sync([source(stored(tmp_path, "crawl-1", CORPUS))])
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 999")
    db.close()
    with SearchIndex(path) as ix:
        assert ix.count() == 0
        assert ix.sync([source(stored(tmp_path, "crawl-1", []))]).added == 1
