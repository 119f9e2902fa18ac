"""A WARC with one full response and a later revisit of each profile (and one real change)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from archive.cdxj.indexing import LiveIndex
from archive.warc import records as warc
from archive.warc.writer import ExchangeLocations
from tests.support.warcs import fixed_writer

URL = "http://globe.test/news/a"
BODY = b"<html><body><p>Wang Yi met Sergey Lavrov in Moscow.</p></body></html>"
NEW_BODY = BODY.replace(b"met", b"held talks with")
REQUEST = b"GET /news/a HTTP/1.1\r\nHost: globe.test\r\nConnection: close\r\n\r\n"


def response(body: bytes, etag: str = '"v1"') -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        + f"ETag: {etag}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


NOT_MODIFIED = b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'


def at(minute: int) -> datetime:
    return datetime(2025, 4, 1, 12, minute, 0, tzinfo=UTC)


def write_revisits(directory: Path) -> tuple[Path, list[ExchangeLocations]]:
    """Full response at 12:00, a 304 at 12:10, the same body at 12:20, a changed body at 12:30."""
    writer = fixed_writer(directory, index=LiveIndex())
    first = writer.write_exchange(warc.HttpExchange(URL, REQUEST, response(BODY), at(0)))
    previous = warc.Previous(
        first.response.record_id,
        URL,
        warc.warc_date(at(0)),
        first.response.payload_digest or "",
    )
    later = [
        warc.HttpExchange(URL, REQUEST, NOT_MODIFIED, at(10), previous=previous),
        warc.HttpExchange(URL, REQUEST, response(BODY), at(20), previous=previous),
        warc.HttpExchange(URL, REQUEST, response(NEW_BODY, '"v2"'), at(30), previous=previous),
    ]
    locations = [first, *(writer.write_exchange(x) for x in later)]
    path = writer.close()
    assert path is not None
    return path, locations
