"""Misbehaving responses: odd framing, odd headers, binary bodies, retries and redirects.

Each function returns a ready ``Reply`` (or the bytes of a body); the routing is in ``site.py``.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import struct
import time
import zlib
from collections.abc import Iterator
from email.utils import formatdate

from .protocol import STREAM_PIECE, Reply

INTERNAL_URL = "http://127.0.0.1:{port}/internal/admin"
METADATA_URL = "http://169.254.169.254/latest/meta-data/"


def html(status: int, text: str, charset: str = "utf-8") -> Reply:
    body = text.encode(charset, errors="xmlcharrefreplace")
    return Reply(status, body, [("Content-Type", f"text/html; charset={charset}")])


def redirect(status: int, location: str) -> Reply:
    body = f'<html><body>Moved to <a href="{location}">{location}</a></body></html>\n'
    return Reply(
        status,
        body.encode(),
        [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
    )


def too_many_requests() -> Reply:
    body = b"<html><body><h1>429 Too Many Requests</h1><p>Slow down.</p></body></html>\n"
    return Reply(429, body, [("Retry-After", "1"), ("Content-Type", "text/html; charset=utf-8")])


def unavailable(now: float | None = None) -> Reply:
    """503 with Retry-After as an HTTP-date one to two seconds ahead."""
    when = math.floor(now if now is not None else time.time()) + 2
    body = b"<html><body><h1>Down for maintenance</h1><p>Back shortly.</p></body></html>\n"
    return Reply(
        503,
        body,
        [("Retry-After", formatdate(when, usegmt=True)), ("Content-Type", "text/html")],
    )


def gzipped(text: str) -> Reply:
    """HTML sent with Content-Encoding: gzip whatever the client accepts (deterministic bytes)."""
    body = gzip.compress(text.encode("utf-8"), mtime=0)
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Encoding", "gzip"),
        ("Vary", "Accept-Encoding"),
    ]
    return Reply(200, body, headers)


def chunked(text: str, pieces: int = 4) -> Reply:
    """HTML in several chunks, the first with a chunk extension, ending with a trailer."""
    data = text.encode("utf-8")
    step = max(1, math.ceil(len(data) / pieces))
    parts = [data[i : i + step] for i in range(0, len(data), step)]
    chunks = [(p, ";part=1" if i == 0 else "") for i, p in enumerate(parts)]
    digest = hashlib.sha256(data).hexdigest()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Trailer", "X-Content-SHA256")]
    return Reply(200, headers=headers, chunks=chunks, trailers=[("X-Content-SHA256", digest)])


def repeated_headers(text: str, charset: str) -> Reply:
    """Three Set-Cookie, mixed-case names, an unusual order; sent exactly as listed."""
    body = text.encode(charset, errors="xmlcharrefreplace")
    headers = [
        ("Content-Length", str(len(body))),
        ("Set-Cookie", "courier_session=8f14e45fceea167a; Path=/; HttpOnly"),
        ("content-type", f"text/html; charset={charset}"),
        ("Set-Cookie", "courier_ab=B; Path=/; Max-Age=86400"),
        ("X-Custom-HEADER", "first"),
        ("Set-Cookie", "courier_consent=0; Path=/; SameSite=Lax"),
        ("x-custom-header", "second"),
        ("Cache-Control", "private, max-age=0"),
        ("SERVER", "Apache/1.3.41 (Unix) PHP/4.4.9"),
        ("date", formatdate(usegmt=True)),
    ]
    return Reply(200, body, headers, raw_headers=True)


def pdf_bytes(title: str) -> bytes:
    """A small valid one-page PDF (correct xref offsets)."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf(title: str) -> Reply:
    return Reply(200, pdf_bytes(title), [("Content-Type", "application/pdf")])


def png_bytes() -> bytes:
    """A 1x1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def huge(size: int) -> Reply:
    """``size`` bytes of HTML, produced piece by piece (never held whole in memory)."""
    head = b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Complete archive</title>'
    head += b"</head><body><h1>The complete Metro Herald archive</h1>\n"
    tail = b"</body></html>\n"
    unit = b"<p>Archive entry: council notices, match reports and weather for the week.</p>\n"

    def pieces() -> Iterator[bytes]:
        if size <= len(head) + len(tail):
            yield (head + tail)[:size]
            return
        yield head
        middle = size - len(head) - len(tail)
        per_piece = max(1, STREAM_PIECE // len(unit))
        full, rest = divmod(middle, len(unit))
        while full > 0:
            n = min(full, per_piece)
            yield unit * n
            full -= n
        yield b" " * rest + tail

    return Reply(
        200, headers=[("Content-Type", "text/html; charset=utf-8")], stream=pieces, length=size
    )
