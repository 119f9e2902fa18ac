"""Meta-refresh redirects as Scrapy follows them, without decoding pages that cannot refresh."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares.metarefresh import MetaRefreshMiddleware

URL = "https://news.test/story"
REFRESH = '<meta http-equiv="Refresh" content="0; url=/moved">'


def _middleware() -> MetaRefreshMiddleware:
    return MetaRefreshMiddleware.from_crawler(get_crawler())


def _response(body: bytes, content_type: str = "text/html; charset=utf-8") -> HtmlResponse:
    return HtmlResponse(
        URL, body=body, headers={"Content-Type": content_type}, request=Request(URL)
    )


def _page(head: str = "", filler: int = 0) -> str:
    return f"<html><head><title>t</title>{head}</head><body>{'<p>text</p>' * filler}</body></html>"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_page(REFRESH).encode("utf-8"), "text/html; charset=utf-8"),
        (_page(REFRESH.upper().replace("URL=/MOVED", "url=/moved")).encode(), "text/html"),
        (_page(REFRESH).encode("utf-16"), "text/html"),  # BOM: not scannable as ASCII
        (_page(REFRESH).encode("utf-16-le"), "text/html; charset=utf-16le"),
        (_page(REFRESH).encode("cp500"), "text/html; charset=cp500"),  # EBCDIC
        (_page(REFRESH).encode(), "text/html; charset=x-unknown"),  # Scrapy's scan decides
    ],
)
def test_a_refresh_redirects_as_in_scrapy(body: bytes, content_type: str) -> None:
    result = _middleware().process_response(Request(URL), _response(body, content_type))
    assert isinstance(result, Request)
    assert result.url == "https://news.test/moved"


def test_a_page_without_refresh_is_passed_on_undecoded() -> None:
    response = _response(_page(filler=2000).encode("utf-8"))
    assert _middleware().process_response(Request(URL), response) is response
    assert getattr(response, "_cached_ubody", None) is None  # never decoded in the reactor


def test_refresh_past_scrapys_scan_window_is_ignored_as_in_scrapy() -> None:
    body = _page(filler=1000).replace("</body>", REFRESH + "</body>").encode()
    response = _response(body)
    assert _middleware().process_response(Request(URL), response) is response


def test_the_word_elsewhere_falls_back_to_scrapys_scan() -> None:
    response = _response(_page('<meta name="x" content="refresh rates">').encode())
    assert _middleware().process_response(Request(URL), response) is response
