"""A scripted HTTP/1.1 server on 127.0.0.1 (port 0) that records when each request arrives.

Each path maps to a list of replies served in order, the last one repeating; unknown paths get
404. ``hits`` holds ``(path_with_query, time.monotonic())`` in arrival order, taken before the
reply is written, so tests compare server-side timestamps instead of sleeping.

    with RecordingServer({"/robots.txt": [Reply(body=b"Crawl-delay: 1")]}) as server:
        server.url("/robots.txt")  # -> "http://127.0.0.1:PORT/robots.txt"
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

HeaderValue = str | Callable[[], str]


@dataclass(frozen=True)
class Reply:
    """One scripted response; a header value may be a callable evaluated when serving."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, HeaderValue] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"


def html_links(*hrefs: str) -> bytes:
    """A small HTML page linking to *hrefs*."""
    links = "".join(f'<a href="{h}">{i}</a>\n' for i, h in enumerate(hrefs))
    return f"<!DOCTYPE html><html><body>\n{links}</body></html>\n".encode()


class RecordingServer:
    """Threaded server; use as a context manager. Thread-safe ``hits`` and ``count()``."""

    def __init__(self, routes: Mapping[str, Sequence[Reply]]):
        self.routes = {path: list(replies) for path, replies in routes.items()}
        self.hits: list[tuple[str, float]] = []
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def times(self, path: str | None = None) -> list[float]:
        """Arrival times of requests for *path* (all requests if None), in order."""
        with self._lock:
            return [t for p, t in self.hits if path is None or p == path]

    def paths(self) -> list[str]:
        with self._lock:
            return [p for p, _ in self.hits]

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _next_reply(self, path: str) -> Reply:
        arrived = time.monotonic()
        with self._lock:
            self.hits.append((path, arrived))
            replies = self.routes.get(path)
            if not replies:
                return Reply(404, b"not found", content_type="text/plain")
            n = self._served.get(path, 0)
            self._served[path] = n + 1
            return replies[min(n, len(replies) - 1)]


def _handler_class(server: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            reply = server._next_reply(self.path)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value() if callable(value) else value)
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
