"""Getting captures back out: CDXJ indexes written by the crawl, `newsarc get`, `newsarc list`,
`newsarc index` and the Python API, on the local demo archive and on the same crawl in real S3."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archive import open_archive
from archive.cdxj.index import parse_line
from archive.warc.http import parse_response
from archive.warc.reader import Record
from crawler.demoweb import load_manifest
from tests.conftest import NEWSARC, SLUG, DemoCrawl, newsarc
from tests.support.archives import s3_env, use_env
from tests.support.s3fixtures import S3Server

ARTICLE = next(m["url"] for m in load_manifest() if m["on_event"])


def scanned(uri: str, env: dict[str, str], url: str, monkeypatch: pytest.MonkeyPatch) -> Record:
    """The one response record for ``url``, found by reading every WARC from start to end
    (not through the index: the code path under test)."""
    use_env(env, monkeypatch)
    (record,) = [r.record for r in open_archive(uri).records() if r.record.target_uri == url]
    return record


def get_bytes(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*NEWSARC, "get", *args], capture_output=True, env=env or None, check=False, timeout=120
    )


def cdxj_indexer(*files: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", "--sort", *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def test_every_warc_has_the_index_cdxj_indexer_would_write(demo_crawl: DemoCrawl) -> None:
    warcs = sorted(demo_crawl.warc_dir.glob("*.warc.gz"))
    assert len(warcs) >= 3  # --warc-size 100KB: several files
    for warc in warcs:
        ours = demo_crawl.out / SLUG / "cdxj" / (warc.name.removesuffix(".warc.gz") + ".cdxj")
        assert ours.read_text() == cdxj_indexer(warc), warc.name


def test_crawl_and_event_indexes_merge_every_warc(demo_crawl: DemoCrawl) -> None:
    everything = cdxj_indexer(*sorted(demo_crawl.warc_dir.glob("*.warc.gz")))
    (crawl_index,) = (demo_crawl.out / SLUG / "crawls").glob("*/index.cdxj")
    assert crawl_index.read_text() == everything
    assert (demo_crawl.out / SLUG / "index.cdxj").read_text() == everything
    lines = everything.splitlines()
    assert lines == sorted(lines)
    assert len(lines) == demo_crawl.counters["newsarc/warc/responses"]  # one per response


def test_get_prints_the_archived_body_and_head(
    archive: tuple[str, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, env = archive
    record = scanned(uri, env, ARTICLE, monkeypatch)
    got = get_bytes(ARTICLE, "--archive", uri, "--html", env=env)
    assert got.returncode == 0, got.stderr
    assert got.stdout == parse_response(record.block).body and b"<html" in got.stdout
    head = get_bytes(ARTICLE, "--archive", uri, "--headers", env=env)
    assert head.stdout.startswith(b"HTTP/1.1 200 OK\r\n") and head.stdout.endswith(b"\r\n\r\n")
    raw = get_bytes(ARTICLE, "--archive", uri, "--raw", env=env)
    assert raw.stdout == record.block == head.stdout + got.stdout


def test_get_decodes_a_gzip_body(demo_crawl: DemoCrawl) -> None:
    gzipped = [
        r
        for r in demo_crawl.records()
        if r.type == "response" and b"\r\nContent-Encoding: gzip" in r.block.split(b"\r\n\r\n")[0]
    ]
    assert gzipped
    got = get_bytes(gzipped[0].target_uri, "--archive", str(demo_crawl.out), env={})
    assert got.returncode == 0, got.stderr
    assert got.stdout == parse_response(gzipped[0].block).body != gzipped[0].block


def test_get_json_points_at_the_record(
    archive: tuple[str, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, env = archive
    record = scanned(uri, env, ARTICLE, monkeypatch)
    got = newsarc("get", ARTICLE, "--archive", uri, "--json", env=env or None)
    assert got.returncode == 0, got.stderr
    data = json.loads(got.stdout)
    assert data["record_id"] == record.record_id and data["status"] == "200"
    assert data["event"] == SLUG and data["warc"]["offset"] == record.offset
    assert ["Content-Type", "text/html; charset=utf-8"] in data["headers"]


def test_get_text_prints_the_article(
    archive: tuple[str, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, env = archive
    use_env(env, monkeypatch)
    article = next(a for a in open_archive(uri).articles() if a["url"] == ARTICLE)
    got = newsarc("get", ARTICLE, "--archive", uri, "--text", env=env or None)
    assert got.returncode == 0, got.stderr
    assert got.stdout.rstrip("\n") == article["text"]


def test_get_picks_the_capture_closest_to_at(demo_crawl: DemoCrawl) -> None:
    a = open_archive(demo_crawl.out)
    robots = "http://globe.test/robots.txt"
    captures = a.captures(robots)
    assert captures and all(e.url == robots for _, e in captures)
    first = captures[0][1]
    assert a.get(robots, at=first.timestamp).timestamp == first.timestamp
    assert a.get(robots, at="1999").timestamp == first.timestamp  # before everything: earliest
    assert a.get(robots).timestamp == captures[-1][1].timestamp  # no --at: latest


def test_get_unknown_url_exits_4_with_a_message(archive: tuple[str, dict]) -> None:
    uri, env = archive
    got = newsarc("get", "http://globe.test/never-crawled", "--archive", uri, env=env or None)
    assert got.returncode == 4
    assert "no capture of http://globe.test/never-crawled" in got.stderr
    bad = newsarc("get", ARTICLE, "--archive", uri, "--at", "2025-04", env=env or None)
    assert bad.returncode == 2 and "--at" in bad.stderr


def test_list_shows_each_crawl_with_its_stats(
    archive: tuple[str, dict], demo_crawl: DemoCrawl
) -> None:
    uri, env = archive
    got = newsarc("list", "--archive", uri, "--json", env=env or None)
    assert got.returncode == 0, got.stderr
    (row,) = [json.loads(line) for line in got.stdout.splitlines()]
    assert row["event"] == SLUG and row["status"] == "finished"
    assert row["articles"] == 18 and row["duplicates"] == demo_crawl.stats["duplicates"]
    assert row["pages"] > 50 and row["objects"] > 10
    if "s3" not in uri:
        assert row["pages"] == demo_crawl.stats["pages"]
    table = newsarc("list", "--archive", uri, env=env or None)
    assert SLUG in table.stdout and "finished" in table.stdout
    missing = newsarc("list", "--archive", uri, "--event", "no-such-event", env=env or None)
    assert missing.returncode == 4 and "no event 'no-such-event'" in missing.stderr


def test_python_api_reads_articles_and_records(
    archive: tuple[str, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, env = archive
    use_env(env, monkeypatch)
    a = open_archive(uri)
    assert a.events() == [SLUG]
    articles = list(a.articles(event=SLUG))
    unique = list(a.articles(event=SLUG, unique=True))
    assert len(articles) == 18 and 0 < len(unique) < len(articles)
    assert all(x["dup_kind"] == "unique" for x in unique)
    capture = a.get(articles[0]["url"])
    assert capture.record.record_id == articles[0]["warc_record_id"]
    assert capture.article_id == articles[0]["id"]
    kinds = {ref.record.type for ref in a.records(event=SLUG, types=None)}
    assert kinds == {"warcinfo", "response", "request", "metadata"}


def test_index_rebuilds_a_missing_index(tmp_path: Path, demo_crawl: DemoCrawl) -> None:
    import shutil

    copy = tmp_path / "archive"
    shutil.copytree(demo_crawl.out / SLUG / "warc", copy / SLUG / "warc")
    before = newsarc("get", ARTICLE, "--archive", str(copy))
    assert before.returncode == 4 and "run newsarc index" in before.stderr
    got = newsarc("index", "--archive", str(copy), "--work", str(tmp_path / "work"))
    assert got.returncode == 0, got.stderr
    everything = cdxj_indexer(*sorted((copy / SLUG / "warc").glob("*.warc.gz")))
    assert (copy / SLUG / "index.cdxj").read_text() == everything
    entry = parse_line(everything.splitlines()[0])
    assert (copy / SLUG / "cdxj").is_dir() and entry.filename.endswith(".warc.gz")
    after = newsarc("get", ARTICLE, "--archive", str(copy), "--headers")
    assert after.returncode == 0 and after.stdout.startswith("HTTP/1.1 200")


def test_index_rebuilds_a_missing_index_in_s3(
    tmp_path: Path, demo_crawl: DemoCrawl, make_s3: Any, s3_server: S3Server
) -> None:
    storage = make_s3("copy")
    warcs = sorted(demo_crawl.warc_dir.glob("*.warc.gz"))
    for warc in warcs:  # WARCs from elsewhere: no index of any kind
        storage.put_file(f"{SLUG}/warc/{warc.name}", warc)
    uri = storage.uri
    got = newsarc("index", "--archive", uri, "--work", str(tmp_path), env=s3_env(s3_server))
    assert got.returncode == 0, got.stderr
    assert f"indexed {len(warcs)} WARC files" in got.stdout
    assert storage.get_bytes(f"{SLUG}/index.cdxj").decode() == cdxj_indexer(*warcs)
    for warc in warcs:
        key = f"{SLUG}/cdxj/{warc.name.removesuffix('.warc.gz')}.cdxj"
        assert storage.get_bytes(key).decode() == cdxj_indexer(warc)
    again = newsarc("index", "--archive", uri, "--work", str(tmp_path), env=s3_env(s3_server))
    assert "indexed 0 WARC files" in again.stdout  # per-WARC indexes are kept, not redone


def test_a_missing_local_archive_is_named(tmp_path: Path) -> None:
    for command in (["list"], ["get", ARTICLE], ["export", "--format", "csv", "-o", "-"]):
        got = newsarc(*command, "--archive", str(tmp_path / "nowhere"))
        assert got.returncode == 4, (command, got.stderr)
        assert f"no archive at {tmp_path / 'nowhere'}" in got.stderr
