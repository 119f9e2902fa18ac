"""WARC exchanges of every shape a writer may meet, and cdxj-indexer's reference output."""

from __future__ import annotations

import gzip
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.cdxj.index import (
    parse_line,
    response_line,
    sort_lines,
)
from archive.warc import records as warc

CHUNKED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n"
    b"\r\n5;ext=1\r\n<p>hi\r\n7\r\n there!\r\n0\r\nX-Trailer: yes\r\n\r\n"
)


GZ = gzip.compress(b"<html><p>gzipped</p></html>", mtime=0)


OK_HTML = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>page</p>"


# (url, response bytes as received): every case the writer may meet
EXCHANGES: list[tuple[str, bytes]] = [
    ("http://news.test/chunked", CHUNKED),
    (
        "http://news.test/gzip",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n" % len(GZ) + GZ,
    ),
    ("http://news.test/no-type", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
    ("http://news.test/charset", CHUNKED.replace(b"Transfer-Encoding: chunked\r\n", b"")),
    ("http://news.test/no-reason", b"HTTP/1.1 200\r\nContent-Type: text/plain\r\n\r\nx"),
    ("http://news.test/missing", b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\nno"),
    (
        "http://news.test/moved",
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://news.test/new\r\n"
        b"Content-Length: 0\r\n\r\n",
    ),
    ("http://пример.test/новости/статья?q=ü", OK_HTML),
    ("http://news.test/%D0%BD%D0%BE%D0%B2/?q=%C3%BC", OK_HTML),
    ("http://News.test:80/a/b?z=1&a=2#section-3", OK_HTML),
    ("http://127.0.0.1:8080/page", OK_HTML),
    ("http://[::1]:8080/page", OK_HTML),
    ("https://secure.test/x", OK_HTML),
    ("http://news.test/" + "segment/" * 400 + "?x=" + "y" * 3000, OK_HTML),
    ("http://news.test/a b", OK_HTML),  # warcio reads a space in WARC-Target-URI as %20
    (
        "http://news.test/dup-type",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + OK_HTML[17:],
    ),
    ("http://news.test/empty-type", b"HTTP/1.1 200 OK\r\nContent-Type:\r\n\r\nx"),
    ("http://news.test/odd-type", b"HTTP/1.1 200 OK\r\ncontent-type:  TEXT/HTML ;x=1\r\n\r\nx"),
    ("http://news.test/space-type", b"HTTP/1.1 200 OK\r\nContent-Type: text/html x=1\r\n\r\nx"),
    ("http://news.test/bare-status", b"HTTP/1.1\r\n\r\nbody"),
    ("http://news.test/leading-crlf", b"\r\n" + OK_HTML),
    ("http://news.test/latin1", b"HTTP/1.1 200 OK\r\nContent-Type: t\xe9xt/html\r\n\r\nx"),
    ("http://news.test/utf8", "HTTP/1.1 200 OK\r\nContent-Type: tëxt/html\r\n\r\nx".encode()),
    ("http://news.test/http10", b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG"),
    ("http://news.test/interim", b"HTTP/1.1 100 Continue\r\n\r\n" + OK_HTML),
    ("http://news.test/folded", b"HTTP/1.1 200 OK\r\nContent-Type: text/html;\r\n x=1\r\n\r\nx"),
    ("http://news.test/bad-status", b"HTTP/1.1 abc weird\r\nContent-Type: text/html\r\n\r\nx"),
    ("http://news.test/lf-only", b"HTTP/1.1 200 OK\nContent-Type: text/html\n\nbody"),
    ("http://news.test/not-http", b"ICY 200 OK\r\nicy-name: radio\r\n\r\nstream"),
    ("http://news.test/empty", b""),
    ("http://news.test/a", OK_HTML),  # captured twice below (different dates)
]


def reference(*paths: Path) -> bytes:
    """``cdxj-indexer --sort`` output for ``paths``, as bytes."""
    proc = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", "--sort", *map(str, paths)],
        capture_output=True,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    return proc.stdout


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"


BASE = datetime(2024, 3, 1, tzinfo=UTC)


LONG_URL = "http://long.test/" + "p" * 3000


def capture(url: str, hours: int, offset: int = 0) -> str:
    return response_line(
        url=url,
        warc_date=warc.warc_date(BASE + timedelta(hours=hours)),
        http_head=HEAD,
        payload_digest=f"sha1:{offset:032d}",
        offset=offset,
        length=1000 + offset % 977,
        filename="idx-00001.warc.gz",
    )


def synthetic_index(hosts: int = 60, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    lines: list[str] = []
    for h in range(hosts):
        for p in range(rng.randint(1, 40)):
            url = f"http://news{h}.test/section/{p}/story-{rng.randint(0, 99)}.html"
            lines += [
                capture(url, rng.randint(0, 5000), len(lines)) for _ in range(rng.randint(1, 4))
            ]
    lines += [capture("http://busy.test/live", n, len(lines) + n) for n in range(300)]
    lines += [capture(LONG_URL, 1), capture(LONG_URL + "/x", 2)]
    return sort_lines(lines)


def probe_urls(lines: list[str]) -> list[str]:
    urls = [str(parse_line(line).url) for line in lines]
    return [
        *sorted({*urls[:3], *urls[-3:], *random.Random(1).sample(urls, 60)}),
        "http://aaa.aaa/",  # sorts before every line
        "http://zzz.zzz/",  # after every line
        "http://news1.test/nothing-here",
        "http://news1.test/section/",  # a prefix of real keys: no exact match
    ]
