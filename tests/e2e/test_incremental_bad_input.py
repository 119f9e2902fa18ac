"""Servers that get validators wrong: a bogus ETag is sent back as received, a 304 to an
unconditional request is archived as it came and counted; the crawls go on."""

from __future__ import annotations

import json
from pathlib import Path

from archive.warc import records as warc
from tests.conftest import SLUG, newsarc, warc_records
from tests.e2e.test_transport_crawls import event_file
from tests.support.pages import ARTICLE
from tests.support.rawserver import RawServer

BOGUS_ETAG = 'not "quoted" properly, W/'


def page(headers: str, body: bytes = ARTICLE) -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n{headers}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def test_bogus_etag_and_unsolicited_304(tmp_path: Path) -> None:
    server = RawServer(
        {
            b"/bogus": page(f"ETag: {BOGUS_ETAG}\r\n"),
            b"/unsolicited": b'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n',
        }
    )
    event = event_file(tmp_path, ["http://odd.test/bogus", "http://odd.test/unsolicited"])
    args = ["--out", str(tmp_path / "out"), "--json", "--connect-to",
            f"odd.test=127.0.0.1:{server.port}"]  # fmt: skip
    first = newsarc("crawl", str(event), *args)
    assert first.returncode == 0, first.stderr[-2000:]
    assert json.loads(first.stdout)["counters"]["newsarc/incremental/unexpected_304"] == 1
    assert json.loads(first.stdout)["counters"]["newsarc/incremental/odd_etag"] == 1
    again = newsarc("crawl", str(event), *args, "--full")
    assert again.returncode == 0, again.stderr[-2000:]
    sent = [r for r in server.requests if r.startswith(b"GET /bogus")]
    assert len(sent) == 2
    assert b"\r\nIf-None-Match: " + BOGUS_ETAG.encode() in sent[1]  # sent back as received
    records = warc_records(tmp_path / "out" / SLUG / "warc")
    bogus = [
        r for r in records if r.target_uri.endswith("/bogus") and r.type in ("response", "revisit")
    ]
    assert [r.type for r in bogus] == ["response", "revisit"]
    assert bogus[1].get("WARC-Profile") == warc.REVISIT_IDENTICAL  # a 200 again, same payload
    unsolicited = [r for r in records if r.target_uri.endswith("/unsolicited")]
    assert any(r.type == "response" and r.block.startswith(b"HTTP/1.1 304") for r in unsolicited)
