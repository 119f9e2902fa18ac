"""The exact HTTP/1.1 request bytes newsarc sends for a Scrapy Request, and their archived form.

Header order is: Host, then the Request's headers in the order Scrapy's middlewares set them,
then Content-Length (if there is a body) and ``Connection: keep-alive`` (or ``close`` when
connections are not reused). Credentials never reach a
WARC: ``Authorization`` and ``Proxy-Authorization`` values are replaced by ``[redacted]`` in
the archived request record (the only difference from the bytes sent), and user:password in a
URL is never sent in the request line. ``Proxy-Authorization`` goes only to a forward proxy.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from scrapy import Request

_SKIP = {b"host", b"connection", b"content-length", b"proxy-connection", b"keep-alive"}
_SECRET = re.compile(rb"(?im)^((?:proxy-)?authorization[ \t]*:[ \t]*)[^\r\n]*")


def request_target(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _ascii_host(value: str) -> bytes:
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        host, sep, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
        return host.encode("idna") + sep.encode() + port.encode()


def absolute_target(url: str) -> bytes:
    """The absolute-form request target sent to a forward proxy (no credentials, no fragment)."""
    scheme = urlsplit(url).scheme.encode("ascii")
    return scheme + b"://" + _ascii_host(host_header(url)) + request_target(url).encode("ascii")


def build_request_bytes(
    request: Request,
    *,
    keep_alive: bool = False,
    absolute_form: bool = False,
    proxy_auth: bool = False,
) -> bytes:
    """The request as sent. ``absolute_form`` for a forward proxy; ``Proxy-Authorization`` is
    sent only when ``proxy_auth`` (to a forward proxy: a tunnel's went on the CONNECT)."""
    if absolute_form:
        target = absolute_target(request.url)
    else:
        target = request_target(request.url).encode("ascii")
    lines = [
        request.method.encode("ascii") + b" " + target + b" HTTP/1.1",
        b"Host: " + _ascii_host(host_header(request.url)),
    ]
    for name, values in request.headers.items():
        lower = name.lower()
        if lower in _SKIP or (lower == b"proxy-authorization" and not proxy_auth):
            continue
        for value in values:
            lines.append(name + b": " + value)
    body = request.body or b""
    if body or request.method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}".encode())
    lines.append(b"Connection: keep-alive" if keep_alive else b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def redact_for_archive(wire: bytes) -> bytes:
    head, sep, body = wire.partition(b"\r\n\r\n")
    return _SECRET.sub(rb"\1[redacted]", head) + sep + body
