"""Discovery parsers: feeds, sitemaps (+ robots), GDELT, links. Fixtures in tests/data/discovery."""

from __future__ import annotations

import gzip
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.discovery.feeds import parse_feed
from crawler.discovery.gdelt import gdelt_query_url, parse_gdelt, parse_seendate
from crawler.discovery.links import date_in_url, date_span_in_url, link_priority, url_words
from crawler.discovery.sitemaps import (
    MAX_SITEMAP_SIZE,
    SitemapEntry,
    parse_sitemap,
    parse_w3c_datetime,
    sitemaps_from_robots,
)
from pipelines.extract.links import Link, canonical_url, extract_links
from tests.support import TEST_DATA

DATA = TEST_DATA / "discovery"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


class _Recorder(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        body = b"<!ENTITY leaked 'LEAKED-OVER-HTTP'>" if self.path.endswith(".dtd") else b"LEAKED"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A local server that records every request; parsers must never reach it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.paths = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server.paths  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- feeds -----------------------------------------------------------------------------------


def test_rss20_links_dates_and_skips() -> None:
    result = parse_feed(data("rss20.xml"), "https://news.example.com/feeds/world.xml")
    assert result.error is None
    assert result.version == "rss20"
    assert [e.url for e in result.entries] == [
        "https://news.example.com/world/2025/04/01/putin-wang-yi-moscow-talks.html",
        "https://news.example.com/world/lavrov-wang",
        "https://news.example.com/world/guid-is-the-link",
        "https://news.example.com/feeds/relative/no-date",
    ]
    assert result.skipped == 2  # opaque guid, no link at all
    first, second, third, fourth = result.entries
    assert first.title == "Putin hosts Wang Yi for talks in Moscow"
    assert first.published == utc(2025, 4, 1, 12, 30)  # RFC 822 with +0200
    assert first.published is not None and first.published.tzinfo is UTC
    assert first.summary == "The allies discussed the war in Ukraine & bilateral ties."
    assert second.published == utc(2025, 4, 2, 9, 0)  # GMT
    assert third.published == utc(2025, 4, 2, 13, 0)  # EST
    assert fourth.published is None and fourth.updated is None and fourth.date is None
    assert first.updated is None  # not invented from pubDate


def test_rss10_rdf_with_dc_date() -> None:
    result = parse_feed(data("rss10.rdf"), "https://zeitung.example.de/rss")
    assert result.error is None and result.version == "rss10"
    [entry] = result.entries
    assert entry.url == "https://zeitung.example.de/politik/treffen-in-moskau"
    assert entry.title == "Treffen in Moskau: Außenminister Wang bei Putin"
    assert entry.summary == "Gespräche über die Ukraine."
    assert entry.published is None
    assert entry.updated == utc(2025, 4, 1, 14, 5)  # ISO 8601 with +02:00
    assert entry.date == entry.updated


def test_atom_xml_base_iso_dates_and_html_title() -> None:
    result = parse_feed(data("atom.xml"), "https://analysis.example.org/feeds/atom.xml")
    assert result.error is None and result.version == "atom10"
    assert [e.url for e in result.entries] == [
        "https://analysis.example.org/blog/posts/china-russia-friends",  # xml:base + relative
        "https://other.example.net/story?id=7",
    ]
    assert result.skipped == 1  # only an enclosure link
    first, second = result.entries
    assert first.title == "China & Russia: friends forever"
    assert first.published == utc(2025, 4, 1, 15, 0)
    assert first.updated == utc(2025, 4, 2, 8, 15, 30)
    assert first.summary == "A look at the strategic partnership."
    assert second.published is None and second.updated == utc(2025, 4, 3)
    assert second.date == second.updated


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "empty"),
        (b"  \n ", "empty"),
        (DATA.joinpath("not_a_feed.html").read_bytes(), "not-feed"),
        (b'{"articles": []}', "not-feed"),
        (b"<urlset><url><loc>https://a.example/</loc></url></urlset>", "not-feed"),
    ],
)
def test_not_a_feed_gives_error_code(body: bytes, code: str) -> None:
    result = parse_feed(body, "https://news.example.com/feed")
    assert result.entries == []
    assert result.error is not None and result.error.split(":")[0] == code


