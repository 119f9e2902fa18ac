"""The demo crawl's article set: every on-event article, its dup kind, its story, and its WARC
provenance, against the demo web's ground truth."""

from __future__ import annotations

import json
from collections import defaultdict

from archive.articles.store import read_articles
from archive.warc.reader import read_record
from crawler.demoweb import load_manifest
from pipelines.dedup.index import DedupIndex
from tests.conftest import DemoCrawl

MANIFEST = {m["url"]: m for m in load_manifest()}
MANIFEST_IDS = {m["id"]: m["url"] for m in load_manifest()}

FIELDS = {
    "id",
    "url",
    "canonical_url",
    "title",
    "author",
    "date",
    "date_source",
    "sitename",
    "language",
    "text",
    "word_count",
    "text_sha256",
    "fetched_at",
    "crawl_id",
    "event",
    "relevance",
    "dup",
    "story",
    "cross_story",
    "warc",
    "extractor",
}


def articles(demo_crawl: DemoCrawl) -> list[dict[str, object]]:
    files = list((demo_crawl.out / "demo-wang-yi-moscow" / "articles").glob("*.jsonl"))
    assert len(files) == 1
    return read_articles(files[0])


def test_every_on_event_article_and_nothing_else(demo_crawl: DemoCrawl) -> None:
    manifest = load_manifest()
    got = {a["url"] for a in articles(demo_crawl)}
    assert got == {m["url"] for m in manifest if m["on_event"]}
    assert demo_crawl.stats["articles"] == len(got)


def test_schema_of_each_line(demo_crawl: DemoCrawl) -> None:
    for a in articles(demo_crawl):
        assert set(a) >= FIELDS, FIELDS - set(a)
        assert a["event"] == "demo-wang-yi-moscow" and a["word_count"] > 50
        assert a["relevance"]["on_event"] is True  # type: ignore[index]
        assert a["date"] and str(a["date"]).startswith("2025-0")


def test_dup_kinds_and_groups_match_the_ground_truth(demo_crawl: DemoCrawl) -> None:
    manifest = {m["url"]: m for m in load_manifest() if m["on_event"]}
    got = {a["url"]: a for a in articles(demo_crawl)}
    by_id = {a["id"]: a for a in got.values()}

    def canonical(url: str) -> str:
        dup = got[url]["dup"]
        return url if dup["kind"] == "unique" else by_id[dup["of"]]["url"]  # type: ignore[index]

    ids = {m["id"]: url for url, m in manifest.items()}
    groups: dict[str, list[str]] = defaultdict(list)
    for url, m in manifest.items():
        if m["expected_dup"] != "unique":
            assert canonical(url) == canonical(ids[m["dup_of"]]), m["id"]
        groups[canonical(url)].append(url)
    for root, members in groups.items():
        kinds = sorted(got[u]["dup"]["kind"] for u in members)  # type: ignore[index]
        expected = sorted(manifest[u]["expected_dup"] for u in members)
        if set(expected) == {"unique", "exact"}:  # any copy of a verbatim group may come first
            assert kinds.count("unique") == 1 and set(kinds) <= {"unique", "exact"}, root
        else:
            assert kinds == expected, (root, kinds, expected)


def test_same_event_reports_share_one_story_per_language_and_one_across(
    demo_crawl: DemoCrawl,
) -> None:
    got = articles(demo_crawl)
    stories = {(a["language"], a["story"]) for a in got}
    assert sorted(lang for lang, _ in stories) == ["en", "ru", "zh"]  # one story per language
    assert demo_crawl.counters["newsarc/dedup/stories"] == 3
    for a in got:  # the record's language is the manifest's
        assert a["language"] == MANIFEST[a["url"]]["language"], a["url"]
    index = DedupIndex(demo_crawl.out / "demo-wang-yi-moscow" / "dedup" / "index.sqlite")
    with index:
        cross = index.cross_stories()
    assert len({cross[str(a["story"])] for a in got}) == 1  # linked across languages
    assert all(a["cross_story"] in cross.values() for a in got)


def test_chinese_and_russian_copies_and_rewrites(demo_crawl: DemoCrawl) -> None:
    got = {a["url"]: a for a in articles(demo_crawl)}
    by_id = {a["id"]: url for url, a in got.items()}
    for url, a in got.items():
        m = MANIFEST[url]
        if m["language"] == "en":
            continue
        dup = a["dup"]
        if m["expected_dup"] in ("near", "rewrite"):  # of the original, or the original of it
            original = MANIFEST_IDS[m["dup_of"]]
            assert dup["kind"] != "unique" or got[original]["dup"]["of"] == a["id"], m["id"]
            if got[original]["dup"]["kind"] == "unique":
                assert by_id[dup["of"]] == original, m["id"]
                expected = ("near", "exact") if m["expected_dup"] == "near" else ("rewrite",)
                assert dup["kind"] in expected, (m["id"], dup)
        if dup["of"] is not None:  # never a duplicate of another language
            assert MANIFEST[by_id[dup["of"]]]["language"] == m["language"], m["id"]
        assert a["date"] == m["published"] and a["date_source"] == "text", m["id"]
        assert a["word_count"] > 70, m["id"]


def test_texts_stored_once_per_canonical_document(demo_crawl: DemoCrawl) -> None:
    text_dir = demo_crawl.out / "demo-wang-yi-moscow" / "text"
    canonical = {a["id"] for a in articles(demo_crawl) if a["dup"]["kind"] == "unique"}  # type: ignore[index]
    assert {p.stem for p in text_dir.glob("*.txt")} == canonical
    for a in articles(demo_crawl):
        if a["id"] in canonical:
            assert (text_dir / f"{a['id']}.txt").read_text() == f"{a['text']}\n"


def test_every_article_points_at_the_response_it_came_from(demo_crawl: DemoCrawl) -> None:
    for a in articles(demo_crawl):
        loc = a["warc"]
        with (demo_crawl.warc_dir / loc["filename"]).open("rb") as fh:  # type: ignore[index]
            record = read_record(fh, loc["offset"], loc["length"])  # type: ignore[index]
        assert record.type == "response"
        assert record.target_uri == a["url"]
        assert record.record_id == loc["record_id"]  # type: ignore[index]
        assert record.get("WARC-Payload-Digest") == loc["payload_digest"]  # type: ignore[index]
        assert record.get("WARC-Date") == a["fetched_at"]


def test_summary_counts_articles_by_kind(demo_crawl: DemoCrawl) -> None:
    kinds = defaultdict(int)
    for a in articles(demo_crawl):
        kinds[a["dup"]["kind"]] += 1  # type: ignore[index]
    assert demo_crawl.stats["dup_kinds"] == dict(kinds)
    assert json.dumps(demo_crawl.stats)  # the --json summary is plain JSON
