"""Keep-alive in the capture handler: connections are reused, every exchange is still archived
byte for byte on its own, and a connection the server closed while idle is retried once."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.warc.reader import iter_records
from crawler.capture.connpool import ConnectionPool
from tests.support.crawlrun import run_crawls

PAGES = [f"/p{i}" for i in range(6)]


class KeepAliveServer:
    """HTTP/1.1 on 127.0.0.1 that keeps connections open and logs each exchange's exact bytes.

    ``answer`` is how many requests a connection gets answers for; the next one is read and the
    connection closed without a reply (a server that dropped an idle connection just as the
    client reused it). None: answer all.
    """

    def __init__(self, answer: int | None = None) -> None:
        self.answer = answer
        self.exchanges: list[tuple[int, bytes, bytes]] = []  # (connection, request, response)
        self.connections = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        buffer, served = b"", 0
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                request = head + b"\r\n\r\n"
                if self.answer is not None and served >= self.answer:
                    with self._lock:
                        self.dropped += 1
                    return  # closes without a reply
                path = request.split(b" ", 2)[1].decode()
                links = "".join(f'<a href="{p}">{p}</a>' for p in PAGES)
                body = f"<html><body><h1>{path}</h1>{links}</body></html>".encode()
                reply = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                conn.sendall(reply)
                served += 1
                with self._lock:
                    self.exchanges.append((number, request, reply))


def settings(warc_dir: Path, **extra: Any) -> dict[str, Any]:
    return {
        "DOWNLOAD_HANDLERS": {"http": "crawler.capture.handler.CaptureDownloadHandler"},
        "EXTENSIONS": {"pipelines.warc.WarcService": 100},
        "NEWSARC_WARC_DIR": str(warc_dir),
        "NEWSARC_ALLOW_PRIVATE_ADDRESSES": True,
        "NEWSARC_CDXJ": False,
        "ROBOTSTXT_OBEY": False,
        # one request at a time (a delay: Scrapy can exceed the per-domain concurrency for
        # requests enqueued in the same event-loop turn), so each reuses the last connection
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": 0.1,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        **extra,
    }


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("keepalive")
    servers = {"keep": KeepAliveServer(), "drop": KeepAliveServer(answer=1)}
    servers["off"] = KeepAliveServer()
    scenarios = {
        "keep": {"settings": settings(tmp / "keep"), "urls": [servers["keep"].url("/p0")]},
        "drop": {"settings": settings(tmp / "drop"), "urls": [servers["drop"].url("/p0")]},
        "off": {
            "settings": settings(tmp / "off", NEWSARC_KEEPALIVE=False),
            "urls": [servers["off"].url("/p0")],
        },
    }
    for sc in scenarios.values():
        sc["follow"] = True
    result = run_crawls(scenarios)
    yield {"servers": servers, "result": result, "tmp": tmp}
    for server in servers.values():
        server.close()


def responses(warc_dir: Path) -> list[tuple[bytes, bytes]]:
    """(request block, response block) of every exchange in the crawl's WARCs (the response
    record comes first, then its request)."""
    out, response = [], None
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in iter_records(fh):
                if record.type == "response":
                    response = record.block
                elif record.type == "request":
                    assert response is not None
                    out.append((record.block, response))
                    response = None
    return out


def test_one_connection_serves_every_page_and_each_exchange_is_archived_exactly(
    crawls: dict[str, Any],
) -> None:
    server, stats = crawls["servers"]["keep"], crawls["result"]["keep"]["stats"]
    assert sorted(url for url, _ in crawls["result"]["keep"]["responses"]) == sorted(
        server.url(p) for p in PAGES
    )
    assert server.connections == 1
    assert stats["newsarc/fetch/connection_opened"] == 1
    assert stats["newsarc/fetch/connection_reused"] == len(PAGES) - 1
    archived = responses(crawls["tmp"] / "keep")
    sent = [(request, reply) for _, request, reply in server.exchanges]
    assert sorted(archived) == sorted(sent)  # byte for byte, one record pair per exchange
    assert all(b"\r\nConnection: keep-alive\r\n" in request for request, _ in archived)


def test_a_connection_closed_by_the_server_on_reuse_is_retried_once(
    crawls: dict[str, Any],
) -> None:
    server, stats = crawls["servers"]["drop"], crawls["result"]["drop"]["stats"]
    assert sorted(url for url, _ in crawls["result"]["drop"]["responses"]) == sorted(
        server.url(p) for p in PAGES
    )
    assert server.dropped == len(PAGES) - 1  # every reuse met a closed connection
    assert stats["newsarc/fetch/stale_connection_retried"] == server.dropped
    assert server.connections == len(PAGES)
    assert not any(k.startswith("newsarc/fetch/error/") for k in stats)
    # the dropped attempts left nothing in the WARC: exactly the exchanges that were answered
    archived = responses(crawls["tmp"] / "drop")
    assert sorted(archived) == sorted((req, rep) for _, req, rep in server.exchanges)
    assert len(archived) == len(PAGES)


def test_keepalive_off_closes_every_connection(crawls: dict[str, Any]) -> None:
    server, stats = crawls["servers"]["off"], crawls["result"]["off"]["stats"]
    assert server.connections == len(PAGES)
    assert "newsarc/fetch/connection_reused" not in stats
    archived = responses(crawls["tmp"] / "off")
    assert len(archived) == len(PAGES)
    assert all(b"\r\nConnection: close\r\n" in request for request, _ in archived)


def test_pool_drops_idle_connections_past_the_timeout() -> None:
    now = [0.0]
    pool = ConnectionPool(idle_timeout=4.0, clock=lambda: now[0])

    class Transport:
        closed = False

        def is_closing(self) -> bool:
            return self.closed

        def close(self) -> None:
            self.closed = True

    class Writer:
        def __init__(self) -> None:
            self.transport = Transport()

        def close(self) -> None:
            self.transport.close()

    class Reader:
        def __init__(self) -> None:
            self._buffer = bytearray()  # what asyncio.StreamReader holds unread

        def at_eof(self) -> bool:
            return False

    import h11

    from crawler.capture.connpool import Connection

    def done_connection() -> Connection:
        c = h11.Connection(h11.CLIENT)
        c.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
        c.send(h11.EndOfMessage())
        c.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        while c.next_event() is not h11.NEED_DATA and c.their_state is not h11.DONE:
            pass
        return Connection(Reader(), Writer(), c)  # type: ignore[arg-type]

    key = ("http", "a", "127.0.0.1", 80)
    fresh, old = done_connection(), done_connection()
    assert pool.give(key, old)
    now[0] = 5.0
    assert pool.give(key, fresh)
    assert pool.take(key) is fresh  # most recent first
    assert pool.take(key) is None  # the old one was past the timeout: dropped and closed
    assert old.writer.transport.is_closing()
    # bytes nobody asked for arrived while idle: never hand them to the next request
    chatty = done_connection()
    assert pool.give(key, chatty)
    chatty.reader._buffer += b"HTTP/1.1 200 OK\r\n"  # type: ignore[attr-defined]
    assert pool.take(key) is None
    assert chatty.writer.transport.is_closing()
