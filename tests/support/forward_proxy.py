"""A real HTTP forward proxy on 127.0.0.1 (port 0), as Squid or tinyproxy behave for a client.

- absolute-form requests (``GET http://host/path HTTP/1.1``) are forwarded in origin form, without
  the ``Proxy-*`` headers, with ``Via`` added to the response, one upstream connection each;
- ``CONNECT host:port`` opens a tunnel and relays bytes both ways untouched;
- with ``credentials`` set, a request without the matching ``Proxy-Authorization`` gets 407;
- ``refuse`` lists hosts it answers 403 for (an access-control list);
- ``hosts`` maps names to ``IP:PORT`` (the proxy's own DNS: the client cannot resolve them).

``log`` records ``(method, target, proxy_authorization)`` per request, in arrival order.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
from types import TracebackType

from tests.support import accept_forever


class ForwardProxy:
    def __init__(
        self,
        *,
        hosts: dict[str, str] | None = None,
        credentials: tuple[str, str] | None = None,
        refuse: frozenset[str] = frozenset(),
    ) -> None:
        self.hosts = {k.lower(): v for k, v in (hosts or {}).items()}
        self.credentials = credentials
        self.refuse = refuse
        self.log: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, with_credentials: bool = True) -> str:
        if self.credentials and with_credentials:
            user, password = self.credentials
            return f"http://{user}:{password}@127.0.0.1:{self.port}"
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._sock.close()

    def targets(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [t for m, t, _ in self.log if method is None or m == method]

    def _serve(self) -> None:
        accept_forever(self._sock, self._client)

    def _upstream(self, authority: str, default_port: int) -> tuple[str, int]:
        host, _, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
        mapped = self.hosts.get(f"{host}:{port}".lower()) or self.hosts.get(host.lower())
        if mapped:
            ip, _, mport = mapped.rpartition(":")
            return ip, int(mport)
        return host, int(port or default_port)

    def _client(self, conn: socket.socket) -> None:
        with contextlib.closing(conn), contextlib.suppress(OSError):  # the client hung up
            self._converse(conn)

    def _converse(self, conn: socket.socket) -> None:
        buffered = b""
        while True:
            head, buffered = _read_head(conn, buffered)
            if head is None:
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = [tuple(x.split(":", 1)) for x in lines[1:] if ":" in x]
            auth = next((v.strip() for k, v in headers if k.lower() == "proxy-authorization"), None)
            with self._lock:
                self.log.append((method, target, auth))
            if not self._authorized(auth):
                conn.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
                )
                continue
            host = target.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
            if host.lower() in self.refuse:
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                continue
            if method == "CONNECT":
                self._tunnel(conn, target, buffered)
                return
            length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
            while len(buffered) < length:
                buffered += conn.recv(65536)
            body, buffered = buffered[:length], buffered[length:]
            if not self._forward(conn, method, target, headers, body):
                return

    def _authorized(self, auth: str | None) -> bool:
        if self.credentials is None:
            return True
        user, password = self.credentials
        return auth == "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def _forward(
        self,
        conn: socket.socket,
        method: str,
        target: str,
        headers: list[tuple[str, ...]],
        body: bytes,
    ) -> bool:
        """Relay one absolute-form request; False when the client connection must close."""
        rest = target.split("://", 1)[1]
        authority, _, path = rest.partition("/")
        kept = [
            f"{k}:{v}"
            for k, v in headers
            if not k.lower().startswith("proxy-") and k.lower() != "connection"
        ]
        request = "\r\n".join([f"{method} /{path} HTTP/1.1", *kept, "Connection: close", "", ""])
        try:
            upstream = socket.create_connection(self._upstream(authority, 80), timeout=10)
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return True
        with contextlib.closing(upstream):
            upstream.sendall(request.encode("latin-1") + body)
            response = b""
            while chunk := upstream.recv(65536):
                response += chunk
        head, sep, rest_bytes = response.partition(b"\r\n\r\n")
        conn.sendall(head + b"\r\nVia: 1.1 test-proxy" + sep + rest_bytes)
        return False  # the response is framed by the origin's close: close ours too

    def _tunnel(self, conn: socket.socket, authority: str, buffered: bytes) -> None:
        try:
            upstream = socket.create_connection(self._upstream(authority, 443), timeout=10)
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if buffered:
            upstream.sendall(buffered)
        relay = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
        relay.start()
        _pipe(conn, upstream)
        relay.join(timeout=10)
        upstream.close()


def _read_head(conn: socket.socket, buffered: bytes) -> tuple[bytes | None, bytes]:
    while b"\r\n\r\n" not in buffered:
        try:
            chunk = conn.recv(65536)
        except OSError:
            return None, b""
        if not chunk:
            return None, b""
        buffered += chunk
    head, _, rest = buffered.partition(b"\r\n\r\n")
    return head, rest


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
