"""A crawl from sources only (feeds, sitemaps, GDELT; no seeds, no link following):
dated entries outside the event window are not fetched, those inside are."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from crawler.demoweb import DemoWeb, demo_event_path, load_manifest
from tests.conftest import SLUG, connect_args, newsarc, warc_records

WINDOW = (date(2025, 3, 29), date(2025, 4, 6))  # 2025-03-30..04-05 with one day of slack


def sources_only_event(tmp_path: Path) -> Path:
    text = demo_event_path().read_text()
    text = re.sub(r"(?m)^seeds = .*$", "seeds = []", text)
    text = re.sub(r"(?m)^follow_links = .*$", "follow_links = false", text)
    path = tmp_path / "sources-only.toml"
    path.write_text(text)
    return path


def test_dated_sources_respect_the_window(tmp_path: Path) -> None:
    with DemoWeb() as web:
        proc = newsarc(
            "crawl",
            str(sources_only_event(tmp_path)),
            "--out",
            str(tmp_path / "out"),
            "--json",
            *connect_args(web),
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads(proc.stdout)
    records = warc_records(tmp_path / "out" / SLUG / "warc")
    fetched = {r.target_uri for r in records if r.type == "response"}
    discovery = {}
    for r in records:
        if r.type == "metadata" and b"discovery: " in r.block:
            value = r.block.decode().split("discovery: ", 1)[1].split("\r\n", 1)[0]
            discovery[r.target_uri] = value.split(":", 1)[0]
    articles = {a["url"]: a for a in load_manifest()}
    for url in fetched & set(articles):
        published = date.fromisoformat(articles[url]["published"])
        assert WINDOW[0] <= published <= WINDOW[1], url
        assert discovery[url] in {"feed", "sitemap", "gdelt"}
    herald = [a for a in articles.values() if a["host"] == "herald.test"]
    inside = {
        a["url"] for a in herald if WINDOW[0] <= date.fromisoformat(a["published"]) <= WINDOW[1]
    }
    outside = {a["url"] for a in herald} - inside
    assert inside and outside
    assert inside <= fetched
    assert not outside & fetched
    assert stats["counters"]["newsarc/discovery/out_of_window"] >= len(outside)
    # no link following: nothing but sources, robots.txt and the entries they listed
    assert set(discovery.values()) <= {"feed", "sitemap", "gdelt", "robots-sitemap"}
    assert {u for u in fetched if u not in discovery} <= {
        u for u in fetched if u.endswith("/robots.txt") or u in articles
    }
