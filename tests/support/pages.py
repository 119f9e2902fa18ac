"""One article page under every Content-Encoding the web uses (the transport tests)."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import brotlicffi
from backports import zstd

from tests.conftest import SLUG

ARTICLE = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
    "<title>Wang Yi meets Lavrov in Moscow</title>"
    "<meta name='author' content='Anna Petrova'>"
    "<meta property='article:published_time' content='2025-04-01T10:00:00Z'></head><body>"
    "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article>"
    "<h1>Wang Yi meets Lavrov in Moscow</h1><p>By Anna Petrova, 1 April 2025</p>"
    + "".join(
        f"<p>Paragraph {i}: Chinese Foreign Minister Wang Yi held talks with Russian Foreign "
        "Minister Sergey Lavrov in Moscow on Tuesday, as the two countries prepared for the "
        "strategic security consultations and discussed the war in Ukraine and the coming "
        "Victory Day celebrations in the Russian capital.</p>"
        for i in range(1, 7)
    )
    + "</article><footer>Copyright 2025 The Test Gazette</footer></body></html>"
).encode()


def deflate_raw(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


ENCODED: dict[str, tuple[str, bytes]] = {  # name -> (Content-Encoding, body)
    "br": ("br", brotlicffi.compress(ARTICLE)),
    "zstd": ("zstd", zstd.compress(ARTICLE)),
    "gzip": ("gzip", gzip.compress(ARTICLE, mtime=0)),
    "x-gzip": ("x-gzip", gzip.compress(ARTICLE, mtime=0)),
    "GZIP": ("GZIP", gzip.compress(ARTICLE, mtime=0)),
    "deflate-zlib": ("deflate", zlib.compress(ARTICLE)),
    "deflate-raw": ("deflate", deflate_raw(ARTICLE)),
    "gzip-br": ("gzip, br", brotlicffi.compress(gzip.compress(ARTICLE, mtime=0))),
    "identity": ("identity", ARTICLE),
}


def articles(out: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in (out / SLUG / "articles").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            found[record["url"]] = record
    return found