def test_truncated_feed_keeps_recovered_entries() -> None:
    body = data("rss20.xml")
    result = parse_feed(body[: body.index(b"<pubDate>Wed")], "https://news.example.com/rss")
    assert result.error is not None and result.error.startswith("malformed:")
    assert [e.url for e in result.entries] == [
        "https://news.example.com/world/2025/04/01/putin-wang-yi-moscow-talks.html",
        "https://news.example.com/world/lavrov-wang",
    ]


def test_feed_parser_never_fetches_or_reads_files(
    http_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, requests = http_server
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-FEED")
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "{base}/feed.dtd" [
  <!ENTITY file SYSTEM "{secret.as_uri()}">
  <!ENTITY remote SYSTEM "{base}/entity">
]>
<rss version="2.0"><channel><title>t</title>
<item><title>A &file; B &remote;</title><link>{base}/story</link>
<description>&file;</description></item></channel></rss>""".encode()
    result = parse_feed(body, f"{base}/feed.xml")  # the feed URL itself is never fetched either
    assert requests == []
    assert [e.url for e in result.entries] == [f"{base}/story"]
    text = " ".join(e.title + e.summary for e in result.entries)
    assert "TOP-SECRET" not in text and "LEAKED" not in text


# --- sitemaps --------------------------------------------------------------------------------


def test_sitemap_index() -> None:
    result = parse_sitemap(data("sitemap_index.xml"), "https://news.example.com/sitemap.xml")
    assert result.kind == "sitemapindex" and result.error is None
    assert result.entries == [
        SitemapEntry("https://news.example.com/sitemaps/news.xml", utc(2025, 4, 1, 8, 15)),
        SitemapEntry("https://news.example.com/sitemaps/2025-03.xml.gz", utc(2025, 3, 31)),
        SitemapEntry("https://news.example.com/sitemaps/relative.xml", None),
    ]
    assert result.skipped == 1  # a <sitemap> without <loc>


NEWS_FIRST = SitemapEntry(
    loc="https://news.example.com/world/2025/04/01/putin-wang-yi-moscow",
    lastmod=utc(2025, 4, 1, 14, 45),
    news_publication_date=utc(2025, 4, 1, 12, 30),
    news_title="Putin hosts Chinese Foreign Minister Wang for talks & dinner",
    news_keywords=("Russia", "China", "Ukraine war", "Diplomacy"),
    news_language="en",
    news_publication_name="Example Daily",
)


def test_news_sitemap_all_fields() -> None:
    result = parse_sitemap(data("sitemap_news.xml"), "https://news.example.com/news.xml")
    assert result.kind == "urlset" and result.error is None and result.skipped == 0
    first, second, third = result.entries
    assert first == NEWS_FIRST  # the image:loc inside <url> is not taken for the page
    assert second.news_title == 'Lavrov & Wang: "new milestones"'
    assert second.news_publication_date == utc(2025, 4, 2)
    assert second.news_keywords == () and second.news_language == "zh-cn"
    assert third == SitemapEntry("https://news.example.com/world/plain-page")  # bad lastmod


def test_gzipped_sitemap_by_magic_bytes_and_already_decoded() -> None:
    plain = data("sitemap_news.xml")
    expected = parse_sitemap(plain, "https://news.example.com/news.xml.gz")
    compressed = gzip.compress(plain, mtime=0)
    # Served as application/gzip: still compressed. With Content-Encoding: gzip Scrapy has
    # already decoded it, so the same URL arrives as plain XML: both must parse the same.
    assert parse_sitemap(compressed, "https://news.example.com/news.xml.gz") == expected
    assert expected.entries[0] == NEWS_FIRST


def test_multi_member_gzip_is_read_whole() -> None:
    plain = data("sitemap_index.xml")
    half = len(plain) // 2
    body = gzip.compress(plain[:half], mtime=0) + gzip.compress(plain[half:], mtime=0)
    result = parse_sitemap(body, "https://news.example.com/sitemap.xml")
    assert result == parse_sitemap(plain, "https://news.example.com/sitemap.xml")


def test_truncated_and_corrupt_gzip() -> None:
    compressed = gzip.compress(data("sitemap_index.xml"), mtime=0)
    truncated = parse_sitemap(compressed[: len(compressed) - 60], "https://n.example/s.xml.gz")
    assert truncated.error is not None and truncated.error.startswith("truncated:")
    corrupt = parse_sitemap(b"\x1f\x8b" + b"not deflate at all" * 4, "https://n.example/s.gz")
    assert corrupt.kind == "invalid" and corrupt.entries == []
    assert corrupt.error is not None and corrupt.error.startswith("gzip-corrupt:")


def test_gzip_bomb_refused() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * MAX_SITEMAP_SIZE + b"</urlset>", mtime=0)
    assert len(bomb) < 200_000  # small on the wire, over 50 MB inflated
    result = parse_sitemap(bomb, "https://evil.example/sitemap.xml.gz")
    assert result.kind == "invalid" and result.entries == []
    assert result.error is not None and result.error.startswith("too-large:")


def test_gzip_bomb_is_never_inflated_whole() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), mtime=0)
    tracemalloc.start()
    try:
        result = parse_sitemap(bomb, "https://evil.example/s.xml.gz", max_size=1024 * 1024)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.kind == "invalid"
    assert peak < 8 * 1024 * 1024  # the bomb inflates to 64 MB; we stop after ~1 MB


def test_size_limit_is_exact_and_counts_every_gzip_member() -> None:
    xml = b"<urlset><url><loc>https://a.example/1</loc></url></urlset>"
    padded = xml + b" " * (1000 - len(xml))
    assert parse_sitemap(gzip.compress(padded), "https://a.example/s", max_size=1000).kind == (
        "urlset"
    )
    over = parse_sitemap(gzip.compress(padded + b" "), "https://a.example/s", max_size=1000)
    assert over.kind == "invalid"
    members = b"".join(gzip.compress(b" " * 400) for _ in range(3)) + gzip.compress(xml)
    assert parse_sitemap(members, "https://a.example/s", max_size=1000).kind == "invalid"
    assert parse_sitemap(padded + b" ", "https://a.example/s", max_size=1000).kind == "invalid"


def test_namespaceless_sitemap() -> None:
    result = parse_sitemap(data("sitemap_nonamespace.xml"), "https://blog.example.org/sm.xml")
    assert result.kind == "urlset" and result.error is None
    assert result.entries == [
        SitemapEntry(
            "https://blog.example.org/2025/04/moscow-visit", utc(2025, 4, 1, 14, 30, 15, 500000)
        ),
        SitemapEntry("https://blog.example.org/about"),
    ]
    assert result.skipped == 1  # ftp://


def test_malformed_sitemap_is_recovered() -> None:
    result = parse_sitemap(data("sitemap_malformed.xml"), "https://shop.example.com/s.xml")
    assert result.kind == "urlset"
    assert result.error is not None and result.error.startswith("malformed:")
    assert [e.loc for e in result.entries] == [
        "https://shop.example.com/search?q=wang&page=2",  # bare & kept, not eaten as an entity
        "https://shop.example.com/list?a=1&b=2",  # & inside CDATA left alone
        "https://shop.example.com/ok",
        "https://shop.example.com/after-error",
    ]


def test_truncated_sitemap_drops_the_cut_url() -> None:
    body = data("sitemap_truncated.xml")
    assert body.endswith(b"/a/thr")
    result = parse_sitemap(body, "https://news.example.com/s.xml")
    assert result.kind == "urlset"
    assert result.error is not None and result.error.startswith("truncated:")
    assert [e.loc for e in result.entries] == [
        "https://news.example.com/a/one",
        "https://news.example.com/a/two",
    ]
    cut_after_loc = body[: body.index(b"<url><loc>https://news.example.com/a/thr")]
    after = parse_sitemap(cut_after_loc, "https://news.example.com/s.xml")
    assert after.error == "truncated: no closing root tag" and len(after.entries) == 2


def test_xxe_entities_are_not_expanded(http_server: tuple[str, list[str]], tmp_path: Path) -> None:
    base, requests = http_server
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-SITEMAP")
    template = data("sitemap_xxe.xml").decode()
    body = template.replace("{HTTP_BASE}", base).replace("{SECRET_URL}", secret.as_uri())
    result = parse_sitemap(body.encode(), "https://site.example/sitemap.xml")
    assert requests == []
    assert result.kind == "urlset"
    assert [e.loc for e in result.entries] == [
        "https://site.example/",
        "https://site.example/r/",
        "https://site.example/l/",
    ]
    assert result.skipped == 1  # <loc>&file;</loc> is empty once the entity is dropped
    assert not any("SECRET" in e.loc or "LEAKED" in e.loc or "lol" in e.loc for e in result.entries)


def test_plain_text_sitemap() -> None:
    body = b"https://a.example/one\r\n\r\nhttps://a.example/two\n"
    result = parse_sitemap(body, "https://a.example/sitemap.txt")
    assert result.kind == "urlset"
    assert [e.loc for e in result.entries] == ["https://a.example/one", "https://a.example/two"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf  \n", "empty"),
        (b"User-agent: *\nDisallow: /\n", "not-sitemap"),
        (b"<html><body>Not found</body></html>", "not-sitemap"),
        (b"<rss version='2.0'><channel/></rss>", "not-sitemap"),
        (b"<<<>>>", "not-sitemap"),
    ],
)
def test_invalid_sitemaps(body: bytes, code: str) -> None:
    result = parse_sitemap(body, "https://a.example/sitemap.xml")
    assert result.kind == "invalid" and result.entries == []
    assert result.error is not None and result.error.split(":")[0] == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025", utc(2025, 1, 1)),
        ("2025-04", utc(2025, 4, 1)),
        ("2025-04-01", utc(2025, 4, 1)),
        ("2025-04-01T10:15Z", utc(2025, 4, 1, 10, 15)),
        ("2025-04-01T10:15+02:00", utc(2025, 4, 1, 8, 15)),
        ("2025-04-01T10:15:30Z", utc(2025, 4, 1, 10, 15, 30)),
        ("2025-04-01T10:15:30.45-05:00", utc(2025, 4, 1, 15, 15, 30, 450000)),
        ("2025-04-01T10:15:30+0530", utc(2025, 4, 1, 4, 45, 30)),
        ("2025-04-01 10:15:30", utc(2025, 4, 1, 10, 15, 30)),  # no zone: taken as UTC
        (" 2025-04-01t10:15:30z ", utc(2025, 4, 1, 10, 15, 30)),
        ("2025-02-30", None),
        ("01/04/2025", None),
        ("", None),
        ("2025-04-01T25:00Z", None),
    ],
)
def test_w3c_datetime(text: str, expected: datetime | None) -> None:
    assert parse_w3c_datetime(text) == expected


def test_sitemaps_from_robots() -> None:
    found = sitemaps_from_robots(data("robots.txt"), "https://news.example.com/robots.txt")
    assert found == [
        "https://news.example.com/sitemap_index.xml",
        "https://news.example.com/news-sitemap.xml",
        "https://news.example.com/relative-sitemap.xml",
    ]
    assert sitemaps_from_robots(b"", "https://a.example/robots.txt") == []


# --- GDELT -----------------------------------------------------------------------------------


def test_gdelt_query_url() -> None:
    url = gdelt_query_url('"wang yi" (moscow OR kremlin)', date(2025, 4, 1), date(2025, 4, 3))
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://api.gdeltproject.org/api/v2/doc/doc"
    )
    assert " " not in url and "+" not in url
    assert parse_qs(parts.query) == {
        "query": ['"wang yi" (moscow OR kremlin)'],
        "mode": ["ArtList"],
        "format": ["json"],
        "maxrecords": ["250"],
        "sort": ["DateDesc"],
        "startdatetime": ["20250401000000"],
        "enddatetime": ["20250403235959"],
    }


def test_gdelt_query_url_languages_and_options() -> None:
    one = gdelt_query_url("putin", date(2025, 4, 1), date(2025, 4, 1), languages=("eng",))
    assert parse_qs(urlsplit(one).query)["query"] == ["putin sourcelang:eng"]
    two = gdelt_query_url(
        "putin",
        date(2025, 4, 1),
        date(2025, 4, 1),
        endpoint="http://127.0.0.1:8080/doc",
        max_records=50,
        languages=("english", "french"),
    )
    query = parse_qs(urlsplit(two).query)
    assert two.startswith("http://127.0.0.1:8080/doc?")
    assert query["query"] == ["putin (sourcelang:english OR sourcelang:french)"]
    assert query["maxrecords"] == ["50"]
    assert query["enddatetime"] == ["20250401235959"]


@pytest.mark.parametrize(
    ("query", "start", "end", "max_records"),
    [
        ("  ", date(2025, 4, 1), date(2025, 4, 2), 250),
        ("putin", date(2025, 4, 2), date(2025, 4, 1), 250),
        ("putin", date(2025, 4, 1), date(2025, 4, 2), 251),
        ("putin", date(2025, 4, 1), date(2025, 4, 2), 0),
    ],
)
def test_gdelt_query_url_rejects_bad_arguments(
    query: str, start: date, end: date, max_records: int
) -> None:
    with pytest.raises(ValueError):
        gdelt_query_url(query, start, end, max_records=max_records)


def test_parse_gdelt_sample() -> None:
    result = parse_gdelt(data("gdelt_artlist.json"))
    assert result.error is None
    assert result.skipped == 2  # empty url, bad seendate
    first, second = result.articles
    assert first.url == "https://www.example-news.com/world/2025/04/01/putin-wang-talks.html"
    assert first.title == "Putin hosts Chinese Foreign Minister Wang for talks in Moscow"
    assert first.seendate == utc(2025, 4, 1, 15, 30)
    assert (first.domain, first.language, first.sourcecountry) == (
        "example-news.com",
        "English",
        "United States",
    )
    assert second.url == "https://www.ejemplo.es/internacional/wang-yi-moscu"
    assert second.language == "Spanish" and second.seendate == utc(2025, 4, 1, 12)


def test_parse_gdelt_tolerates_control_characters_and_bad_escapes() -> None:
    result = parse_gdelt(data("gdelt_sloppy.json"))
    assert result.error is None
    [article] = result.articles
    assert article.title == "Tab here and a stray \\' quote"
    assert article.seendate == utc(2025, 4, 2, 8)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "empty"),
        (b"\n  \n", "empty"),
        (b"{}", "no-articles"),
        (b'{"articles": []}', "no-articles"),
        (DATA.joinpath("gdelt_error.txt").read_bytes(), "not-json"),
        (b"Please limit requests to one every 5 seconds.", "not-json"),
        (b"<!DOCTYPE html><html><body>Error</body></html>", "not-json"),
        (b'{"articles": [{"url": "https://a.example/"', "bad-json"),
        (b"[1, 2]", "bad-shape"),
        (b'{"articles": "none"}', "bad-shape"),
    ],
)
def test_parse_gdelt_error_bodies(body: bytes, code: str) -> None:
    result = parse_gdelt(body)
    assert result.articles == []
    assert result.error is not None and result.error.split(":")[0] == code


def test_gdelt_error_message_is_quoted() -> None:
    result = parse_gdelt(data("gdelt_error.txt"))
    assert result.error == (
        "not-json: Your search contained a keyword that was either too short or too common."
        " Please revise your query and try again."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20250401T153000Z", utc(2025, 4, 1, 15, 30)),
        ("20250401153000", utc(2025, 4, 1, 15, 30)),
        ("20251301T000000Z", None),
        ("2025-04-01", None),
        ("", None),
    ],
)
def test_parse_seendate(text: str, expected: datetime | None) -> None:
    assert parse_seendate(text) == expected


# --- links -----------------------------------------------------------------------------------

PAGE = "https://news.example.com/world/2025/04/01/putin-wang.html"


def test_extract_links() -> None:
    assert extract_links(data("links.html"), PAGE) == [
        Link("https://news.example.com/", "Home"),
        # <base href="/world/">; #comments stripped; longest text kept of three
        Link(
            "https://news.example.com/world/2025/04/02/lavrov-wang-meeting", "Lavrov and Wang meet"
        ),
        Link("https://ads.example.net/click?id=1", "Buy now", nofollow=True),
        # nofollow on one of two links to it: still followable
        Link("https://forum.example.org/t/42", "Discuss on the forum"),
        Link("https://news.example.com/world/caf%C3%A9-russe", "Café photo"),  # img alt
        Link("https://news.example.com/maps/ukraine", "Map of Ukraine"),  # <area alt>
    ]


def test_extract_links_with_declared_encoding() -> None:
    html = '<p><a href="/suche?q=Außenminister">Außenminister  Wang</a></p>'.encode("cp1252")
    [link] = extract_links(html, "https://zeitung.example.de/", encoding="cp1252")
    assert link == Link("https://zeitung.example.de/suche?q=Au%DFenminister", "Außenminister Wang")


def test_extract_links_without_base_and_empty_bodies() -> None:
    body = b"<a href='../b#x'>B</a><a href='?page=2'>Next</a><a href='//cdn.example/c'>C</a>"
    assert extract_links(body, "https://a.example/x/y/z.html") == [
        Link("https://a.example/x/b", "B"),
        Link("https://a.example/x/y/z.html?page=2", "Next"),
        Link("https://cdn.example/c", "C"),
    ]
    assert extract_links(b"", PAGE) == []
    assert extract_links(b"   ", PAGE) == []


def test_canonical_url() -> None:
    assert canonical_url(data("links.html"), PAGE) == (
        "https://news.example.com/world/putin-wang-talks?ref=rss"
    )
    assert canonical_url(b"<html><head><title>x</title></head></html>", PAGE) is None
    assert canonical_url(b'<link rel="canonical" href="javascript:x()">', PAGE) is None
    assert canonical_url(b"", PAGE) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://n.example/world/2025/04/01/putin-wang", date(2025, 4, 1)),
        ("https://n.example/2025/4/1/slug", date(2025, 4, 1)),
        ("https://n.example/news/2025-04-01-putin-wang.html", date(2025, 4, 1)),
        ("https://n.example/news/2025_04_01_putin", date(2025, 4, 1)),
        ("https://n.example/world/2025/apr/01/putin-wang", date(2025, 4, 1)),
        ("https://n.example/world/2025/April/1/putin-wang", date(2025, 4, 1)),
        ("https://n.example/archive/20250401/putin.html", date(2025, 4, 1)),
        ("https://n.example/a/putin-wang-20250401.html", date(2025, 4, 1)),
        ("https://n.example/world/2025/04/putin-wang", date(2025, 4, 1)),  # first of month
        ("https://n.example/world/2025/04", date(2025, 4, 1)),
        ("https://n.example/world/putin-wang", None),
        ("https://n.example/story/123456789", None),  # nine digits: an id
        ("https://n.example/story/20251399", None),  # not a date
        ("https://n.example/2025/13/01/x", None),
        ("https://n.example/x?date=2025-04-01", None),  # only the path is read
        ("https://2025-04-01.example/x", None),
    ],
)
def test_date_in_url(url: str, expected: date | None) -> None:
    assert date_in_url(url) == expected


def test_date_span_of_month_only_url() -> None:
    assert date_span_in_url("https://n.example/2024/02/slug") == (
        date(2024, 2, 1),
        date(2024, 2, 29),
    )
    assert date_span_in_url("https://n.example/2025/04/01/x") == (
        date(2025, 4, 1),
        date(2025, 4, 1),
    )


def test_url_words() -> None:
    assert url_words("https://n.example/world/2025/04/01/putin-hosts_wang.html?x=1") == (
        "world 2025 04 01 putin hosts wang"
    )
    assert url_words("https://n.example/caf%C3%A9-russe/index.php") == "café russe"


def _keyword_score(text: str) -> float:
    """Fraction of the event's three keywords present in the text."""
    words = set(text.lower().split())
    return len(words & {"putin", "wang", "moscow"}) / 3


WINDOW = (date(2025, 4, 1), date(2025, 4, 3))


def _priority(url: str, text: str = "", today: date | None = None) -> int:
    return link_priority(Link(url, text), score_text=_keyword_score, window=WINDOW, today=today)


def test_link_priority_values() -> None:
    assert _priority("https://n.example/about") == 0
    assert _priority("https://n.example/x", "Putin Wang Moscow") == 100
    assert _priority("https://n.example/2025/04/02/putin-wang", "") == 67 + 25
    assert _priority("https://n.example/2025/04/putin-in-moscow") == 67 + 25  # month overlaps
    assert _priority("https://n.example/2025/04/10/sports") == 0  # within 14 days after
    assert _priority("https://n.example/2024/04/02/putin") == 33 - 50
    assert _priority("https://n.example/2025/05/01/putin", today=date(2025, 4, 20)) == 33 - 50


def test_link_priority_ordering() -> None:
    ranked = [
        _priority("https://n.example/world/2025/04/02/putin-wang-moscow-talks", "Putin and Wang"),
        _priority("https://n.example/world/putin-wang-moscow-talks", "Putin and Wang"),
        # fully relevant but two years old: penalised, still above weak matches
        _priority("https://n.example/world/2023/04/02/putin-wang-moscow", "Putin and Wang in 2023"),
        _priority("https://n.example/world/2025/04/12/putin-speech", "Putin speech"),
        _priority("https://n.example/world/2025/04/02/lavrov-visit", "Lavrov visit"),
        _priority("https://n.example/sport/football", "Football"),
        _priority("https://n.example/world/2019/01/01/weather", "Weather"),
    ]
    assert ranked == sorted(ranked, reverse=True)
    assert len(set(ranked)) == len(ranked)


def _constant(value: float) -> Callable[[str], float]:
    return lambda _text: value


def test_link_priority_is_monotone_in_relevance_and_clamped() -> None:
    url = "https://n.example/2025/04/02/x"
    scores = [
        link_priority(Link(url, "t"), score_text=_constant(s), window=WINDOW)
        for s in (-1.0, 0.0, 0.2, 0.5, 0.9, 1.0, 7.0)
    ]
    assert scores == sorted(scores)
    assert scores[0] == 25 and scores[-1] == 125
    assert len(set(scores)) == 5  # -1 and 0 clamp to 0, 1 and 7 clamp to 1


def test_link_priority_never_rises_moving_away_from_the_window() -> None:
    days = [date(2025, 4, 2) + timedelta(days=n) for n in range(0, 400, 3)]
    after = [_priority(f"https://n.example/{d:%Y/%m/%d}/putin") for d in days]
    before = [
        _priority(f"https://n.example/{d - timedelta(days=400):%Y/%m/%d}/putin") for d in days
    ]
    assert after == sorted(after, reverse=True)
    assert before == sorted(before)
    assert {after[0], after[-1], before[0], before[-1]} == {33 + 25, 33 - 50}


@pytest.mark.parametrize(
    "base",
    ["http://a.test/x/y.html", "https://a.test:8443/deep/er/", "http://b.test/?q=1#top"],
)
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_memoised_link_resolution_equals_direct_resolution(base: str, encoding: str) -> None:
    from urllib.parse import urlsplit

    from pipelines.extract.links import _absolute, _resolve

    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}/"
    hrefs = [
        "/world/",
        "/world/a b?x=1&y=é#frag",
        "//c.test/p",
        "rel/ative",
        "../up",
        "?q=2",
        "http://d.test/Ünïcode",
        " https://e.test/t ",
        "/",
        "#only",
        "mailto:x@y",
        "",
    ]
    for _ in range(2):  # the second round is served from the cache
        for href in hrefs:
            stripped = href.strip()
            direct = (
                None
                if not stripped or stripped.startswith("#")
                else _resolve(stripped, base, encoding)
            )
            assert _absolute(href, base, encoding, origin) == direct, (href, base)


def test_known_links_are_kept_without_anchor_text() -> None:
    body = b"<html><body><a href='/a'>Alpha story</a><a href='/b'>Beta story</a></body></html>"
    links = extract_links(body, "http://x.test/", known={"http://x.test/a"})
    assert [(link.url, link.text) for link in links] == [
        ("http://x.test/a", ""),
        ("http://x.test/b", "Beta story"),
    ]


def test_a_base_element_outside_head_is_still_honoured() -> None:
    body = b"<html><body><p>x</p><BASE href='http://cdn.test/d/'><a href='p'>P</a></body></html>"
    assert [link.url for link in extract_links(body, "http://x.test/")] == ["http://cdn.test/d/p"]
