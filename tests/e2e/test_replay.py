"""Archived demo pages replay through pywb (its own `wayback` server) with their original bodies."""

from __future__ import annotations

import gzip
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.warc.chunked import dechunk
from archive.warc.records import split_head
from crawler.demoweb import SPECIALS, load_manifest
from tests.conftest import DemoCrawl


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pywb(demo_crawl: DemoCrawl, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pywb")
    archive = root / "collections" / "demo" / "archive"
    indexes = root / "collections" / "demo" / "indexes"
    archive.mkdir(parents=True)
    indexes.mkdir()
    for path in demo_crawl.warc_dir.glob("*.warc.gz"):
        shutil.copy(path, archive / path.name)
    index = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", "--sort", *map(str, sorted(archive.iterdir()))],
        capture_output=True,
        check=True,
        text=True,
    )
    (indexes / "index.cdxj").write_text(index.stdout)
    port = free_port()
    bindir = Path(sys.executable).parent
    proc = subprocess.Popen(
        [str(bindir / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # poll readiness with a deadline
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"pywb did not start: {proc.stderr and proc.stderr.read()}"
                ) from None
            time.sleep(0.05)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def served_body(demo_crawl: DemoCrawl, host: str, path: str) -> bytes:
    exchange = next(
        ex
        for ex in demo_crawl.web.exchanges
        if ex.host == host and ex.path == path and ex.status == 200
    )
    return split_head(exchange.response_bytes)[1]


def replay(base: str, url: str) -> tuple[int, bytes, dict[str, str]]:
    with urllib.request.urlopen(f"{base}/demo/id_/{url}") as response:
        return response.status, response.read(), dict(response.headers)


def test_an_archived_article_replays_byte_for_byte(demo_crawl: DemoCrawl, pywb: str) -> None:
    article = next(a for a in load_manifest() if a["host"] == "globe.test" and a["on_event"])
    status, body, _ = replay(pywb, article["url"])
    assert status == 200
    assert body == served_body(demo_crawl, "globe.test", article["path"])


def test_the_chunked_page_replays_its_entity_body(demo_crawl: DemoCrawl, pywb: str) -> None:
    special = SPECIALS["chunked"]
    status, body, _ = replay(pywb, special.url)
    raw = served_body(demo_crawl, special.host, special.path)
    assert status == 200
    assert body == dechunk(raw)[0]


def test_the_gzip_page_replays_to_the_same_html(demo_crawl: DemoCrawl, pywb: str) -> None:
    special = SPECIALS["gzip"]
    _, body, headers = replay(pywb, special.url)
    raw = served_body(demo_crawl, special.host, special.path)
    decoded = gzip.decompress(body) if body.startswith(b"\x1f\x8b") else body
    assert decoded == gzip.decompress(raw)
    assert headers  # pywb answered with headers of its own
