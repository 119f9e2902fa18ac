"""Download slot = ``host:port`` (a downloader and a spider middleware)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.httpobj import urlparse_cached

from crawler.policy.politeness import host_key

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response


def _stamp_slot(request: Request) -> None:
    if "download_slot" not in request.meta:
        parsed = urlparse_cached(request)
        request.meta["download_slot"] = host_key(parsed.scheme, parsed.netloc)


class HostSlotMiddleware(BaseSpiderMiddleware):
    """Sets ``meta["download_slot"]`` to ``host:port`` unless already set.

    As a downloader middleware it covers every request; also enabled as a spider middleware it
    stamps requests when the spider yields them, so a ``DownloaderAwarePriorityQueue`` sees the
    same slot at scheduling time.
    """

    def get_processed_request(self, request: Request, response: Response | None) -> Request:
        _stamp_slot(request)
        return request

    def process_request(self, request: Request) -> None:
        _stamp_slot(request)
