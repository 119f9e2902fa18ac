"""A WARC writer with a fixed clock and record ids, and a sample exchange: golden-file bytes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.warc import records as warc
from archive.warc.writer import WarcWriter

CHUNKED = (
    b"HTTP/1.1 200 Splendidly Fine\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
    b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n"
    b"5;ext=1\r\n<p>hi\r\n7\r\n there!\r\n0\r\nX-Trailer: yes\r\n\r\n"
)


def fixed_writer(directory: Path, **kwargs: object) -> WarcWriter:
    ids = (f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>" for n in itertools.count(1))
    start = datetime(2025, 4, 1, 12, 0, tzinfo=UTC)
    ticks = (start + timedelta(seconds=n) for n in itertools.count())
    return WarcWriter(
        directory,
        "golden",
        host="testhost",
        info=[("software", "newsarc-test")],
        clock=lambda: next(ticks),
        record_id=lambda: next(ids),
        **kwargs,  # type: ignore[arg-type]
    )


def exchange(url: str = "http://globe.test/a", response: bytes = CHUNKED) -> warc.HttpExchange:
    return warc.HttpExchange(
        url=url,
        request_bytes=b"GET /a HTTP/1.1\r\nHost: globe.test\r\nConnection: close\r\n\r\n",
        response_bytes=response,
        date=datetime(2025, 4, 1, 12, 0, 0, 123456, tzinfo=UTC),
        ip_address="127.0.0.1",
    )
