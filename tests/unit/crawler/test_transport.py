"""The real web's transport, unit by unit: the Content-Encoding decoder and its middleware, the
proxy middleware's choices, the request bytes sent to a proxy, the event's ``[network]`` table.

The crawls through every encoding and through a real proxy: ``tests/e2e/test_transport_crawls.py``.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from pathlib import Path
from typing import Any

import brotlicffi
import pytest
from backports import zstd
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from archive.errors import ContentDecodingError, DecodedTooLarge
from archive.warc import encodings
from archive.warc.http import parse_response
from crawler.capture.proxy import connect_request, display, parse_proxy
from crawler.capture.wire import build_request_bytes, redact_for_archive
from crawler.demoweb import demo_event_path
from crawler.event.spec import parse_event
from crawler.middlewares.contentcoding import ContentDecodingMiddleware
from crawler.middlewares.proxy import ProxyMiddleware
from tests.support.pages import ARTICLE, ENCODED

# --- the decoder -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_every_coding_the_web_uses_decodes(name: str) -> None:
    coding, body = ENCODED[name]
    decoded, undone = encodings.decode(body, coding, max_size=10_000_000)
    assert decoded == ARTICLE
    assert undone == []


def test_brotli_and_zstd_work_in_this_environment() -> None:
    """Fails if a dependency ever shadows the brotli decoder again (pywb's brotlipy did)."""
    assert {"gzip", "x-gzip", "deflate", "br", "zstd"} <= set(encodings.available())
    assert encodings.accept_encoding() == "gzip, deflate, br, zstd"
    assert encodings.missing() == {}


def test_decoding_stops_at_the_size_limit() -> None:
    bomb = b"\0" * 20_000_000
    for coding, body in [
        ("gzip", gzip.compress(bomb)),
        ("br", brotlicffi.compress(bomb)),
        ("zstd", zstd.compress(bomb)),
        ("deflate", zlib.compress(bomb)),
    ]:
        with pytest.raises(DecodedTooLarge):
            encodings.decode(body, coding, max_size=1_000_000)


def test_unknown_coding_is_left_undone_and_corrupt_data_is_an_error() -> None:
    body = gzip.compress(ARTICLE)
    decoded, undone = encodings.decode(body, "compress, gzip")
    assert decoded == ARTICLE and undone == ["compress"]
    with pytest.raises(ContentDecodingError):
        encodings.decode(b"certainly not brotli", "br")
    with pytest.raises(ContentDecodingError):
        encodings.decode(b"not gzip either", "gzip")


def test_archived_brotli_response_reads_back_decoded() -> None:
    block = b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n" + ENCODED["br"][1]
    assert parse_response(block).body == ARTICLE


def _middleware(max_size: int = 10_000_000) -> tuple[ContentDecodingMiddleware, Any]:
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": max_size})
    crawler.stats.open_spider()
    return ContentDecodingMiddleware.from_crawler(crawler), crawler.stats


def test_middleware_advertises_and_decodes_stacked_codings() -> None:
    mw, stats = _middleware()
    request = Request("http://example.org/a")
    mw.process_request(request)
    assert request.headers[b"Accept-Encoding"] == b"gzip, deflate, br, zstd"
    coding, body = ENCODED["gzip-br"]
    response = Response(
        request.url,
        body=body,
        headers={"Content-Type": "text/html", "Content-Encoding": coding},
        request=request,
    )
    out = mw.process_response(request, response)
    assert isinstance(out, HtmlResponse)
    assert out.body == ARTICLE
    assert b"Content-Encoding" not in out.headers
    assert "Wang Yi" in out.text
    assert stats.get_value("newsarc/decoded/br") == 1
    assert stats.get_value("newsarc/decoded/gzip") == 1


def test_middleware_drops_a_bomb_and_a_corrupt_body_with_a_count() -> None:
    mw, stats = _middleware(max_size=100_000)
    request = Request("http://example.org/bomb")
    bomb = Response(
        request.url,
        body=brotlicffi.compress(b"a" * 5_000_000),
        headers={"Content-Encoding": "br"},
        request=request,
    )
    with pytest.raises(IgnoreRequest):
        mw.process_response(request, bomb)
    corrupt = bomb.replace(body=b"garbage")
    with pytest.raises(IgnoreRequest):
        mw.process_response(request, corrupt)
    assert stats.get_value("newsarc/decode/too_large") == 1
    assert stats.get_value("newsarc/decode/error") == 1


# --- proxy choice and request bytes ------------------------------------------------------------


def _proxied(mw: ProxyMiddleware, url: str) -> tuple[str | None, bytes | None]:
    request = Request(url)
    mw.process_request(request)
    return request.meta.get("proxy"), request.headers.get(b"Proxy-Authorization")


def test_proxy_middleware_honours_no_proxy_and_connect_to() -> None:
    mw = ProxyMiddleware(
        {"http": "http://u:s3cret@proxy.example:3128", "https": "http://proxy.example:3128"},
        "internal.example,.corp.example,10.0.0.1:8080",
        direct_hosts=frozenset({"mapped.example"}),
    )
    proxy, auth = _proxied(mw, "http://news.example/a")
    assert proxy == "http://proxy.example:3128"  # credentials never in meta
    assert auth == b"Basic " + base64.b64encode(b"u:s3cret")
    assert _proxied(mw, "https://news.example/a") == ("http://proxy.example:3128", None)
    for direct in (
        "http://internal.example/x",
        "http://a.internal.example/x",
        "http://b.corp.example/x",
        "http://10.0.0.1:8080/x",
        "http://mapped.example/x",
    ):
        assert _proxied(mw, direct) == (None, None), direct
    assert _proxied(mw, "http://10.0.0.1:8081/x")[0] == "http://proxy.example:3128"


def test_proxy_setting_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://env-proxy.example:8080")
    monkeypatch.setenv("no_proxy", "skip.example")
    from_env = ProxyMiddleware.from_crawler(get_crawler())
    assert _proxied(from_env, "http://a.example/")[0] == "http://env-proxy.example:8080"
    assert _proxied(from_env, "http://skip.example/")[0] is None
    chosen = ProxyMiddleware.from_crawler(
        get_crawler(settings_dict={"NEWSARC_PROXY": "http://cli-proxy.example:3128"})
    )
    assert _proxied(chosen, "https://a.example/")[0] == "http://cli-proxy.example:3128"
    off = ProxyMiddleware.from_crawler(get_crawler(settings_dict={"NEWSARC_PROXY": "none"}))
    assert _proxied(off, "http://a.example/")[0] is None


def test_request_bytes_through_a_proxy() -> None:
    request = Request(
        "http://news.example:8080/a?b=1#frag",
        headers={"Proxy-Authorization": "Basic dTpzM2NyZXQ=", "User-Agent": "t"},
    )
    forward = build_request_bytes(request, absolute_form=True, proxy_auth=True)
    assert forward.startswith(b"GET http://news.example:8080/a?b=1 HTTP/1.1\r\n")
    assert b"Proxy-Authorization: Basic dTpzM2NyZXQ=" in forward
    assert b"s3cret" not in redact_for_archive(forward)
    assert b"dTpzM2NyZXQ=" not in redact_for_archive(forward)
    tunnelled = build_request_bytes(request)
    assert tunnelled.startswith(b"GET /a?b=1 HTTP/1.1\r\n")
    assert b"Proxy-Authorization" not in tunnelled
    assert connect_request("news.example", 443, b"Basic x") == (
        b"CONNECT news.example:443 HTTP/1.1\r\nHost: news.example:443\r\n"
        b"Proxy-Authorization: Basic x\r\n\r\n"
    )
    assert display("http://u:s3cret@proxy.example:3128") == "http://proxy.example:3128"
    with pytest.raises(ValueError, match="only http://"):
        parse_proxy("socks5://u:s3cret@proxy.example:1080")


def test_event_network_table(tmp_path: Path) -> None:
    base = demo_event_path().read_text()
    spec = parse_event(base + '\n[network]\nproxy = "http://proxy.example:3128"\n')
    assert spec.network.proxy == "http://proxy.example:3128"
    text = base + '\n[network]\nproxy = "http://u:pw@proxy.example:3128"\n'
    with pytest.raises(Exception, match=r"network\.proxy: no credentials") as err:
        parse_event(text, "ev.toml")
    assert f"ev.toml:{text.count(chr(10))}" in str(err.value)


# --- crawls ------------------------------------------------------------------------------------
