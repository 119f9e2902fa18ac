"""HTTPS: the WARC holds the decrypted HTTP stream, byte for byte."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SLUG, newsarc, warc_records
from tests.support.tls import TlsServer


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
