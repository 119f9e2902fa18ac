"""Idle HTTP/1.1 connections kept for reuse by the capture handler (keep-alive).

A connection goes back to the pool only after a complete exchange that h11 says may be followed
by another (both sides DONE: no ``Connection: close``, not HTTP/1.0, nothing read past the
response). It is keyed by scheme, server name, IP and port, so a TLS session is reused only for
the name it was verified for. Idle connections older than ``idle_timeout`` (shorter than common
server timeouts: Apache 5 s, nginx 75 s) or already closed by the server are dropped on the way
out; one the server closed at the very moment it was reused is the handler's to retry
(``crawler/capture/handler.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import h11

Key = tuple[str, str, str, int]  # scheme, server name (SNI/Host), IP, port


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    h11: h11.Connection
    idle_since: float = 0.0
    exchanges: int = field(default=0)

    def alive(self) -> bool:
        # bytes that arrived while idle were asked for by nobody: reusing the connection would
        # archive them as the next URL's response (the buffer has no public accessor)
        unsolicited = bool(getattr(self.reader, "_buffer", b""))
        return not (self.writer.transport.is_closing() or self.reader.at_eof() or unsolicited)

    def reusable(self) -> bool:
        trailing, closed = self.h11.trailing_data
        return (
            self.h11.our_state is h11.DONE
            and self.h11.their_state is h11.DONE
            and not trailing
            and not closed
            and self.alive()
        )

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self.writer.wait_closed()


class ConnectionPool:
    def __init__(
        self,
        *,
        idle_timeout: float = 4.0,
        max_idle_per_key: int = 32,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_timeout = idle_timeout
        self.max_idle_per_key = max_idle_per_key
        self.clock = clock
        self._idle: dict[Key, list[Connection]] = {}

    def take(self, key: Key) -> Connection | None:
        """The most recently used live idle connection for ``key``, or None."""
        idle = self._idle.get(key)
        now = self.clock()
        while idle:
            conn = idle.pop()
            if conn.alive() and now - conn.idle_since <= self.idle_timeout:
                return conn
            conn.writer.close()  # stale: the server's end is gone or soon will be
        return None

    def give(self, key: Key, conn: Connection) -> bool:
        """Keep ``conn`` for the next request to ``key``; False (and closed) if it cannot be."""
        idle = self._idle.setdefault(key, [])
        if not conn.reusable() or len(idle) >= self.max_idle_per_key:
            conn.writer.close()
            return False
        conn.h11.start_next_cycle()
        conn.idle_since = self.clock()
        idle.append(conn)
        return True

    def idle_count(self) -> int:
        return sum(len(v) for v in self._idle.values())

    async def close(self) -> None:
        idle, self._idle = self._idle, {}
        await asyncio.gather(*(conn.close() for conns in idle.values() for conn in conns))
