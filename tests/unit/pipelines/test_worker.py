"""The crawl's worker function: one parse of a page gives its article and its links, and the
event's relevance decides whether the (costly) dedup signatures are computed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from scrapy.http import HtmlResponse

from archive.warc.http import HttpResponse, parse_response
from crawler.demoweb import demo_event_path
from crawler.event.spec import load_event
from pipelines.analysis.worker import analyse, analyse_page
from pipelines.dedup.signatures import signatures
from pipelines.extract.extractor import extract
from pipelines.extract.links import Link, extract_links
from pipelines.relevance.scorer import RelevanceScorer
from tests.conftest import DemoCrawl


def html_responses(demo_crawl: DemoCrawl) -> Iterator[tuple[str, HttpResponse]]:
    for record in demo_crawl.records():
        if record.type != "response" or record.get("WARC-Truncated"):
            continue
        http = parse_response(record.block)
        if http.status == 200 and "html" in (http.header("Content-Type") or "").lower():
            yield record.target_uri, http


def scorer() -> RelevanceScorer:
    event = load_event(demo_event_path())
    return RelevanceScorer(event.match, event.window())


def test_links_from_the_workers_parse_equal_the_spiders_reader(demo_crawl: DemoCrawl) -> None:
    pages = with_links = 0
    for url, http in html_responses(demo_crawl):
        result = analyse_page(url, http.header_dict(), http.body)
        # the spider read links with the encoding Scrapy found for the response
        scrapy_response = HtmlResponse(url, headers=http.header_dict(), body=http.body)
        expected = extract_links(http.body, url, scrapy_response.encoding)
        assert [Link(*link) for link in result.links] == expected, url
        pages += 1
        with_links += bool(expected)
    assert pages >= 20 and with_links >= 20


def test_one_parse_gives_the_same_article_as_extract(demo_crawl: DemoCrawl) -> None:
    compared = 0
    for url, http in html_responses(demo_crawl):
        result = analyse_page(url, http.header_dict(), http.body)
        article = extract(url, http.header_dict(), http.body)
        assert (result.analysis.article if result.analysis else None) == article, url
        compared += article is not None
    assert compared >= 10


def test_only_on_event_articles_are_signed(demo_crawl: DemoCrawl) -> None:
    on = off = 0
    event_scorer = scorer()
    for url, http in html_responses(demo_crawl):
        result = analyse(url, http.header_dict(), http.body, None, event_scorer)
        if result is None:
            continue
        assert result.relevance == event_scorer.score(result.article)
        full = extract(url, http.header_dict(), http.body)
        assert full is not None and full.language in ("en", "zh", "ru")
        if result.relevance.on_event:
            on += 1
            assert result.signatures == signatures(
                result.article.text, result.article.title, result.article.language
            )
            assert result.article == full
        else:  # finished only as far as relevance needs: no signatures, no language detection
            off += 1
            assert result.signatures is None
            assert result.article.language is None
            assert replace(result.article, language=full.language) == full
        unscored = analyse(url, http.header_dict(), http.body)  # no scorer: always signed
        assert unscored is not None and unscored.relevance is None
        assert unscored.signatures == signatures(
            result.article.text, result.article.title, full.language
        )
    assert on >= 5 and off >= 3
    assert on == demo_crawl.counters["newsarc/relevance/on_event"]


def test_a_page_that_is_no_article_still_gives_its_links() -> None:
    body = b"<html><body><nav><a href='/a'>A</a> <a href='b.html' rel='nofollow'>B</a></nav></body>"
    result = analyse_page("http://news.test/x/", {"content-type": "text/html"}, body)
    assert result.analysis is None
    assert result.links == (
        ("http://news.test/a", "A", False),
        ("http://news.test/x/b.html", "B", True),
    )
    assert analyse_page("http://news.test/", {"content-type": "image/png"}, b"\x89PNG").links == ()


def test_the_line_model_setting_reaches_the_workers_extraction() -> None:
    """NEWSARC_EXTRACT_LINE_MODEL (off by default) is passed to every page's extraction, and the
    worker extracts what ``extract(..., line_model=...)`` extracts."""
    import gzip
    import json
    from pathlib import Path

    from scrapy.utils.test import get_crawler

    from pipelines.extraction import ExtractionPipeline

    assert ExtractionPipeline.from_crawler(get_crawler()).line_model is False
    crawler = get_crawler(settings_dict={"NEWSARC_EXTRACT_LINE_MODEL": True})
    assert ExtractionPipeline.from_crawler(crawler).line_model is True
    data = Path(__file__).parents[2] / "data" / "extract" / "wcxb"
    url = json.loads((data / "4584.json").read_text(encoding="utf-8"))["url"]
    body = gzip.decompress((data / "4584.html.gz").read_bytes())
    headers = {"Content-Type": "text/html"}
    texts = {}
    for on in (False, True):
        found = analyse_page(url, headers, body, line_model=on).analysis
        article = extract(url, headers, body, line_model=on)
        assert found is not None and article is not None
        assert found.article.text == article.text
        texts[on] = article.text
    assert texts[False] != texts[True]  # on this page the model changes the text (its test)
