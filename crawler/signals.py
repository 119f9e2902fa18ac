"""newsarc's own Scrapy signals."""

from __future__ import annotations

#: Sent once per host when its robots.txt has been fetched and parsed.
#: Arguments: ``netloc`` (host[:port]), ``sitemaps`` (absolute URLs from its ``Sitemap:`` lines).
robots_sitemaps = object()
