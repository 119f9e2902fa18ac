"""newsarc reextract / extract: articles from stored WARCs and saved pages, without crawling."""

from __future__ import annotations

import json
import os
import shutil
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from archive.articles.store import read_articles
from archive.warc.records import split_head
from crawler.demoweb import demo_event_path, load_manifest
from crawler.event.spec import load_event
from pipelines.analysis import offline
from pipelines.analysis.worker import analyse
from pipelines.relevance.scorer import RelevanceScorer
from tests.conftest import SLUG, DemoCrawl, newsarc


def copied_archive(demo_crawl: DemoCrawl, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the demo crawl's archive to re-extract, and the crawl's article set in it."""
    archive = tmp_path / "archive"
    shutil.copytree(demo_crawl.out, archive)
    (crawled,) = (archive / SLUG / "articles").glob("*.jsonl")
    return archive, crawled


def test_reextract_rebuilds_the_same_article_set_from_the_warcs(
    demo_crawl: DemoCrawl, tmp_path: Path
) -> None:
    archive, crawled = copied_archive(demo_crawl, tmp_path)
    result = newsarc("reextract", SLUG, "--archive", str(archive), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["crawl_id"].startswith("reextract-")
    again = read_articles(archive / SLUG / "articles" / f"{summary['crawl_id']}.jsonl")
    before = read_articles(crawled)
    assert summary["articles"] == len(again) == len(before)
    key = lambda a: (a["url"], a["id"], a["text_sha256"], a["warc"]["offset"], a["date"])  # noqa: E731
    assert sorted(map(key, again)) == sorted(map(key, before))
    kinds = lambda arts: sorted(a["dup"]["kind"] for a in arts)  # noqa: E731
    assert kinds(again) == kinds(before)
    # hints came back from the metadata records: feed/sitemap dates keep their source
    assert {a["date_source"] for a in again} == {a["date_source"] for a in before}
    assert (archive / SLUG / "dedup" / "index.sqlite").exists()
    assert not (archive / SLUG / "dedup.new").exists()


def test_reextract_of_an_unknown_event_is_a_clear_error(tmp_path: Path) -> None:
    result = newsarc("reextract", "no-such-event", "--archive", str(tmp_path))
    assert result.returncode == 4  # not found, as everywhere
    assert "no-such-event" in result.stderr and "Traceback" not in result.stderr


def test_extract_prints_the_article_of_a_saved_page(demo_crawl: DemoCrawl, tmp_path: Path) -> None:
    article = next(a for a in load_manifest() if a["host"] == "courier.test" and a["on_event"])
    exchange = next(
        ex
        for ex in demo_crawl.web.exchanges
        if ex.host == "courier.test" and ex.path == article["path"]
    )
    page = tmp_path / "page.html"
    page.write_bytes(split_head(exchange.response_bytes)[1])
    result = newsarc(
        "extract",
        str(page),
        "--url",
        article["url"],
        "--content-type",
        "text/html; charset=windows-1252",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["title"] == article["title"] and data["word_count"] > 100
    assert data["url"] == article["url"]


def test_extract_of_a_page_without_article_exits_4(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    result = newsarc("extract", str(page))
    assert result.returncode == 4 and "no article" in result.stderr


def flaky_analyse(crash_url: str, error_url: str, url: str, *args: Any) -> Any:
    """``analyse``, except that one page kills its worker and another raises."""
    if url == crash_url:
        os._exit(9)
    if url == error_url:
        raise ValueError("a page the extractor chokes on")
    return analyse(url, *args)


def test_reextract_goes_on_past_a_failing_page_and_a_crashed_worker(
    demo_crawl: DemoCrawl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive, crawled = copied_archive(demo_crawl, tmp_path)
    before = {a["url"] for a in read_articles(crawled)}
    crash_url, error_url = sorted(before)[:2]
    monkeypatch.setattr(offline, "analyse", partial(flaky_analyse, crash_url, error_url))
    event = load_event(demo_event_path())
    summary = offline.reextract(
        archive / SLUG, RelevanceScorer(event.match, event.window()), SLUG, workers=2
    )
    assert summary.counts["extract_error"] == 2
    again = read_articles(archive / SLUG / "articles" / f"{summary.crawl_id}.jsonl")
    assert {a["url"] for a in again} == before - {crash_url, error_url}
    assert summary.articles == len(before) - 2
    assert not (archive / SLUG / "dedup.new").exists()


def refusing_analyse(url: str, *args: Any, line_model: bool = False) -> Any:
    """The worker function, except that it fails every page asked for with the line model."""
    if line_model:
        raise ValueError("asked for the line model")
    return analyse(url, *args)


def test_reextract_with_the_line_model_asks_the_workers_for_it(
    demo_crawl: DemoCrawl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive, crawled = copied_archive(demo_crawl, tmp_path)
    before = read_articles(crawled)
    result = newsarc("reextract", SLUG, "--archive", str(archive), "--line-model", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    again = read_articles(archive / SLUG / "articles" / f"{summary['crawl_id']}.jsonl")
    assert summary["articles"] == len(again) == len(before)  # the demo's texts need no edit
    monkeypatch.setattr(offline, "analyse", refusing_analyse)
    event = load_event(demo_event_path())
    scorer = RelevanceScorer(event.match, event.window())
    plain = offline.reextract(archive / SLUG, scorer, SLUG, workers=1)
    edited = offline.reextract(archive / SLUG, scorer, SLUG, workers=1, line_model=True)
    assert plain.counts["extract_error"] == 0 and plain.articles == len(before)
    assert edited.counts["extract_error"] == edited.responses > 0 and edited.articles == 0
