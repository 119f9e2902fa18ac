"""A server on 127.0.0.1 that answers each path with fixed raw bytes (whatever they say), and
records the requests it read."""

from __future__ import annotations

import socket
import threading

from tests.support import accept_forever


class RawServer:
    """Serves fixed raw HTTP responses by path on 127.0.0.1 and records the requests."""

    def __init__(self, pages: dict[bytes, bytes]) -> None:
        self.pages = pages
        self.requests: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        accept_forever(self.sock, self._handle)

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                request, _, data = data.partition(b"\r\n\r\n")
                self.requests.append(request)
                path = request.split(b" ", 2)[1]
                conn.sendall(self.pages.get(path, NOT_FOUND))
                if b"\r\nconnection: close" in request.lower():
                    return


NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
