"""The relevance gate loses no on-event article: the demo web crawled with and without it, and
every page of a generated benchmark web analysed with and without it, give the same articles,
byte for byte; and the gate does skip pages (it is not a no-op)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from crawler.demoweb import DemoWeb, demo_event_path
from crawler.event.spec import load_event
from pipelines.analysis.worker import analyse_page
from pipelines.relevance.scorer import RelevanceScorer
from tests.conftest import DemoCrawl, connect_args, newsarc
from tests.support.pages import articles

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


FIELDS = ("text", "title", "date", "language", "authors", "sitename")


def _articles(out: Path) -> dict[str, dict[str, Any]]:
    return {url: {k: a[k] for k in FIELDS} for url, a in articles(out).items()}


def test_the_demo_crawl_has_the_same_articles_without_the_gate(
    demo_crawl: DemoCrawl, tmp_path: Path
) -> None:
    assert demo_crawl.counters["newsarc/extract/skipped_off_event"] > 0  # the gate is on
    with DemoWeb(slow_seconds=0.5, huge_bytes=8 * 1024 * 1024) as web:
        ungated = newsarc(
            "crawl",
            str(demo_event_path()),
            "--out",
            str(tmp_path),
            "--json",
            "-s",
            "NEWSARC_RELEVANCE_GATE=false",
            *connect_args(web),
        )
    assert ungated.returncode == 0, ungated.stderr[-2000:]
    assert "newsarc/extract/skipped_off_event" not in json.loads(ungated.stdout)["counters"]
    with_gate = _articles(demo_crawl.out)
    assert with_gate and with_gate == _articles(tmp_path)


def test_a_generated_news_web_gives_the_same_articles_without_the_gate(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from gen_newsweb import WebSpec, generate
        from newsarc_run import EVENT
    finally:
        sys.path.remove(str(BENCHMARKS))
    spec = WebSpec(pages=400, seed=7)
    generate(tmp_path / "web", spec, "http://127.0.0.1:8080")
    event_file = tmp_path / "event.toml"
    event_file.write_text(
        EVENT.format(
            start=spec.start,
            end=spec.end,
            base="http://127.0.0.1:8080",
            max_pages=10,
            concurrency=1,
        )
    )
    event = load_event(event_file)
    scorer = RelevanceScorer(event.match, event.window())
    headers = {"content-type": "text/html; charset=utf-8"}
    on_event = gated = pages = 0
    for page in sorted((tmp_path / "web").rglob("*.html")):
        url = "http://127.0.0.1:8080/" + str(page.relative_to(tmp_path / "web"))
        body = page.read_bytes()
        pages += 1
        with_gate = analyse_page(url, headers, body, None, scorer)
        without = analyse_page(url, headers, body, None, scorer, gate=False)
        assert with_gate.links == without.links, url
        gated += with_gate.gated
        if without.analysis is not None and without.analysis.relevance.on_event:
            on_event += 1
            assert with_gate.analysis == without.analysis, url  # article, relevance, signatures
        elif with_gate.gated:
            assert without.analysis is None or not without.analysis.relevance.on_event
    print(f"pages {pages}, on-event {on_event}, gated {gated}")
    assert on_event >= 5 and gated >= 100, (on_event, gated)
