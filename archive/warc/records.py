"""WARC/1.1 record building: bytes in, one gzip member per record out.

Pure functions, no I/O and no clock: the caller passes record ids and dates, so output
bytes are deterministic and can be compared with golden files (as warcio's tests do).

Revisits (WARC 1.1 §6.7): an exchange that carries the :class:`Previous` full response of its
URL is written as a ``revisit`` record instead of a ``response`` when the server answered 304 to
a conditional request (profile ``server-not-modified``: the 304's head is the block) or sent a
payload with the same digest (profile ``identical-payload-digest``: the HTTP head only,
``WARC-Truncated: length``). Both carry ``WARC-Refers-To``, ``WARC-Refers-To-Target-URI``,
``WARC-Refers-To-Date`` and the original's ``WARC-Payload-Digest``, with the WARC **1.1** profile
URIs (warcio writes 1.0's by default). A revisit always refers to a full response.

Digests: ``WARC-Block-Digest`` and ``WARC-Payload-Digest`` are SHA-1 in base32
(``sha1:…``), the form Heritrix, wget, warcio and pywb write and compare. The payload is
the HTTP entity body with any transfer-coding removed (WARC 1.1 §6.3.2); see
:mod:`archive.warc.chunked` for the chunked policy.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from zlib_ng import zlib_ng

from archive.warc.chunked import ChunkedDecodeError, Framing, dechunk

WARC_VERSION = b"WARC/1.1"
TE_PREFIX = b"X-Newsarc-Orig-"
_CRLF2 = b"\r\n\r\n"
_TE_LINE = re.compile(rb"(?im)^(transfer-encoding)([ \t]*:[ \t]*)([^\r\n]*)\r\n")


@dataclass(frozen=True)
class RecordLocation:
    """Where one record lives: enough to range-read it back."""

    filename: str
    offset: int
    length: int
    record_id: str
    payload_digest: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "offset": self.offset,
            "length": self.length,
            "record_id": self.record_id,
            "payload_digest": self.payload_digest,
        }


REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


@dataclass(frozen=True)
class Previous:
    """The last full response of a URL, which a re-fetch may turn out to revisit."""

    record_id: str
    target_uri: str
    date: str  # its WARC-Date
    payload_digest: str


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP exchange as it crossed the wire."""

    url: str
    request_bytes: bytes
    response_bytes: bytes
    date: datetime
    ip_address: str | None = None
    truncated: str | None = None  # WARC-Truncated reason: "length", "time", "disconnect"
    previous: Previous | None = None  # for a re-fetch: what a revisit record would refer to


@dataclass(frozen=True)
class ResponseBlock:
    """A response record's block, its payload, and the chunked framing removed (if any).

    For a revisit: the stored block (the HTTP head, or the whole 304), no payload or framing,
    the original's payload digest, and the revisit profile."""

    block: bytes
    payload: bytes
    framing: Framing | None
    payload_digest: str  # WARC-Payload-Digest of ``payload``
    profile: str | None = None  # WARC-Profile of a revisit record

    @property
    def record_type(self) -> str:
        return "response" if self.profile is None else "revisit"


