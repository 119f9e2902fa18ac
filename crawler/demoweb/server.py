"""DemoWeb: a raw-socket HTTP/1.1 server on 127.0.0.1 with virtual hosts and an exchange log.

Every request and response is recorded byte-for-byte as an ``Exchange``, so tests can compare
what a crawler archived with what was on the wire. Crawlers reach ``http://globe.test/`` by
connecting to ``connect_to()["globe.test"]`` (curl's ``--connect-to`` idea).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType

from .catalog import HOSTS
from .protocol import BadRequest, Reply, Request, RequestReader, error_reply, reply_pieces
from .site import Site

log = logging.getLogger(__name__)
IDLE_TIMEOUT = 30.0  # seconds a kept-alive connection may wait for its next request
STOP_JOIN_TIMEOUT = 5.0


@dataclass(frozen=True)
class Exchange:
    """One request and the response to it, exactly as read and written."""

    host: str
    path: str  # request target incl. query
    request_bytes: bytes
    response_bytes: bytes
    complete: bool  # False if the client hung up (or the server stopped) mid-response
    method: str = ""
    status: int = 0
    started: float = 0.0  # time.time() when the request had been read


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], web: DemoWeb):
        self.web = web
        super().__init__(address, _Handler)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.web._serve_connection(self.request)


class DemoWeb:
    """The bundled news web. Use as a context manager, or call start() and stop()."""

    hosts: tuple[str, ...] = HOSTS

    def __init__(
        self,
        *,
        slow_seconds: float = 2.0,
        huge_bytes: int = 12 * 1024 * 1024,
        port: int = 0,
        address: str = "127.0.0.1",
        edition: int = 0,
        redesigned: tuple[str, ...] = (),
        shuffle: int | None = None,
    ):
        self.edition = edition  # the web in time: see demoweb/editions.py
        self.redesigned = frozenset(redesigned)  # hosts serving a redesigned article template
        self.shuffle = shuffle  # seed of a random link order on listing pages (None: fixed)
        self.slow_seconds = slow_seconds
        self.huge_bytes = huge_bytes
        self._address = (address, port)
        self._server: _Server | None = None
        self._site: Site | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._logged = threading.Condition(self._lock)
        self._exchanges: list[Exchange] = []
        self._delayed = 0  # delayed replies (the slow page) begun since start
        self._conns: dict[socket.socket, threading.Thread] = {}

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> DemoWeb:
        if self._server is not None:
            raise RuntimeError("DemoWeb already started")
        self._stopping.clear()
        self._server = _Server(self._address, self)
        self._site = self._new_site()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def _new_site(self) -> Site:
        return Site(
            port=self.port,
            slow_seconds=self.slow_seconds,
            huge_bytes=self.huge_bytes,
            edition=self.edition,
            redesigned=self.redesigned,
            shuffle=self.shuffle,
        )

    def redesign(self, *hosts: str) -> None:
        """From the next request on, ``hosts`` serve their redesigned article template (only
        The Herald has one: its body moves into a script-rendered app shell)."""
        self.redesigned = frozenset(hosts)
        if self._server is not None:
            self._site = self._new_site()

    def advance(self, editions: int = 1) -> None:
        """Move the web on in time: the next request is answered by a later edition."""
        self.edition += editions
        if self._server is not None:
            self._site = self._new_site()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            conns = dict(self._conns)
        for conn in conns:
            _quiet_shutdown(conn)
        for thread in conns.values():
            thread.join(STOP_JOIN_TIMEOUT)
        if self._thread is not None:
            self._thread.join(STOP_JOIN_TIMEOUT)

    def __enter__(self) -> DemoWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("DemoWeb not started")
        return int(self._server.server_address[1])

    def connect_to(self) -> dict[str, str]:
        """Where to connect for each virtual host: {"globe.test": "127.0.0.1:PORT", ...}."""
        address = f"{self._address[0]}:{self.port}"
        return {host: address for host in self.hosts}

    def url(self, host: str, path: str = "/") -> str:
        if host not in self.hosts:
            raise ValueError(f"unknown demo host {host!r}; expected one of {self.hosts}")
        return f"http://{host}{path if path.startswith('/') else '/' + path}"

    # -- exchange log -------------------------------------------------------------------------

    @property
    def exchanges(self) -> list[Exchange]:
        """A copy of every exchange so far, in the order responses finished."""
        with self._lock:
            return list(self._exchanges)

    def exchanges_for(self, host: str, path: str | None = None) -> list[Exchange]:
        """Exchanges for ``host`` (and exactly ``path`` incl. query, if given)."""
        return [e for e in self.exchanges if e.host == host and (path is None or e.path == path)]

    def clear_exchanges(self) -> None:
        with self._lock:
            self._exchanges.clear()

    def wait_for(
        self, predicate: Callable[[list[Exchange]], bool], timeout: float = 10.0
    ) -> list[Exchange]:
        """Block until ``predicate(exchanges)`` holds (checked on every new exchange).

        Returns the exchanges; raises TimeoutError if it does not hold within ``timeout``.
        """
        with self._logged:
            if not self._logged.wait_for(lambda: predicate(list(self._exchanges)), timeout):
                raise TimeoutError(f"demo web: condition not met within {timeout} s")
            return list(self._exchanges)

    def wait_for_delayed(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until ``count`` delayed replies (the slow page) have begun since the start:
        the client that asked for the last one is waiting for it now (for slow_seconds)."""
        with self._logged:
            if not self._logged.wait_for(lambda: self._delayed >= count, timeout):
                raise TimeoutError(f"demo web: {count} delayed replies not begun in {timeout} s")

    def _record(self, exchange: Exchange) -> None:
        with self._logged:
            self._exchanges.append(exchange)
            self._logged.notify_all()

    # -- serving ------------------------------------------------------------------------------

    def _serve_connection(self, conn: socket.socket) -> None:
        with self._lock:
            self._conns[conn] = threading.current_thread()
        try:
            conn.settimeout(IDLE_TIMEOUT)
            reader = RequestReader(conn)
            while not self._stopping.is_set() and self._serve_one(conn, reader):
                pass
        finally:
            with self._lock:
                self._conns.pop(conn, None)

    def _serve_one(self, conn: socket.socket, reader: RequestReader) -> bool:
        """Read one request and answer it; False when the connection should close."""
        try:
            req = reader.read()
        except BadRequest as exc:
            reply = error_reply(exc.status, str(exc), close=True)
            self._write(conn, None, reader.pending(), reply, time.time())
            return False
        except OSError:  # timeout, reset, or shut down by stop()
            return False
        if req is None:
            return False
        started = time.time()
        assert self._site is not None
        try:
            reply = self._site.respond(req)
        except Exception:  # a bug in a page must not kill the server; answer 500 and log
            log.exception("demoweb: error answering %s %s", req.host, req.target)
            reply = error_reply(500, "Internal error in the demo web.", close=True)
        return self._write(conn, req, req.raw, reply, started)

    def _write(
        self, conn: socket.socket, req: Request | None, raw: bytes, reply: Reply, started: float
    ) -> bool:
        closing = reply.close or req is None or req.wants_close or self._stopping.is_set()
        if reply.delay:
            with self._logged:
                self._delayed += 1
                self._logged.notify_all()
            if self._stopping.wait(reply.delay):
                closing = True
        pieces = reply_pieces(
            reply,
            closing=closing,
            head_only=req is not None and req.method == "HEAD",
            http10=req is not None and req.version == "HTTP/1.0",
        )
        sent, complete = self._send(conn, pieces)
        self._record(
            Exchange(
                host=req.host if req else "",
                path=req.target if req else "",
                request_bytes=raw,
                response_bytes=sent,
                complete=complete,
                method=req.method if req else "",
                status=reply.status,
                started=started,
            )
        )
        return complete and not closing

    def _send(self, conn: socket.socket, pieces: Iterator[bytes]) -> tuple[bytes, bool]:
        sent = bytearray()
        try:
            for piece in pieces:
                if self._stopping.is_set() and sent:
                    return bytes(sent), False
                view = memoryview(piece)
                while view:
                    n = conn.send(view)
                    sent += view[:n]
                    view = view[n:]
        except OSError:  # BrokenPipe, ConnectionReset, timeout: the client hung up
            return bytes(sent), False
        return bytes(sent), True


def _quiet_shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
