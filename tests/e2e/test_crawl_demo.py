"""One real crawl of the demo web: byte-exactness, sources, politeness, guard, traps, tools."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections import defaultdict
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from archive.warc.chunked import Framing
from archive.warc.reader import Record
from archive.warc.records import restore_response_bytes, split_head
from crawler.demoweb import SPECIALS
from tests.conftest import DemoCrawl


def by_type(records: list[Record], kind: str) -> list[Record]:
    return [r for r in records if r.type == kind]


def exchange_key(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.hostname or "", parts.path + (f"?{parts.query}" if parts.query else ""))


def framings(records: list[Record]) -> dict[str, Framing]:
    out = {}
    for r in by_type(records, "metadata"):
        for line in r.block.decode().splitlines():
            if line.startswith("transfer-framing: "):
                out[r.get("WARC-Concurrent-To") or ""] = Framing.from_json(line.split(": ", 1)[1])
    return out


def test_every_exchange_is_archived_byte_exactly(demo_crawl: DemoCrawl) -> None:
    records = demo_crawl.records()
    framing = framings(records)
    responses = defaultdict(list)
    requests = defaultdict(list)
    for r in by_type(records, "response"):
        responses[exchange_key(r.target_uri)].append(r)
    for r in by_type(records, "request"):
        requests[exchange_key(r.target_uri)].append(r)
    served = defaultdict(list)
    for ex in demo_crawl.web.exchanges:
        served[(ex.host, ex.path)].append(ex)
    assert set(served) == set(responses)
    checked_chunked = 0
    for key, exchanges in served.items():
        archived = responses[key]
        assert len(archived) == len(exchanges), key
        for ex, resp, req in zip(exchanges, archived, requests[key], strict=True):
            assert req.block == ex.request_bytes, key
            if resp.get("WARC-Truncated"):
                assert not ex.complete and ex.response_bytes.startswith(resp.block), key
                continue
            restored = restore_response_bytes(resp.block, framing.get(resp.record_id))
            assert restored == ex.response_bytes, key
            if resp.record_id in framing:
                checked_chunked += 1
                assert resp.block != ex.response_bytes
    assert checked_chunked >= 1


def test_misbehaving_responses_keep_their_quirks(demo_crawl: DemoCrawl) -> None:
    records = {(r.target_uri, r.type): r for r in demo_crawl.records()}

    def head(name: str) -> bytes:
        return split_head(records[(SPECIALS[name].url, "response")].block)[0]

    assert head("reason-phrase").startswith(b"HTTP/1.1 200 Splendidly Fine\r\n")
    repeated = head("repeated-headers")
    assert repeated.count(b"Set-Cookie:") == 3
    assert b"X-Custom-HEADER:" in repeated and b"x-custom-header:" in repeated
    gz = records[(SPECIALS["gzip"].url, "response")]
    assert b"Content-Encoding: gzip" in split_head(gz.block)[0]
    assert split_head(gz.block)[1].startswith(b"\x1f\x8b")
    assert b"X-Newsarc-Orig-Transfer-Encoding: chunked" in head("chunked")
    assert head("not-found").startswith(b"HTTP/1.1 404")
    assert head("server-error").startswith(b"HTTP/1.1 500")
    assert split_head(records[(SPECIALS["pdf"].url, "response")].block)[1].startswith(b"%PDF")


def test_huge_page_is_archived_truncated_and_not_parsed(demo_crawl: DemoCrawl) -> None:
    huge = [r for r in demo_crawl.records() if r.target_uri == SPECIALS["huge"].url]
    assert [r.get("WARC-Truncated") for r in huge if r.type == "response"] == ["length"]
    assert demo_crawl.counters["newsarc/refused/too_large"] == 1
    outlinks = [r for r in huge if r.type == "metadata"]
    assert outlinks == []


def test_sources_are_archived_and_robots_sitemaps_followed(demo_crawl: DemoCrawl) -> None:
    uris = {r.target_uri for r in by_type(demo_crawl.records(), "response")}
    for url in (
        "http://globe.test/robots.txt",
        "http://courier.test/robots.txt",
        "http://herald.test/robots.txt",
        "http://wire.test/robots.txt",
        "http://globe.test/rss.xml",
        "http://courier.test/atom.xml",
        "http://herald.test/sitemap_index.xml",
        "http://herald.test/sitemap-pages.xml.gz",
        "http://herald.test/news-sitemap.xml",
    ):
        assert url in uris, url
    gdelt = [u for u in uris if u.startswith("http://gdelt.test/api/v2/doc/doc?")]
    assert len(gdelt) == 1
    assert "startdatetime=20250329000000" in gdelt[0] and "mode=ArtList" in gdelt[0]


def test_metadata_records_carry_discovery_and_outlinks(demo_crawl: DemoCrawl) -> None:
    records = demo_crawl.records()
    response_ids = {r.record_id for r in by_type(records, "response")}
    sources = defaultdict(set)
    for r in by_type(records, "metadata"):
        assert r.get("WARC-Concurrent-To") in response_ids
        fields = dict(line.split(": ", 1) for line in r.block.decode().splitlines() if ": " in line)
        if "discovery" in fields:
            sources[fields["discovery"].split(":", 1)[0]].add(r.target_uri)
    assert {"seed", "link", "feed", "sitemap"} <= set(sources)
    home = next(r for r in by_type(records, "metadata") if r.target_uri == "http://globe.test/")
    assert b"outlink: http://globe.test/" in home.block


def test_robots_disallow_is_obeyed(demo_crawl: DemoCrawl) -> None:
    paths = {(ex.host, ex.path) for ex in demo_crawl.web.exchanges}
    assert not [p for p in paths if p[1].startswith("/private/")]
    assert demo_crawl.counters["robotstxt/forbidden"] >= 2


def test_crawl_delay_spaces_requests_to_that_host(demo_crawl: DemoCrawl) -> None:
    times = sorted(ex.started for ex in demo_crawl.web.exchanges if ex.host == "courier.test")
    assert len(times) >= 5
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # robots.txt is fetched before the delay is known; every later gap honours Crawl-delay: 1
    assert min(gaps[1:]) >= 0.95, gaps
    others = sorted(ex.started for ex in demo_crawl.web.exchanges if ex.host == "globe.test")
    assert min(b - a for a, b in itertools.pairwise(others)) < 0.5


def test_retry_after_is_honoured(demo_crawl: DemoCrawl) -> None:
    for name in ("retry-429", "retry-503"):
        special = SPECIALS[name]
        exchanges = [
            ex
            for ex in demo_crawl.web.exchanges
            if ex.host == special.host and ex.path == special.path
        ]
        assert [ex.status for ex in exchanges] == [special.status, 200], name
        head = split_head(exchanges[0].response_bytes)[0].decode()
        value = next(
            line.split(":", 1)[1].strip()
            for line in head.split("\r\n")
            if line.lower().startswith("retry-after:")
        )
        if value.isdigit():
            wait = float(value)
        else:  # HTTP-date, one-second resolution
            wait = parsedate_to_datetime(value).timestamp() - exchanges[0].started - 1
        assert exchanges[1].started - exchanges[0].started >= wait - 0.05, name
    assert demo_crawl.counters["newsarc/retry_after/waits"] == 2


def test_private_and_metadata_redirects_are_refused(demo_crawl: DemoCrawl) -> None:
    assert demo_crawl.counters["newsarc/refused/private_address"] >= 2
    assert not [ex for ex in demo_crawl.web.exchanges if ex.path == "/internal/admin"]
    uris = {r.target_uri for r in demo_crawl.records()}
    assert not [u for u in uris if "169.254.169.254" in u or "127.0.0.1" in u]
    for name in ("redirect-internal", "redirect-metadata"):
        assert SPECIALS[name].url in uris  # the redirect itself is archived


def test_traps_are_cut(demo_crawl: DemoCrawl) -> None:
    counters = demo_crawl.counters
    assert counters["newsarc/trap/calendar"] >= 1
    served = [ex.path for ex in demo_crawl.web.exchanges]
    calendar = [p for p in served if p.startswith("/calendar/")]
    assert calendar and all("/calendar/2025/" in p for p in calendar)
    assert max(len(p) for p in served) <= 2000
    loop = [p for p in served if p.startswith("/loop/")]
    assert 0 < len(loop) <= 6  # REDIRECT_MAX_TIMES = 5 in the demo event


def test_warcio_check_and_cdxj_indexer_accept_the_files(demo_crawl: DemoCrawl) -> None:
    files = sorted(str(p) for p in demo_crawl.warc_dir.glob("*.warc.gz"))
    assert files and not list(demo_crawl.warc_dir.glob("*.open"))
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *files], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    cdxj = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", *files], capture_output=True, text=True
    )
    assert cdxj.returncode == 0, cdxj.stderr
    lines = cdxj.stdout.splitlines()
    responses = by_type(demo_crawl.records(), "response")
    assert len([line for line in lines if '"status"' in line]) >= len(responses)
    assert any(line.startswith("test,globe)/ ") for line in lines)


def test_summary_reports_the_crawl(demo_crawl: DemoCrawl) -> None:
    stats = demo_crawl.stats
    assert stats["pages"] == len(by_type(demo_crawl.records(), "response"))
    assert stats["warc_files"] == len(list(demo_crawl.warc_dir.glob("*.warc.gz"))) >= 2
    assert stats["warc_bytes"] == sum(p.stat().st_size for p in demo_crawl.warc_dir.glob("*.gz"))
    assert stats["finish_reason"] == "finished"