def sha1_digest(*parts: bytes) -> str:
    h = hashlib.sha1()
    for part in parts:
        h.update(part)
    return "sha1:" + base64.b32encode(h.digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date with microseconds, always UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def split_head(message: bytes) -> tuple[bytes, bytes]:
    """Split an HTTP message into head (including the blank line) and body.

    Interim 1xx responses stay in the head. A message without a complete head is all head.
    """
    start = 0
    while True:
        end = message.find(_CRLF2, start)
        if end < 0:
            return message, b""
        end += 4
        if not re.match(rb"HTTP/\d(?:\.\d)? 1\d\d\b", message[start:end]) or message[
            start:end
        ].startswith(b"HTTP/1.1 101"):
            return message[:end], message[end:]
        start = end


def response_block(response_bytes: bytes) -> ResponseBlock:
    """Apply the chunked policy to the bytes received for one response."""
    head, body = split_head(response_bytes)
    match = None
    for m in _TE_LINE.finditer(head):
        match = m
    if match is None or not match.group(3).strip().lower().endswith(b"chunked"):
        return ResponseBlock(response_bytes, body, None, sha1_digest(body))
    try:
        payload, framing = dechunk(body)
    except ChunkedDecodeError:
        # Keep what the server sent; the payload digest then covers the raw body.
        return ResponseBlock(response_bytes, body, None, sha1_digest(body))
    head = head[: match.start()] + TE_PREFIX + head[match.start() :]
    return ResponseBlock(head + payload, payload, framing, sha1_digest(payload))


def restore_response_bytes(block: bytes, framing: Framing | None) -> bytes:
    """Inverse of :func:`response_block`: the exact bytes the server sent."""
    if framing is None:
        return block
    from archive.warc.chunked import rechunk

    head, payload = split_head(block)
    idx = head.lower().rfind(TE_PREFIX.lower() + b"transfer-encoding")
    head = head[:idx] + head[idx + len(TE_PREFIX) :]
    return head + rechunk(payload, framing)


def build_record(warc_type: str, fields: Iterable[tuple[str, str]], block: bytes) -> bytes:
    """Serialise one uncompressed WARC record (header, block, two CRLFs)."""
    lines = [WARC_VERSION, f"WARC-Type: {warc_type}".encode()]
    for name, value in fields:
        if "\r" in value or "\n" in value:
            raise ValueError(f"WARC header {name} contains a line break")
        lines.append(f"{name}: {value}".encode())
    lines.append(f"Content-Length: {len(block)}".encode())
    return b"\r\n".join(lines) + _CRLF2 + block + _CRLF2


_GZIP_WBITS = 31  # a gzip header and trailer (16 + 15-bit window)


def gzip_member(record: bytes, level: int = 6) -> bytes:
    """One gzip member per record, mtime 0 so bytes are deterministic.

    zlib-ng's deflate: standard gzip that any reader takes, the same size as zlib's at level 6,
    in 60 % of its CPU (compressing records was ~3 % of a crawl's CPU; benchmarks/README.md).
    """
    return zlib_ng.compress(record, level, _GZIP_WBITS)


def warc_fields(items: Iterable[tuple[str, str]]) -> bytes:
    """An ``application/warc-fields`` block."""
    out = []
    for name, value in items:
        value = value.replace("\r", " ").replace("\n", " ")
        out.append(f"{name}: {value}\r\n")
    return "".join(out).encode("utf-8")


def warcinfo_record(
    *, record_id: str, date: datetime, filename: str, info: Iterable[tuple[str, str]]
) -> bytes:
    fields = [
        ("WARC-Record-ID", record_id),
        ("WARC-Date", warc_date(date)),
        ("WARC-Filename", filename),
        ("Content-Type", "application/warc-fields"),
    ]
    return build_record("warcinfo", fields, warc_fields(info))


def revisit_profile(exchange: HttpExchange, resp: ResponseBlock) -> str | None:
    """The revisit profile this exchange is written with, or None for a full response."""
    previous = exchange.previous
    if previous is None or exchange.truncated or not resp.block.startswith(b"HTTP/"):
        return None
    status_line = resp.block.split(b"\r\n", 1)[0].split(b" ", 2)
    status = status_line[1] if len(status_line) > 1 else b""
    if status == b"304":
        return REVISIT_NOT_MODIFIED
    if status.startswith(b"2") and resp.payload_digest == previous.payload_digest:
        return REVISIT_IDENTICAL
    return None


def exchange_records(
    exchange: HttpExchange,
    *,
    request_id: str,
    response_id: str,
    warcinfo_id: str | None,
) -> tuple[bytes, bytes, ResponseBlock]:
    """The response (or revisit) and request records for one exchange (response first, as
    Heritrix writes)."""
    resp = response_block(exchange.response_bytes)
    profile = revisit_profile(exchange, resp)
    if profile is not None:
        return _revisit_records(exchange, resp, profile, request_id, response_id, warcinfo_id)
    common = _common_fields(exchange, warcinfo_id)
    response_fields = [("WARC-Record-ID", response_id), *common]
    head, _ = split_head(resp.block)
    if head and resp.block.startswith(b"HTTP/"):
        response_fields.append(("WARC-Payload-Digest", resp.payload_digest))
    response_fields.append(("WARC-Block-Digest", sha1_digest(resp.block)))
    if exchange.truncated:
        response_fields.append(("WARC-Truncated", exchange.truncated))
    response_fields.append(("Content-Type", "application/http;msgtype=response"))
    request_fields = [
        ("WARC-Record-ID", request_id),
        *common,
        ("WARC-Concurrent-To", response_id),
        ("WARC-Block-Digest", sha1_digest(exchange.request_bytes)),
        ("Content-Type", "application/http;msgtype=request"),
    ]
    return (
        build_record("response", response_fields, resp.block),
        build_record("request", request_fields, exchange.request_bytes),
        resp,
    )


def _common_fields(exchange: HttpExchange, warcinfo_id: str | None) -> list[tuple[str, str]]:
    common = [("WARC-Date", warc_date(exchange.date)), ("WARC-Target-URI", exchange.url)]
    if warcinfo_id:
        common.append(("WARC-Warcinfo-ID", warcinfo_id))
    if exchange.ip_address:
        common.append(("WARC-IP-Address", exchange.ip_address))
    return common


def _revisit_records(
    exchange: HttpExchange,
    resp: ResponseBlock,
    profile: str,
    request_id: str,
    response_id: str,
    warcinfo_id: str | None,
) -> tuple[bytes, bytes, ResponseBlock]:
    previous = exchange.previous
    assert previous is not None
    head, _ = split_head(exchange.response_bytes)
    # server-not-modified: the 304 as received (no body); identical payload: the head only
    block = exchange.response_bytes if profile == REVISIT_NOT_MODIFIED else head
    common = _common_fields(exchange, warcinfo_id)
    fields = [
        ("WARC-Record-ID", response_id),
        *common,
        ("WARC-Profile", profile),
        ("WARC-Refers-To", previous.record_id),
        ("WARC-Refers-To-Target-URI", previous.target_uri),
        ("WARC-Refers-To-Date", previous.date),
        ("WARC-Payload-Digest", previous.payload_digest),
        ("WARC-Block-Digest", sha1_digest(block)),
    ]
    if profile == REVISIT_IDENTICAL:
        fields.append(("WARC-Truncated", "length"))
    fields.append(("Content-Type", "application/http;msgtype=response"))
    request_fields = [
        ("WARC-Record-ID", request_id),
        *common,
        ("WARC-Concurrent-To", response_id),
        ("WARC-Block-Digest", sha1_digest(exchange.request_bytes)),
        ("Content-Type", "application/http;msgtype=request"),
    ]
    stored = ResponseBlock(block, b"", None, previous.payload_digest, profile)
    return (
        build_record("revisit", fields, block),
        build_record("request", request_fields, exchange.request_bytes),
        stored,
    )


def metadata_record(
    *,
    record_id: str,
    date: datetime,
    target_uri: str,
    refers_to: str,
    warcinfo_id: str | None,
    items: Iterable[tuple[str, str]],
) -> bytes:
    fields = [
        ("WARC-Record-ID", record_id),
        ("WARC-Date", warc_date(date)),
        ("WARC-Target-URI", target_uri),
        ("WARC-Concurrent-To", refers_to),
    ]
    if warcinfo_id:
        fields.append(("WARC-Warcinfo-ID", warcinfo_id))
    fields.append(("Content-Type", "application/warc-fields"))
    return build_record("metadata", fields, warc_fields(items))
