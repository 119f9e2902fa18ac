"""Scrapy's CookiesMiddleware, without its network fetch of the Public Suffix List.

Scrapy builds a module-level ``TLDExtract()`` whose first use downloads the PSL from the
internet. A crawler must not make requests it did not archive or was not asked to make, so we
replace it with one that uses the snapshot bundled with tldextract (``suffix_list_urls=()``).
"""

from __future__ import annotations

import scrapy.downloadermiddlewares.cookies as _scrapy_cookies
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from tldextract import TLDExtract

_scrapy_cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


class OfflineCookiesMiddleware(CookiesMiddleware):
    """CookiesMiddleware that never fetches the Public Suffix List."""
