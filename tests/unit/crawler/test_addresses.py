"""The address guard and request serialisation (pure parts of the capture handler)."""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request

from archive.errors import PrivateAddressRefused
from crawler.capture.addresses import parse_connect_to, refusal_reason, resolve
from crawler.capture.wire import build_request_bytes, redact_for_archive


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.5.4", "private"),
        ("fd12::1", "private"),
        ("169.254.1.1", "link_local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_refusal_reason(ip: str, reason: str | None) -> None:
    assert refusal_reason(ip, allow_private=False) == reason


def test_allow_private_never_allows_metadata() -> None:
    assert refusal_reason("127.0.0.1", allow_private=True) is None
    assert refusal_reason("10.0.0.1", allow_private=True) is None
    assert refusal_reason("169.254.169.254", allow_private=True) == "metadata"
    assert refusal_reason("::ffff:169.254.169.254", allow_private=True) == "metadata"


def test_resolve_trusts_connect_to_but_checks_literals() -> None:
    mapping = parse_connect_to({"globe.test": "127.0.0.1:8080"})
    target = asyncio.run(resolve("globe.test", 80, connect_to=mapping, allow_private=False))
    assert (target.ip, target.port, target.trusted) == ("127.0.0.1", 8080, True)
    with pytest.raises(PrivateAddressRefused, match="loopback"):
        asyncio.run(resolve("127.0.0.1", 80, connect_to=mapping, allow_private=False))
    with pytest.raises(PrivateAddressRefused, match="metadata"):
        asyncio.run(resolve("169.254.169.254", 80, connect_to={}, allow_private=True))
    with pytest.raises(PrivateAddressRefused, match="localhost resolves to"):
        asyncio.run(resolve("localhost", 80, connect_to={}, allow_private=False))


def test_connect_to_cannot_point_at_metadata() -> None:
    mapping = parse_connect_to({"evil.test": "169.254.169.254:80"})
    with pytest.raises(PrivateAddressRefused):
        asyncio.run(resolve("evil.test", 80, connect_to=mapping, allow_private=True))
    with pytest.raises(ValueError):
        parse_connect_to({"x.test": "not-an-ip:80"})


def test_request_bytes_keep_header_order_and_redact_credentials() -> None:
    request = Request(
        "http://user:pw@globe.test:8080/a/b?x=1&y=2",
        headers={"Accept": "text/html", "Authorization": "Bearer secret", "X-Mixed-Case": "1"},
    )
    wire = build_request_bytes(request)
    assert wire.startswith(b"GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: globe.test:8080\r\n")
    assert wire.index(b"Accept:") < wire.index(b"Authorization:") < wire.index(b"X-Mixed-Case:")
    assert wire.endswith(b"Connection: close\r\n\r\n")
    assert b"pw" not in wire.split(b"\r\n")[0]
    archived = redact_for_archive(wire)
    assert b"secret" not in archived and b"Authorization: [redacted]" in archived
    assert archived.replace(b"[redacted]", b"Bearer secret") == wire


def test_post_body_gets_content_length() -> None:
    wire = build_request_bytes(Request("http://globe.test/", method="POST", body=b"a=1"))
    assert b"\r\nContent-Length: 3\r\n" in wire and wire.endswith(b"\r\n\r\na=1")
