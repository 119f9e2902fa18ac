"""HTTP/1.1 chunked transfer-coding: split a raw body into payload and framing, and back.

newsarc's chunked policy (see README, "WARC policy"): a response that arrived with
``Transfer-Encoding: chunked`` is archived with its entity body de-chunked, so that the
WARC-Payload-Digest is the digest of the entity body as the WARC 1.1 spec requires and
every reader (warcio, pywb, cdxj-indexer) sees the same payload. The framing removed
(chunk-size lines with any extensions, the trailer section) is kept in the page's metadata
record, and :func:`rechunk` rebuilds the exact bytes the server sent from the two.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


class ChunkedDecodeError(ValueError):
    """The body is not valid chunked framing."""


@dataclass(frozen=True)
class Framing:
    """What de-chunking removes: the raw chunk-size lines (without CRLF) and the trailer bytes.

    ``trailer`` is everything after the last-chunk line, including the final CRLF.
    """

    size_lines: tuple[bytes, ...]
    trailer: bytes

    def to_json(self) -> str:
        return json.dumps(
            {
                "size_lines": [line.decode("latin-1") for line in self.size_lines],
                "trailer": self.trailer.decode("latin-1"),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Framing:
        data = json.loads(text)
        return cls(
            tuple(line.encode("latin-1") for line in data["size_lines"]),
            data["trailer"].encode("latin-1"),
        )


def dechunk(raw: bytes) -> tuple[bytes, Framing]:
    """Decode a complete chunked body. Raises ChunkedDecodeError on malformed framing."""
    pos = 0
    parts: list[bytes] = []
    lines: list[bytes] = []
    while True:
        eol = raw.find(b"\r\n", pos)
        if eol < 0:
            raise ChunkedDecodeError(f"no chunk-size line at offset {pos}")
        line = raw[pos:eol]
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ChunkedDecodeError(f"bad chunk size {size_text!r} at offset {pos}") from None
        lines.append(line)
        pos = eol + 2
        if size == 0:
            trailer = raw[pos:]
            if not trailer.endswith(b"\r\n"):
                raise ChunkedDecodeError("trailer section does not end with CRLF")
            return b"".join(parts), Framing(tuple(lines), trailer)
        end = pos + size
        if raw[end : end + 2] != b"\r\n":
            raise ChunkedDecodeError(f"chunk at offset {pos} is not followed by CRLF")
        parts.append(raw[pos:end])
        pos = end + 2


def rechunk(body: bytes, framing: Framing) -> bytes:
    """Rebuild the exact chunked bytes from a de-chunked body and its framing."""
    out: list[bytes] = []
    pos = 0
    for line in framing.size_lines[:-1]:
        size = int(line.split(b";", 1)[0].strip(), 16)
        out += [line, b"\r\n", body[pos : pos + size], b"\r\n"]
        pos += size
    if pos != len(body):
        raise ChunkedDecodeError("framing does not match the body length")
    out += [framing.size_lines[-1], b"\r\n", framing.trailer]
    return b"".join(out)
