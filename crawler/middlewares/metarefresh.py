"""Scrapy's meta-refresh redirects without a full decode of every page in the reactor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as _ScrapyMetaRefresh
from scrapy.http import HtmlResponse
from w3lib.encoding import http_content_type_encoding

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.spiders import Spider

_REFRESH_SCAN = 4 * 4096  # bytes holding the 4,096 characters Scrapy scans, in any encoding


class MetaRefreshMiddleware(_ScrapyMetaRefresh):
    """Scrapy's ``<meta http-equiv="refresh">`` redirects, without decoding the whole page just
    to find there is none. Scrapy reads ``response.text[:4096]``, which decodes every page in
    full (the only full decode the reactor would do: extraction decodes in its workers). A page
    whose first 16 KB lack the ASCII bytes ``refresh`` in any case cannot hold one; that
    prefilter is skipped for encodings in which "refresh" is not those bytes (UTF-16/32 by
    BOM, NULs or header; a header charset that does not encode it as ASCII)."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if (
            isinstance(response, HtmlResponse)
            and _ascii_scannable(response)
            and b"refresh" not in response.body[:_REFRESH_SCAN].lower()
        ):
            return response
        return super().process_response(request, response)


def _ascii_scannable(response: Response) -> bool:
    head = response.body[:64]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        return False
    ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    charset = http_content_type_encoding(ctype)  # w3lib's parser, aliases resolved
    if charset is None:  # none declared: ASCII-compatible; an unknown one: Scrapy decides
        return "charset=" not in ctype.lower()
    try:
        return "refresh".encode(charset) == b"refresh"  # False for UTF-16/32, EBCDIC
    except (LookupError, ValueError):
        return False
