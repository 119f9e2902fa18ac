"""archive.warc.records / archive.warc.writer / archive.warc.chunked: records, digests, rotation,
determinism."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import records as warc
from archive.warc.chunked import ChunkedDecodeError, Framing, dechunk, rechunk
from tests.support import TEST_DATA
from tests.support.warcs import CHUNKED, exchange, fixed_writer

GOLDEN = TEST_DATA / "golden" / "exchange.warc"


def test_dechunk_and_rechunk_restore_the_exact_bytes() -> None:
    raw = b"5;ext=1\r\n<p>hi\r\n7\r\n there!\r\n0\r\nX-Trailer: yes\r\n\r\n"
    body, framing = dechunk(raw)
    assert body == b"<p>hi there!"
    assert framing.size_lines == (b"5;ext=1", b"7", b"0")
    assert framing.trailer == b"X-Trailer: yes\r\n\r\n"
    assert rechunk(body, Framing.from_json(framing.to_json())) == raw


@pytest.mark.parametrize(
    "raw", [b"zz\r\nabc\r\n0\r\n\r\n", b"5\r\nabc\r\n0\r\n\r\n", b"3\r\nabc\r\n"]
)
def test_dechunk_rejects_malformed_framing(raw: bytes) -> None:
    with pytest.raises(ChunkedDecodeError):
        dechunk(raw)


def test_chunked_policy_dechunks_payload_and_keeps_everything_else() -> None:
    block = warc.response_block(CHUNKED)
    assert block.payload == b"<p>hi there!"
    head, body = warc.split_head(block.block)
    assert b"X-Newsarc-Orig-Transfer-Encoding: chunked\r\n" in head
    assert head.replace(b"X-Newsarc-Orig-", b"") == warc.split_head(CHUNKED)[0]
    assert body == block.payload
    assert warc.restore_response_bytes(block.block, block.framing) == CHUNKED


def test_non_chunked_response_is_stored_verbatim() -> None:
    raw = b"HTTP/1.1 404 Gone Fishing\r\nX-Custom-HEADER: 1\r\nContent-Length: 3\r\n\r\nabc"
    block = warc.response_block(raw)
    assert block.block == raw and block.payload == b"abc" and block.framing is None


def test_writer_output_is_deterministic_and_matches_golden(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        writer = fixed_writer(tmp_path / name)
        writer.write_exchange(exchange())
        writer.write_metadata(
            "http://globe.test/a", "<urn:uuid:x>", [("outlink", "http://globe.test/b")]
        )
        path = writer.close()
        assert path is not None
        outputs.append(gzip.decompress(path.read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0] == GOLDEN.read_bytes()


def test_records_pass_warcio_check_and_locations_read_back(tmp_path: Path) -> None:
    writer = fixed_writer(tmp_path)
    locs = writer.write_exchange(exchange())
    path = writer.close()
    assert path is not None and path.name == "golden-20250401120000000-00000-testhost.warc.gz"
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    data = path.read_bytes()
    member = data[locs.response.offset : locs.response.offset + locs.response.length]
    record = next(iter(ArchiveIterator(io.BytesIO(member))))
    assert record.rec_headers.get_header("WARC-Record-ID") == locs.response.record_id
    assert record.rec_headers.get_header("WARC-Payload-Digest") == locs.response.payload_digest
    assert record.content_stream().read() == b"<p>hi there!"
    assert locs.framing is not None
    with path.open("rb") as fh:
        types = [
            (r.rec_type, r.rec_headers.get_header("WARC-Concurrent-To"))
            for r in ArchiveIterator(fh)
        ]
    assert types == [
        ("warcinfo", None),
        ("response", None),
        ("request", locs.response.record_id),
        ("metadata", locs.response.record_id),
    ]


def test_rotation_names_files_and_keeps_open_suffix_until_closed(tmp_path: Path) -> None:
    writer = fixed_writer(tmp_path, max_size=2000)
    for n in range(6):
        writer.write_exchange(exchange(f"http://globe.test/{n}"))
        assert writer.current_path is not None and writer.current_path.name.endswith(
            ".warc.gz.open"
        )
    writer.close()
    files = sorted(tmp_path.iterdir())
    assert len(files) >= 3
    assert all(f.name.endswith(".warc.gz") for f in files)
    assert [f.name.split("-")[2] for f in files] == [f"{n:05d}" for n in range(len(files))]
    uris = []
    for f in files:
        with f.open("rb") as fh:
            recs = list(ArchiveIterator(fh))
        assert recs[0].rec_type == "warcinfo"
        uris += [
            r.rec_headers.get_header("WARC-Target-URI") for r in recs if r.rec_type == "response"
        ]
    assert uris == [f"http://globe.test/{n}" for n in range(6)]
