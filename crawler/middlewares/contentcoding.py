"""Content-Encoding for the crawl: advertise what this process decodes, decode what arrives.

Replaces Scrapy's HttpCompressionMiddleware (same slot, 590) with one that decodes through
:mod:`archive.warc.encodings`, the decoder ``newsarc get --text`` and re-extraction use on the
archived bytes, so a page reads the same live and from the WARC. The WARC keeps the encoded
bytes exactly as received (the download handler writes them before any middleware runs); the
spider, the extraction and the link extractor see the decoded page.

``Accept-Encoding`` lists only the codings :func:`archive.warc.encodings.available` proved it can
decode at start-up (a broken or shadowed brotli module means no ``br``, with a warning).

Stats: ``newsarc/decoded/<coding>`` per coding undone; ``newsarc/decode/error`` and
``newsarc/decode/too_large`` for bodies dropped (logged once per host, then counted only);
``newsarc/decode/unsupported`` for a coding left undone (the page passes on encoded).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NoReturn

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.utils.httpobj import urlparse_cached

from archive.errors import ContentDecodingError, DecodedTooLarge
from archive.warc import encodings

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class ContentDecodingMiddleware:
    def __init__(self, stats: StatsCollector, *, max_size: int, accept: str) -> None:
        self.stats = stats
        self.max_size = max_size
        self.accept = accept.encode("ascii")
        self._warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("COMPRESSION_ENABLED"):
            raise NotConfigured
        for coding, why in encodings.missing().items():
            logger.warning("Content-Encoding %s will not be requested: %s", coding, why)
        return cls(
            crawler.stats,
            max_size=crawler.settings.getint("DOWNLOAD_MAXSIZE"),
            accept=encodings.accept_encoding(),
        )

    def process_request(self, request: Request) -> None:
        request.headers.setdefault(b"Accept-Encoding", self.accept)

    def process_response(self, request: Request, response: Response) -> Response:
        codings = response.headers.getlist(b"Content-Encoding")
        if request.method == "HEAD" or not codings:
            return response
        max_size = int(request.meta.get("download_maxsize", self.max_size) or 0)
        try:
            body, undone = encodings.decode(response.body, codings, max_size)
        except DecodedTooLarge as exc:
            self._drop(request, "too_large", f"{exc} (DOWNLOAD_MAXSIZE)")
        except ContentDecodingError as exc:
            self._drop(request, "error", str(exc))
        done = encodings.split_codings(codings)[len(undone) :]
        for coding in done:
            self.stats.inc_value(f"newsarc/decoded/{coding}")
        if undone:
            self.stats.inc_value("newsarc/decode/unsupported")
            logger.debug("%s: Content-Encoding %s left undone", request.url, ", ".join(undone))
        if not done:
            return response
        headers = response.headers.copy()
        if undone:
            headers[b"Content-Encoding"] = ", ".join(undone).encode("latin-1")
        else:
            del headers[b"Content-Encoding"]
        respcls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        kwargs = {"encoding": None} if issubclass(respcls, TextResponse) else {}
        return response.replace(cls=respcls, headers=headers, body=body, **kwargs)

    def _drop(self, request: Request, kind: str, why: str) -> NoReturn:
        self.stats.inc_value(f"newsarc/decode/{kind}")
        host = urlparse_cached(request).netloc
        if host not in self._warned:  # one line per host; the rest are counted
            self._warned.add(host)
            logger.warning("%s: body not decoded, page skipped: %s", request.url, why)
        raise IgnoreRequest(f"{request.url}: {why}")
