"""archive.cdxj.index / archive.cdxj.lookup: byte-identical to cdxj-indexer, and binary-search
lookups."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.cdxj.index import (
    CdxjEntry,
    cdxj_bytes,
    index_warc,
    is_indexed,
    merge_sorted,
    parse_line,
    response_line,
    sort_lines,
    surt_key,
)
from archive.cdxj.indexing import LiveIndex, index_name
from archive.cdxj.lookup import closest, lookup, match_key
from archive.cdxj.sources import FileSource
from archive.warc import records as warc
from archive.warc.reader import iter_records
from archive.warc.writer import WarcWriter
from tests.support.cdxj import (
    EXCHANGES,
    LONG_URL,
    capture,
    probe_urls,
    reference,
    synthetic_index,
)


def fixed_writer(directory: Path, chunk_lines: int = 20_000) -> WarcWriter:
    ids = (f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>" for n in itertools.count(1))
    ticks = (
        datetime(2025, 4, 1, 12, 0, tzinfo=UTC) + timedelta(seconds=n) for n in itertools.count()
    )
    return WarcWriter(
        directory,
        "cdxj",
        host="testhost",
        clock=lambda: next(ticks),
        record_id=lambda: next(ids),
        # the writer's own index: <directory>/../cdxj/<name>.cdxj
        index=LiveIndex(chunk_lines=chunk_lines),
    )


def writer_line(exchange: warc.HttpExchange, location: warc.RecordLocation) -> str:
    """What the WARC writer passes to response_line: the stored head, the digest it wrote."""
    stored = warc.response_block(exchange.response_bytes)
    head, _ = warc.split_head(stored.block)
    has_digest = bool(head) and stored.block.startswith(b"HTTP/")  # as exchange_records decides
    return response_line(
        url=exchange.url,
        warc_date=warc.warc_date(exchange.date),
        http_head=head if has_digest else stored.block,
        payload_digest=stored.payload_digest if has_digest else None,
        offset=location.offset,
        length=location.length,
        filename=location.filename,
    )


@pytest.fixture(params=[20_000, 2], ids=["in-memory", "spilled-runs"])
def crafted(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, list[str]]:
    """A WARC of every EXCHANGES case, metadata records; and the writer-time lines. The writer's
    live index either keeps every line in memory or spills sorted runs of two lines to disk."""
    writer = fixed_writer(tmp_path / "warc", request.param)
    lines = []
    start = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    for n, (url, response) in enumerate([*EXCHANGES, EXCHANGES[-1]]):
        exchange = warc.HttpExchange(
            url=url,
            request_bytes=b"GET / HTTP/1.1\r\nHost: news.test\r\n\r\n",
            response_bytes=response,
            date=start + timedelta(hours=n),
            ip_address="127.0.0.1",
            truncated="length" if n == 3 else None,
        )
        loc = writer.write_exchange(exchange)
        lines.append(writer_line(exchange, loc.response))
        if n == 0:
            assert loc.framing is not None  # the chunked one: a framing metadata record
            writer.write_metadata(url, loc.response.record_id, [("outlinks", "http://x.test/")])
    path = writer.close()
    assert path is not None
    return path, lines


def test_index_of_written_warc_is_identical_to_cdxj_indexer(
    crafted: tuple[Path, list[str]],
) -> None:
    path, _ = crafted
    with path.open("rb") as fh:
        ours = index_warc(fh, str(path))
    assert len(ours) == len(EXCHANGES) + 1  # every response, no request, warcinfo or metadata
    assert cdxj_bytes(sort_lines(ours)) == reference(path)
    by_url = {parse_line(line).url: parse_line(line) for line in ours}
    chunked = by_url["http://news.test/chunked"]
    assert (chunked.mime, chunked.status) == ("text/html", "200")
    assert chunked.digest == warc.sha1_digest(b"<p>hi there!")  # the de-chunked payload
    assert "mime" not in by_url["http://news.test/no-type"].fields
    assert by_url["http://news.test/no-reason"].status == "200"
    assert by_url["http://news.test/moved"].status == "301"
    assert by_url["http://news.test/a%20b"].urlkey == "test,news)/a%20b"
    assert by_url["http://127.0.0.1:8080/page"].urlkey == "1,0,0,127:8080)/page"
    assert "status" not in by_url["http://news.test/empty"].fields
    assert "status" not in by_url["http://news.test/bare-status"].fields
    assert by_url["http://news.test/space-type"].mime == "text/html"
    assert by_url["http://news.test/not-http"].digest == warc.sha1_digest(b"stream")


def test_writer_time_lines_equal_the_index_of_the_written_file(
    crafted: tuple[Path, list[str]],
) -> None:
    path, lines = crafted
    assert cdxj_bytes(sort_lines(lines)) == reference(path)
    with path.open("rb") as fh:
        assert lines == index_warc(fh, path.name)


def test_index_written_by_the_warc_writer_is_identical_to_cdxj_indexer(
    crafted: tuple[Path, list[str]],
) -> None:
    path, _ = crafted
    written = path.parent.parent / "cdxj" / index_name(path.name)
    assert written.read_bytes() == reference(path)


def test_other_record_types_match_cdxj_indexer(tmp_path: Path) -> None:
    date = "2024-05-06T07:08:09Z"
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>x</p>"
    records = [
        ("response", "<http://wget.test/bracketed>", None, http),  # wget's <uri> bug
        ("response", "http://news.test/no-digest", None, http),
        ("response", "http://news.test/empty-digest", "", http),
        ("resource", "http://news.test/r.txt", "text/plain; charset=utf-8", b"text"),
        ("resource", "urn:x-newsarc:fields", "application/warc-fields", b"a: b\r\n"),
        ("resource", "http://news.test/no-type", None, b"data"),
        ("metadata", "http://news.test/m", "application/json", b"{}"),
        ("metadata", "http://news.test/m", "application/warc-fields", b"a: b\r\n"),
        ("revisit", "http://news.test/rev", None, http[:-8]),
        ("revisit", "http://news.test/rev-empty", None, b""),
        (
            "request",
            "http://news.test/a",
            "application/http;msgtype=request",
            b"GET / HTTP/1.1\r\n\r\n",
        ),
    ]
    members = []
    for n, (rec_type, url, ctype, block) in enumerate(records):
        fields = [("WARC-Record-ID", f"<urn:uuid:{n}>"), ("WARC-Date", date)]
        fields.append(("WARC-Target-URI", url))
        if rec_type == "revisit" and block:
            fields.append(("WARC-Payload-Digest", "sha1:REVISITED"))
        if ctype == "":
            fields.append(("WARC-Payload-Digest", ""))  # empty: warcio computes one
        elif ctype:
            fields.append(("Content-Type", ctype))
        members.append(warc.gzip_member(warc.build_record(rec_type, fields, block)))
    path = tmp_path / "foreign.warc.gz"
    path.write_bytes(b"".join(members))
    with path.open("rb") as fh:
        ours = index_warc(fh, str(path))
    assert len(ours) == 8
    assert cdxj_bytes(sort_lines(ours)) == reference(path)
    with path.open("rb") as fh:
        again = [
            response_line(
                url=r.target_uri,
                warc_date=date,
                http_head=r.block,
                payload_digest=r.get("WARC-Payload-Digest"),
                offset=r.offset,
                length=r.length,
                filename=path.name,
                rec_type=r.type,
                content_type=r.get("Content-Type"),
            )
            for r in iter_records(fh)
            if is_indexed(r.type, r.get("Content-Type"))
        ]
    assert again == ours
    with pytest.raises(ValueError, match="does not index"):
        response_line(url="http://x.test/", warc_date=date, http_head=None, payload_digest=None,
                      offset=0, length=1, filename="f", rec_type="metadata",
                      content_type="application/warc-fields")  # fmt: skip


def test_sort_and_merge_order_and_dedupe() -> None:
    a = ["b 1 {}", "a 2 {}", "a 1 {}", "a 1 {}"]
    assert sort_lines(a) == ["a 1 {}", "a 2 {}", "b 1 {}"]
    assert sort_lines([line + "\n" for line in a]) == sort_lines(a)
    merged = list(merge_sorted([["a 1 {}\n", "c 1 {}\n"], ["a 1 {}", "b 1 {}"], [], ["c 1 {}"]]))
    assert merged == ["a 1 {}", "b 1 {}", "c 1 {}"]


def test_parse_line_round_trips() -> None:
    line = response_line(
        url="http://News.test/x?b=1&a=2",
        warc_date="2024-01-02T03:04:05.678Z",
        http_head=b"HTTP/1.1 404 Nope\r\nContent-Type: text/html; charset=x\r\n\r\n",
        payload_digest="sha1:ABC",
        offset=10,
        length=20,
        filename="/somewhere/f.warc.gz",
    )
    entry = parse_line(line + "\n")
    assert entry.urlkey == surt_key("http://News.test/x?b=1&a=2") == "test,news)/x?a=2&b=1"
    assert entry.timestamp == "20240102030405"
    assert (entry.url, entry.mime, entry.status, entry.digest) == (
        "http://News.test/x?b=1&a=2", "text/html", "404", "sha1:ABC",
    )  # fmt: skip
    assert (entry.offset, entry.length, entry.filename) == (10, 20, "f.warc.gz")
    assert list(entry.fields) == ["url", "mime", "status", "digest", "length", "offset", "filename"]
    assert entry.to_line() == line
    for bad in ["", "onlykey", "k 2024", "k 2024 [1]", "k 2024 {nope"]:
        with pytest.raises(ValueError):
            parse_line(bad)


# -- lookups ------------------------------------------------------------------------------------


def scan(lines: list[str], url: str, prefix: bool = False) -> list[CdxjEntry]:
    key = match_key(url, prefix=prefix)
    return [parse_line(line) for line in lines if line.startswith(key)]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    lines = synthetic_index()
    path = tmp_path_factory.mktemp("cdxj") / "index.cdxj"
    path.write_bytes(cdxj_bytes(lines))
    return path, lines


def test_lookup_exact_finds_what_a_scan_finds(index: tuple[Path, list[str]]) -> None:
    path, lines = index
    with FileSource(path, block_size=512, cache_blocks=0) as source:
        for url in probe_urls(lines):
            assert lookup(source, url) == scan(lines, url), url
        assert lookup(source, parse_line(lines[0]).url or "")[0] == parse_line(lines[0])
        assert lookup(source, parse_line(lines[-1]).url or "")[-1] == parse_line(lines[-1])
        assert lookup(source, "http://aaa.aaa/") == lookup(source, "http://zzz.zzz/") == []


def test_lookup_prefix_is_host_or_path(index: tuple[Path, list[str]]) -> None:
    path, lines = index
    with FileSource(path, block_size=512) as source:
        host = lookup(source, "http://news1.test/", prefix=True)
        assert host == scan(lines, "http://news1.test/", prefix=True)
        assert host and all(e.urlkey.startswith("test,news1)/") for e in host)
        assert sum("news1.test" in line for line in lines) == len(host)  # not news10.test …
        section = lookup(source, "http://news2.test/section/1", prefix=True)
        assert {(e.url or "").split("/")[4] for e in section} <= {"1", *map(str, range(10, 40))}
        assert section == scan(lines, "http://news2.test/section/1", prefix=True)
        assert lookup(source, "http://news2.test/section/1/", prefix=True) == [
            e for e in section if (e.url or "").split("/")[4] == "1"
        ]
        assert len(lookup(source, "http://news3.test/", prefix=True, limit=3)) == 3


def test_lookup_long_lines_and_runs_spanning_blocks(index: tuple[Path, list[str]]) -> None:
    path, lines = index
    with FileSource(path, block_size=256, cache_blocks=4) as source:
        busy = lookup(source, "http://busy.test/live")
        assert len(busy) == 300 and busy == scan(lines, "http://busy.test/live")
        assert [e.timestamp for e in busy] == sorted(e.timestamp for e in busy)
        assert lookup(source, "http://busy.test/live", limit=5) == busy[:5]
        long = lookup(source, LONG_URL)
        assert len(long) == 1 and long[0].url == LONG_URL  # a line of ~3.2 KB, 13 blocks
        assert len(lookup(source, LONG_URL, prefix=True)) == 2
        assert lookup(source, "http://long.test/") == []


def test_lookup_reads_are_logarithmic_and_cached(index: tuple[Path, list[str]]) -> None:
    path, lines = index
    block = 1024
    bound = math.log2(path.stat().st_size / block) + 4
    urls = [u for u in probe_urls(lines) if len(scan(lines, u)) <= 4 and "long" not in u]
    warm = FileSource(path, block_size=block)
    for url in urls:
        with FileSource(path, block_size=block) as cold:
            assert lookup(cold, url) == scan(lines, url)
            assert cold.reads <= bound, (url, cold.reads, bound)
        lookup(warm, url)
    assert path.stat().st_size / block > 400  # so that a scan would cost far more
    before = warm.reads
    assert lookup(warm, urls[5]) == scan(lines, urls[5])
    assert warm.reads == before  # served from the cache
    assert before < len(urls) * bound / 2
    warm.close()


def test_lookup_small_and_empty_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.cdxj"
    empty.write_bytes(b"")
    with FileSource(empty) as source:
        assert lookup(source, "http://a.test/") == []
        assert source.reads == 0
    one = capture("http://a.test/", 1)
    single = tmp_path / "one.cdxj"
    single.write_bytes(one.encode())  # no trailing newline
    with FileSource(single, block_size=16) as source:
        assert lookup(source, "http://a.test/") == [parse_line(one)]
        assert lookup(source, "http://b.test/") == []


def entries(*stamps: str) -> list[CdxjEntry]:
    return [CdxjEntry("k", ts, {"url": f"u{n}"}) for n, ts in enumerate(stamps)]


def test_closest_pads_like_pywb_and_breaks_ties_earlier() -> None:
    caps = entries("20240101000000", "20240515120000", "20240601000000", "20241231000000")
    assert closest(caps, None) == caps[3]
    assert closest([], "2024") is None
    assert closest(caps, "20240515") == caps[1]  # 2024-05-15 23:59:59
    assert closest(caps, "202405") == caps[2]  # 2024-05-31 23:59:59: nearer 06-01 than 05-15
    assert closest(caps, "2024") == caps[3]  # end of 2024
    assert closest(caps, "1999") == caps[0]
    tie = entries("20240101000000", "20240101000010")
    assert closest(tie, "20240101000005") == tie[0]
    same = entries("20240101000000", "20240101000000")
    assert closest(same, None) is same[0] and closest(same, "2024") is same[0]
    for bad in ["", "2024-05", "123456789012345", "abc"]:
        with pytest.raises(ValueError):
            closest(caps, bad)


def test_merge_sorted_streams_its_inputs() -> None:
    pulled = [0]

    def numbered(prefix: str) -> Iterator[str]:
        for n in range(1_000_000):
            pulled[0] += 1
            yield f"{prefix} {n:07d} {{}}\n"

    merged = merge_sorted([numbered("b"), numbered("a"), numbered("a")])
    assert list(itertools.islice(merged, 3)) == ["a 0000000 {}", "a 0000001 {}", "a 0000002 {}"]
    assert pulled[0] < 10
