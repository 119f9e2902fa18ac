"""HTTP/1.1 framing for the demo web: parse requests, serialise replies to exact bytes.

No ``http.server`` helpers: every byte the server writes is built here, so tests can compare
what the crawler archived with what the server sent.
"""

from __future__ import annotations

import html
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import urlsplit

MAX_HEAD_BYTES = 64 * 1024
STREAM_PIECE = 64 * 1024

REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


class BadRequest(Exception):
    """The bytes read are not an HTTP/1.x request we can answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Request:
    """One parsed request; ``raw`` is exactly the bytes read for it (head and body)."""

    method: str
    target: str  # path incl. query, as the client sent it (origin-form)
    version: str
    headers: tuple[tuple[str, str], ...]
    host: str  # lower-cased, port stripped
    raw: bytes

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    @property
    def wants_close(self) -> bool:
        tokens = {t.strip().lower() for t in (self.header("Connection") or "").split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" not in tokens
        return "close" in tokens


@dataclass
class Reply:
    """What to send. ``raw_headers`` means: send ``headers`` exactly, add nothing."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None
    raw_headers: bool = False
    chunks: list[tuple[bytes, str]] | None = None  # (data, chunk extension) for chunked replies
    trailers: list[tuple[str, str]] = field(default_factory=list)
    stream: Callable[[], Iterator[bytes]] | None = None  # lazily produced body of ``length`` bytes
    length: int = 0
    delay: float = 0.0  # seconds to wait before answering (the slow page)
    close: bool = False  # close the connection after this reply


def host_of(value: str) -> str:
    """Strip the port from a Host header value and lower-case it ('[::1]:80' -> '[::1]')."""
    value = value.strip().lower()
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0] if ":" in value else value


class RequestReader:
    """Reads successive requests from one connection, keeping bytes of the next one."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._buf = b""

    def pending(self) -> bytes:
        """Bytes read but not yet consumed by a complete request."""
        return self._buf

    def _fill(self) -> bool:
        data = self._sock.recv(65536)
        if not data:
            return False
        self._buf += data
        return True

    def read(self) -> Request | None:
        """The next request, or None when the peer closed between requests."""
        while b"\r\n\r\n" not in self._buf:
            if len(self._buf) > MAX_HEAD_BYTES:
                raise BadRequest(431, "request head too large")
            if not self._fill():
                if self._buf.strip():
                    raise BadRequest(400, "connection closed inside a request head")
                return None
        end = self._buf.index(b"\r\n\r\n") + 4
        head = self._buf[:end]
        method, target, version, headers = _parse_head(head)
        length = _body_length(headers)
        while len(self._buf) < end + length:
            if not self._fill():
                raise BadRequest(400, "connection closed inside a request body")
        raw = self._buf[: end + length]
        self._buf = self._buf[end + length :]
        target, host = _split_target(target, headers, version)
        return Request(method, target, version, headers, host, raw)


def _parse_head(head: bytes) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    lines = head[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, f"bad request line: {lines[0][:80]!r}")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, f"bad header line: {line[:80]!r}")
        headers.append((name, value.strip()))
    return parts[0], parts[1], parts[2], tuple(headers)


def _body_length(headers: tuple[tuple[str, str], ...]) -> int:
    names = {k.lower(): v for k, v in headers}
    if "transfer-encoding" in names:
        raise BadRequest(501, "chunked request bodies are not supported")
    value = names.get("content-length", "0")
    if not value.isdigit():
        raise BadRequest(400, "bad Content-Length")
    return int(value)


def _split_target(
    target: str, headers: tuple[tuple[str, str], ...], version: str
) -> tuple[str, str]:
    host_header = next((v for k, v in headers if k.lower() == "host"), None)
    if target.startswith(("http://", "https://")):  # absolute-form, as sent to proxies
        parts = urlsplit(target)
        origin = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return origin, host_of(parts.netloc)
    if not target.startswith("/"):
        raise BadRequest(400, "request target must start with '/'")
    if host_header is None:
        if version == "HTTP/1.1":
            raise BadRequest(400, "missing Host header")
        return target, ""
    return target, host_of(host_header)


def status_line(reply: Reply) -> bytes:
    reason = reply.reason if reply.reason is not None else REASONS.get(reply.status, "Unknown")
    return f"HTTP/1.1 {reply.status} {reason}\r\n".encode("latin-1")


def final_headers(reply: Reply, *, closing: bool, chunked: bool) -> list[tuple[str, str]]:
    """The header list as sent: ours (Date, Server) + the reply's + framing + Connection."""
    if reply.raw_headers:
        return list(reply.headers)
    headers = [("Date", formatdate(usegmt=True)), ("Server", "demoweb/1.0"), *reply.headers]
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    else:
        size = reply.length if reply.stream is not None else len(reply.body)
        headers.append(("Content-Length", str(size)))
    if closing:
        headers.append(("Connection", "close"))
    return headers


def encode_headers(headers: list[tuple[str, str]]) -> bytes:
    return b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers) + b"\r\n"


def reply_pieces(reply: Reply, *, closing: bool, head_only: bool, http10: bool) -> Iterator[bytes]:
    """The exact byte pieces of a reply, in order (the huge page is produced lazily)."""
    chunked = reply.chunks is not None and not http10
    if reply.chunks is not None and not chunked:  # HTTP/1.0 clients cannot read chunked framing
        reply = Reply(
            reply.status, b"".join(d for d, _ in reply.chunks), reply.headers, reply.reason
        )
    yield status_line(reply) + encode_headers(
        final_headers(reply, closing=closing, chunked=chunked)
    )
    if head_only:
        return
    if chunked and reply.chunks is not None:
        yield encode_chunks(reply.chunks, reply.trailers)
    elif reply.stream is not None:
        yield from reply.stream()
    elif reply.body:
        yield reply.body


def encode_chunks(chunks: list[tuple[bytes, str]], trailers: list[tuple[str, str]]) -> bytes:
    out = b"".join(f"{len(d):x}{ext}\r\n".encode("latin-1") + d + b"\r\n" for d, ext in chunks)
    return out + b"0\r\n" + encode_headers(trailers)


def error_reply(status: int, message: str, *, close: bool = False) -> Reply:
    text = html.escape(message)
    body = f"<!DOCTYPE html>\n<title>{status}</title>\n<h1>{status}</h1>\n<p>{text}</p>\n"
    return Reply(
        status, body.encode("utf-8"), [("Content-Type", "text/html; charset=utf-8")], close=close
    )
