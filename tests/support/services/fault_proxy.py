"""A small fault-injecting HTTP proxy for S3 tests (stdlib only; toxiproxy is not packaged).

Vendored and adapted from ``../shared/reference/real-services/fault_proxy.py``. It sits between
boto3 and a real S3 server on 127.0.0.1 and forwards requests unchanged (the Host header is kept,
so SigV4 signatures stay valid). For the next N requests whose ``"METHOD path"`` contains
``match`` it can inject:

  503 / 500        an S3 XML error ("SlowDown" / "InternalError"), nothing forwarded
  reset            close the client connection without answering, nothing forwarded
  delay            sleep ``seconds``, then forward (client read timeouts)
  truncate         forward, but send only half the response body, then close (IncompleteRead)
  lose             forward (the server acts), then close without answering (lost response)
  cut_upload       read half the request body, then close (connection dropped mid-upload)
  truncate_upload  forward only the first half of the request body, with Content-Length to match
                   (a body damaged on the way: Content-MD5 must catch it)
  bad_length       forward; on HEAD answer a Content-Length one byte larger (a lying server)

``stop()`` closes the listening socket *and* every open client connection, so a stopped proxy
looks exactly like a server that went down.

Python:  p = FaultProxy(("127.0.0.1", 17480)).start(); p.url; p.inject("503", 2, match="PUT")
CLI: python tests/support/services/fault_proxy.py --backend 127.0.0.1:17480 --port 19000
     [--mode 503]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.server
import socket
import threading
import time
from dataclasses import dataclass

HOP = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
    "upgrade", "expect",
}  # fmt: skip
S3_ERR = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{msg}</Message>'
    "<RequestId>fault-proxy</RequestId></Error>"
)
MODES = {
    "503", "500", "reset", "delay", "truncate", "lose", "cut_upload", "truncate_upload",
    "bad_length",
}  # fmt: skip


@dataclass
class Rule:
    mode: str
    remaining: int
    match: str | None
    seconds: float


class FaultProxy:
    def __init__(self, backend: tuple[str, int], port: int = 0, host: str = "127.0.0.1") -> None:
        self.backend = backend
        self.lock = threading.Lock()
        self.rules: list[Rule] = []
        self.counts: dict[str, int] = {}
        self.injected: dict[str, int] = {}
        self.connections: set[socket.socket] = set()
        self.httpd = http.server.ThreadingHTTPServer((host, port), _handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"

    def inject(self, mode: str, count: int = 1, match: str | None = None, seconds: float = 0.0):
        """Fault the next ``count`` requests whose 'METHOD path' contains ``match`` (None: all)."""
        if mode not in MODES:
            raise ValueError(f"unknown fault mode {mode!r}")
        with self.lock:
            self.rules.append(Rule(mode, count, match, seconds))

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()
            self.counts.clear()
            self.injected.clear()

    def pending(self) -> int:
        """Faults injected but not yet triggered."""
        with self.lock:
            return sum(r.remaining for r in self.rules)

    def take(self, method: str, path: str) -> Rule | None:
        with self.lock:
            self.counts[method] = self.counts.get(method, 0) + 1
            for rule in self.rules:
                if rule.remaining > 0 and (rule.match is None or rule.match in f"{method} {path}"):
                    rule.remaining -= 1
                    self.injected[rule.mode] = self.injected.get(rule.mode, 0) + 1
                    return rule
        return None

    def start(self) -> FaultProxy:
        # a short poll interval: stop() returns within 50 ms instead of 0.5 s
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening and drop every open connection (as a crashed server would)."""
        self.httpd.shutdown()
        self.httpd.server_close()
        with self.lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(proxy: FaultProxy) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            with proxy.lock:
                proxy.connections.add(self.connection)

        def finish(self) -> None:
            with proxy.lock:
                proxy.connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        def handle(self) -> None:
            # the client dropped a keep-alive connection, or we cut it on purpose
            with contextlib.suppress(OSError):
                super().handle()

        def _length(self) -> int:
            return int(self.headers.get("Content-Length") or 0)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                out = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()
            n = self._length()
            return self.rfile.read(n) if n else b""

        def _cut(self) -> None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

        def _error(self, status: int, code: str, msg: str) -> None:
            body = S3_ERR.format(code=code, msg=msg).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            rule = proxy.take(self.command, self.path)
            mode = rule.mode if rule else None
            if mode == "cut_upload":
                self.rfile.read(self._length() // 2)
                return self._cut()
            body = self._body()
            if mode == "503":
                return self._error(503, "SlowDown", "Please reduce your request rate.")
            if mode == "500":
                return self._error(500, "InternalError", "We encountered an internal error.")
            if mode == "reset":
                return self._cut()
            if mode == "delay" and rule:
                time.sleep(rule.seconds)
            if mode == "truncate_upload":
                body = body[: len(body) // 2]
            status, reason, headers, data = self._forward(body)
            if mode == "lose":
                return self._cut()
            self.send_response(status, reason)
            for k, v in headers:
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            clen = dict((k.lower(), v) for k, v in headers).get("content-length")
            if self.command != "HEAD":
                clen = str(len(data))
            elif mode == "bad_length" and clen is not None:
                clen = str(int(clen) + 1)
            if clen is not None:
                self.send_header("Content-Length", clen)
            self.end_headers()
            if self.command == "HEAD":
                return
            if mode == "truncate" and len(data) > 1:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                return self._cut()
            self.wfile.write(data)

        def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
            conn = http.client.HTTPConnection(*proxy.backend, timeout=300)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                if "Content-Length" in self.headers or body:
                    headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                return resp.status, resp.reason, resp.getheaders(), resp.read()
            finally:
                conn.close()

        def _safe(self) -> None:
            try:
                self._handle()
            except OSError:
                self.close_connection = True  # the client gave up (timeout) or we cut it

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _safe

    return Handler


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="127.0.0.1:17480")
    ap.add_argument("--port", type=int, default=19000)
    ap.add_argument("--mode")
    ap.add_argument("--count", type=int, default=1_000_000)
    a = ap.parse_args()
    h, p = a.backend.rsplit(":", 1)
    fp = FaultProxy((h, int(p)), a.port)
    if a.mode:
        fp.inject(a.mode, a.count)
    print(f"fault proxy {fp.url} -> {a.backend} mode={a.mode}", flush=True)
    fp.httpd.serve_forever()
