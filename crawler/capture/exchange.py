"""One HTTP/1.1 exchange on an h11 connection: the bytes as they arrive, and what they mean.

The capture handler (``crawler/capture/handler.py``) sends the request bytes itself; this module
reads the response into a :class:`Capture`: every byte received (``raw``, for the WARC), the
status, the headers as sent, the de-framed body, and whether the message was complete or cut
(``truncated``: ``length`` over the page size limit; the handler adds ``time``/``disconnect``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11

from crawler.capture.connpool import Connection

READ_SIZE = 65536


class Capture:
    """Bytes and parsed state of one exchange in progress."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.raw = bytearray()
        self.body = bytearray()
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.complete = False
        self.truncated: str | None = None


async def send_and_read(conn: Connection, wire: bytes, cap: Capture, maxsize: int) -> None:
    """Send ``wire`` (one request) on ``conn`` and read its response into ``cap``."""
    conn.h11.send(h11_request(wire))
    conn.h11.send(h11.EndOfMessage())
    conn.writer.write(wire)
    await conn.writer.drain()
    await read_response(conn.h11, conn.reader, cap, maxsize)


async def read_response(
    conn: h11.Connection, reader: asyncio.StreamReader, cap: Capture, maxsize: int
) -> None:
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(READ_SIZE)
            if maxsize and len(cap.body) + len(data) > maxsize and cap.status:
                cap.raw += data
                cap.truncated = "length"
                return
            cap.raw += data
            conn.receive_data(data)
        elif isinstance(event, h11.Response):
            cap.status = event.status_code
            cap.headers = list(event.headers.raw_items())
            length = content_length(cap.headers)
            if maxsize and length is not None and length > maxsize:
                cap.truncated = "length"
                return
        elif isinstance(event, h11.Data):
            cap.body += event.data
        elif isinstance(event, h11.EndOfMessage):
            cap.complete = True
            return
        elif isinstance(event, h11.ConnectionClosed):
            return


def content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def h11_request(wire: bytes) -> h11.Request:
    """The h11 event matching ``wire``: h11 needs it to know how to frame the response."""
    head = wire.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    method, target, _ = head[0].split(b" ", 2)
    headers: list[Any] = [tuple(line.split(b":", 1)) for line in head[1:]]
    headers = [(k.strip(), v.strip()) for k, v in headers]
    return h11.Request(method=method, target=target, headers=headers)
