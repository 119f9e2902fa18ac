"""HTTPS: the WARC holds the decrypted HTTP stream, byte for byte."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import SLUG, newsarc, warc_records

PAGES = {
    b"/": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 64\r\n\r\n"
    b"<html><body><a href='/two'>Wang Yi in Moscow</a>...</body></html>",
    b"/two": b"HTTP/1.1 200 Very Secure\r\ncontent-type: text/html\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n6\r\n<html>\r\n7\r\n</html>\r\n0\r\n\r\n",
    b"/robots.txt": b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
}


def self_signed(tmp_path: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secure.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("secure.test")]), False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return ctx


class TlsServer:
    def __init__(self, ctx: ssl.SSLContext) -> None:
        self.ctx = ctx
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.log: list[tuple[bytes, bytes]] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                path = request.split(b" ", 2)[1]
                response = PAGES.get(path, PAGES[b"/robots.txt"])
                tls.sendall(response)
                self.log.append((request, response))
        except (ssl.SSLError, OSError):
            return


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TlsServer]:
    server = TlsServer(self_signed(tmp_path))
    server.thread.start()
    yield server
    server.sock.close()


def test_https_exchanges_are_archived_decrypted_and_exact(
    tmp_path: Path, tls_server: TlsServer
) -> None:
    event = tmp_path / "tls.toml"
    event.write_text(
        f'[event]\nname = "TLS"\nslug = "{SLUG}"\nstart = 2025-03-30\nend = 2025-04-05\n'
        'languages = ["en"]\n[match]\nall = [["Wang Yi"]]\n'
        '[sources]\nseeds = ["https://secure.test/"]\nmax_depth = 1\n'
        "[limits]\ndownload_delay = 0\n"
        '[politeness]\nuser_agent = "newsarc-test (+https://example.org/newsarc)"\n'
    )
    result = newsarc(
        "crawl",
        str(event),
        "--out",
        str(tmp_path / "out"),
        "--connect-to",
        f"secure.test=127.0.0.1:{tls_server.port}",
        "--json",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    records = warc_records(tmp_path / "out" / SLUG / "warc")
    responses = {r.target_uri: r for r in records if r.type == "response"}
    requests = {r.target_uri: r for r in records if r.type == "request"}
    assert set(responses) == {
        "https://secure.test/robots.txt",
        "https://secure.test/",
        "https://secure.test/two",
    }
    served = {req.split(b" ", 2)[1]: (req, resp) for req, resp in tls_server.log}
    for url, record in responses.items():
        path = url.removeprefix("https://secure.test").encode()
        request_bytes, response_bytes = served[path]
        assert requests[url].block == request_bytes
        if path == b"/two":  # chunked policy: de-chunked payload, header renamed
            assert record.block.startswith(b"HTTP/1.1 200 Very Secure\r\n")
            assert record.block.endswith(b"\r\n\r\n<html></html>")
        else:
            assert record.block == response_bytes
        assert record.get("WARC-IP-Address") == "127.0.0.1"
