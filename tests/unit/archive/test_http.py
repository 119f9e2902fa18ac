"""archive.warc.http: the HTTP message inside a response record."""

from __future__ import annotations

import gzip
import zlib

import pytest

from archive.warc.http import HttpParseError, parse_response


def test_headers_status_and_gzip_body() -> None:
    body = gzip.compress(b"<html>hello</html>")
    block = (
        b"HTTP/1.1 200 Splendidly Fine\r\nContent-Type: text/html\r\nSet-Cookie: a=1\r\n"
        b"Set-Cookie: b=2\r\nContent-Encoding: gzip\r\n\r\n" + body
    )
    http = parse_response(block)
    assert (http.status, http.reason) == (200, "Splendidly Fine")
    assert http.body == b"<html>hello</html>"
    assert [v for k, v in http.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert http.header_dict()["content-type"] == "text/html"


def test_interim_response_and_raw_deflate() -> None:
    raw = zlib.compressobj(wbits=-15)
    data = raw.compress(b"abc") + raw.flush()
    block = (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Nope\r\nContent-Encoding: deflate\r\n\r\n"
        + data
    )
    http = parse_response(block)
    assert http.status == 404 and http.body == b"abc"


@pytest.mark.parametrize(
    "block",
    [
        b"garbage",
        b"HTTP/1.1 abc\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nnot-gzip",
    ],
)
def test_bad_blocks_raise_a_clear_error(block: bytes) -> None:
    with pytest.raises(HttpParseError):
        parse_response(block)
