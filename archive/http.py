"""Parse the HTTP message stored in a WARC response block: status, headers, decoded body.

Content-Encoding (gzip, deflate, br when the brotli module is present) is decoded, bounded in
size. Transfer-coding needs no handling here: newsarc stores chunked bodies de-chunked (see
:mod:`archive.chunked`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from archive.warc import split_head

MAX_DECODED = 64 * 1024 * 1024


class HttpParseError(ValueError):
    """The block is not an HTTP response this module can read."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes  # Content-Encoding decoded

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def header_dict(self) -> dict[str, str]:
        """Last value wins, names lower-cased (what extractors want)."""
        return {k.lower(): v for k, v in self.headers}


def parse_response(block: bytes) -> HttpResponse:
    head, body = split_head(block)
    lines = head.decode("latin-1").split("\r\n")
    # the final response's status line follows any interim 1xx heads
    starts = [i for i, line in enumerate(lines) if line.startswith("HTTP/")]
    if not starts:
        raise HttpParseError("no HTTP status line")
    status_line = lines[starts[-1]]
    parts = status_line.split(" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        raise HttpParseError(f"bad status line {status_line!r}") from None
    headers = []
    for line in lines[starts[-1] + 1 :]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    response = HttpResponse(status, parts[2] if len(parts) > 2 else "", tuple(headers), body)
    return HttpResponse(status, response.reason, response.headers, decode_body(response))


def decode_body(response: HttpResponse) -> bytes:
    body = response.body
    coding = (response.header("Content-Encoding") or "").lower()
    for step in reversed([c.strip() for c in coding.split(",") if c.strip()]):
        if step in ("gzip", "x-gzip"):
            body = _inflate(body, 31)
        elif step == "deflate":
            try:
                body = _inflate(body, 15)
            except HttpParseError:
                body = _inflate(body, -15)  # raw deflate, as some servers send
        elif step == "br":
            try:
                import brotli
            except ImportError:
                raise HttpParseError("brotli-encoded body and no brotli module") from None
            body = brotli.decompress(body)
        elif step != "identity":
            raise HttpParseError(f"unsupported Content-Encoding {step!r}")
    return body


def _inflate(data: bytes, wbits: int) -> bytes:
    decomp = zlib.decompressobj(wbits)
    try:
        out = decomp.decompress(data, MAX_DECODED)
    except zlib.error as exc:
        raise HttpParseError(f"corrupt compressed body: {exc}") from None
    if decomp.unconsumed_tail:
        raise HttpParseError(f"decoded body larger than {MAX_DECODED} bytes")
    return out
