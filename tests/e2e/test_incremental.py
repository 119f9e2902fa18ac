"""Recurring crawls of the demo web: crawl, let the web move on, crawl again.

The second crawl runs two hours "later" (``NEWSARC_CLOCK_SKEW``): the sources are due again,
the articles of a past event are not. The third is ``--full``: every known URL is asked for
conditionally. Nothing is fetched that is not due; 304s become server-not-modified revisits,
unchanged 200s identical-payload revisits; the updated article comes in full and is stored as
revision 2, the new feed item as a new article; every WARC passes ``warcio check``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archive.warc import records as warc
from archive.warc.reader import Record, iter_records
from crawler.demoweb import DemoWeb, demo_event_path
from crawler.demoweb.editions import UPDATE
from crawler.demoweb.server import Exchange
from tests.conftest import SLUG, connect_args, newsarc

TWO_HOURS = 7200


@dataclass
class Run:
    stats: dict[str, Any]
    records: list[Record]  # of this crawl's WARC files only
    exchanges: list[Exchange]  # what the demo web served to this crawl


@dataclass
class Runs:
    out: Path
    first: Run
    later: Run
    full: Run


def crawl(web: DemoWeb, out: Path, *extra: str) -> Run:
    before = set((out / SLUG / "warc").glob("*.warc.gz")) if (out / SLUG).exists() else set()
    web.clear_exchanges()
    proc = newsarc(
        "crawl", str(demo_event_path()), "--out", str(out), "--json", *connect_args(web), *extra
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    records: list[Record] = []
    for path in sorted(set((out / SLUG / "warc").glob("*.warc.gz")) - before):
        with path.open("rb") as fh:
            records += list(iter_records(fh))
    return Run(json.loads(proc.stdout)["counters"], records, web.exchanges)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    out = tmp_path_factory.mktemp("incremental")
    with DemoWeb(slow_seconds=0.5) as web:
        first = crawl(web, out)
        web.advance()
        later = crawl(web, out, "-s", f"NEWSARC_CLOCK_SKEW={TWO_HOURS}")
        full = crawl(web, out, "--full")
    yield Runs(out, first, later, full)


def responses(run: Run) -> dict[str, Record]:
    return {r.target_uri: r for r in run.records if r.type == "response"}


def revisits(run: Run) -> dict[str, Record]:
    return {r.target_uri: r for r in run.records if r.type == "revisit"}


def article_urls(out: Path) -> set[str]:
    urls = set()
    for path in (out / SLUG / "articles").glob("*.jsonl"):
        urls |= {json.loads(line)["url"] for line in path.read_text().splitlines()}
    return urls


def test_the_later_crawl_fetches_only_what_is_due(runs: Runs) -> None:
    first_articles = article_urls(runs.out) & set(responses(runs.first))
    fetched_later = set(responses(runs.later)) | set(revisits(runs.later))
    assert first_articles and not first_articles & fetched_later  # a past event's articles
    assert runs.later.stats["newsarc/state/known_urls"] > 50
    assert runs.later.stats["newsarc/incremental/due"] >= 5  # the sources
    assert "http://globe.test/rss.xml" in responses(runs.later)  # the feed changed: in full
    new = (
        "http://globe.test/world/2025/04/02/wang-yi-wraps-up-moscow-visit-after-talks-with-lavrov/"
    )
    assert new in responses(runs.later)  # the new feed item
    assert new in article_urls(runs.out)


def test_every_304_is_a_server_not_modified_revisit(runs: Runs) -> None:
    for run in (runs.later, runs.full):
        served_304 = {f"http://{x.host}{x.path}" for x in run.exchanges if x.status == 304}
        assert served_304
        seen = revisits(run)
        for url in served_304:
            assert seen[url].get("WARC-Profile") == warc.REVISIT_NOT_MODIFIED, url
            assert seen[url].block.startswith(b"HTTP/1.1 304")


def test_unchanged_200s_are_identical_payload_revisits(runs: Runs) -> None:
    identical = {
        url
        for url, r in revisits(runs.full).items()
        if r.get("WARC-Profile") == warc.REVISIT_IDENTICAL
    }
    assert any(url.startswith("http://wire.test/") for url in identical)  # no validators there
    first = responses(runs.first)
    for url in identical:
        record = revisits(runs.full)[url]
        original = first.get(url)
        assert original is not None, url  # refers to the first crawl's full response
        assert record.get("WARC-Refers-To") == original.record_id
        assert record.get("WARC-Payload-Digest") == original.get("WARC-Payload-Digest")


def test_the_updated_article_comes_in_full(runs: Runs) -> None:
    updated = next(u for u in responses(runs.first) if "putin-hosts-chinese-foreign-minister" in u)
    assert updated in responses(runs.full)
    assert b"Update, 2 April" in responses(runs.full)[updated].block
    assert runs.full.stats["newsarc/incremental/changed"] >= 1


def test_a_known_page_is_never_stored_in_full_twice_unchanged(runs: Runs) -> None:
    digests: dict[str, set[str]] = {}
    for run in (runs.first, runs.later, runs.full):
        for url, record in responses(run).items():
            if not record.block.startswith((b"HTTP/1.1 2", b"HTTP/1.0 2")):
                continue  # an error page is archived as it comes, each time
            digests.setdefault(url, set())
            digest = record.get("WARC-Payload-Digest") or ""
            assert digest not in digests[url], f"{url}: the same payload stored twice"
            digests[url].add(digest)


def test_warcio_check_passes_on_every_file(runs: Runs) -> None:
    for path in sorted((runs.out / SLUG / "warc").glob("*.warc.gz")):
        done = subprocess.run(
            [sys.executable, "-m", "warcio.cli", "check", str(path)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:]


def test_get_at_the_time_of_a_revisit_gives_the_page(runs: Runs) -> None:
    url, record = next(
        (u, r)
        for u, r in revisits(runs.full).items()
        if r.get("WARC-Profile") == warc.REVISIT_NOT_MODIFIED and "/world/20" in u
    )
    stamp = (record.get("WARC-Date") or "").replace("-", "").replace("T", "").replace(":", "")[:14]
    got = newsarc("get", url, "--archive", str(runs.out), "--at", stamp, "--json")
    assert got.returncode == 0, got.stderr
    capture = json.loads(got.stdout)
    assert capture["timestamp"] == stamp and capture["revisit_of"]
    text = newsarc("get", url, "--archive", str(runs.out), "--at", stamp, "--text")
    assert text.returncode == 0 and len(text.stdout) > 200


def stored(out: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted((out / SLUG / "articles").glob("*.jsonl")):
        records += [json.loads(line) for line in path.read_text().splitlines()]
    return records


def test_the_updated_article_is_revision_2_with_its_word_diff(runs: Runs) -> None:
    url = next(a["url"] for a in stored(runs.out) if "putin-hosts-chinese-foreign" in a["url"])
    revisions = sorted(
        (a for a in stored(runs.out) if a["url"] == url), key=lambda a: a["revision"]
    )
    first, second = revisions  # one revision per change, never a duplicate of itself
    assert (first["revision"], first["previous_id"], first["words_added"]) == (1, None, None)
    assert second["revision"] == 2 and second["previous_id"] == first["id"]
    assert (second["words_added"], second["words_removed"]) == (len(UPDATE.split()), 0)
    assert second["dup"]["kind"] == "revision" and second["story"] == first["story"]
    assert second["text"].endswith(UPDATE) and not first["text"].endswith(UPDATE)
    listed = newsarc("history", url, "--archive", str(runs.out), "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["revision"] for r in rows] == [1, 2] and rows[1]["words_added"] == len(UPDATE.split())
    diff = newsarc("history", url, "--archive", str(runs.out), "--diff", "2")
    assert diff.returncode == 0 and "{+" + UPDATE + "+}" in diff.stdout
    assert "[-" not in diff.stdout
    # unchanged articles stored once: re-fetched in full only when their payload changed
    assert runs.full.stats.get("newsarc/revisions/same_text", 0) == 0


def test_get_at_a_time_gives_the_revision_of_that_time(runs: Runs) -> None:
    url = next(a["url"] for a in stored(runs.out) if "putin-hosts-chinese-foreign" in a["url"])
    first = responses(runs.first)[url]
    stamp = (first.get("WARC-Date") or "").replace("-", "").replace("T", "").replace(":", "")[:14]
    then = newsarc("get", url, "--archive", str(runs.out), "--at", stamp, "--text")
    now = newsarc("get", url, "--archive", str(runs.out), "--text")
    assert then.returncode == 0 and now.returncode == 0, then.stderr + now.stderr
    assert UPDATE not in then.stdout and UPDATE in now.stdout
