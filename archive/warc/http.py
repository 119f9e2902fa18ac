"""Parse the HTTP message stored in a WARC response block: status, headers, decoded body.

Content-Encoding (gzip, deflate, br, zstd, stacked; :mod:`archive.warc.encodings`) is decoded,
bounded in size. Transfer-coding needs no handling here: newsarc stores chunked bodies
de-chunked (see :mod:`archive.warc.chunked`).
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.errors import ContentDecodingError
from archive.warc import encodings
from archive.warc.records import split_head

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


def parse_response(block: bytes, *, decode: bool = True) -> HttpResponse:
    """The HTTP response in a stored block; with ``decode=False`` the body stays as stored
    (Content-Encoding not undone)."""
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
    if not decode:
        return response
    return HttpResponse(status, response.reason, response.headers, decode_body(response))


def decode_body(response: HttpResponse) -> bytes:
    coding = response.header("Content-Encoding")
    try:
        body, undone = encodings.decode(response.body, coding, MAX_DECODED)
    except ContentDecodingError as exc:
        raise HttpParseError(str(exc)) from None
    if undone:
        raise HttpParseError(f"unsupported Content-Encoding {', '.join(undone)!r}")
    return body
