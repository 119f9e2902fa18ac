"""Revisit records (WARC 1.1 §6.7): both profiles, as warcio and cdxj-indexer read them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.cdxj.indexing import index_path_for
from archive.warc import records as warc
from tests.support.cdxj import reference
from tests.support.revisits import URL, write_revisits


def test_not_modified_and_identical_payloads_become_revisits(tmp_path: Path) -> None:
    path, locations = write_revisits(tmp_path / "warc")
    assert [loc.revisit for loc in locations] == [
        None,
        warc.REVISIT_NOT_MODIFIED,
        warc.REVISIT_IDENTICAL,
        None,  # the body changed: a full response
    ]
    with path.open("rb") as fh:
        records = [r for r in ArchiveIterator(fh) if r.rec_type in ("response", "revisit")]
    original, not_modified, identical, changed = records
    assert original.rec_type == "response" and changed.rec_type == "response"
    profiles = ((not_modified, "server-not-modified"), (identical, "identical-payload"))
    for record, profile in profiles:
        h = record.rec_headers
        assert record.rec_type == "revisit"
        assert h.get_header("WARC-Profile").startswith("http://netpreserve.org/warc/1.1/revisit/")
        assert profile in h.get_header("WARC-Profile")
        assert h.get_header("WARC-Refers-To") == original.rec_headers.get_header("WARC-Record-ID")
        assert h.get_header("WARC-Refers-To-Target-URI") == URL
        assert h.get_header("WARC-Refers-To-Date") == original.rec_headers.get_header("WARC-Date")
        assert h.get_header("WARC-Payload-Digest") == original.rec_headers.get_header(
            "WARC-Payload-Digest"
        )
    assert not_modified.http_headers.get_statuscode() == "304"
    assert identical.rec_headers.get_header("WARC-Truncated") == "length"
    assert identical.content_stream().read() == b""  # the body is the original's: not stored again
    assert locations[1].response.payload_digest == locations[0].response.payload_digest


def test_warcio_check_passes(tmp_path: Path) -> None:
    path, _ = write_revisits(tmp_path / "warc")
    done = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_writers_index_of_revisits_is_cdxj_indexers(tmp_path: Path) -> None:
    path, _ = write_revisits(tmp_path / "warc")
    ours = index_path_for(path).read_bytes()
    assert ours == reference(path)
    assert ours.count(b'"mime": "warc/revisit"') == 2
