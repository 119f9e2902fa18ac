"""The event spider: discovery and link following for one event. No extraction here: the
links of a page bound for extraction are read by the extraction workers from the tree they
parse anyway (``pipelines/extraction.py``), so each page is parsed once.

Sources: seeds (followed within ``allowed_domains`` up to ``max_depth``), RSS/Atom feeds,
sitemaps (from the event file and from robots.txt ``Sitemap:`` lines of in-scope hosts;
sitemap indexes, gzip, news sitemaps) and a GDELT DOC 2.0 query. Dated entries outside the
event window (plus slack) are not fetched. Links are prioritised by relevance of anchor text
and URL to ``[match]`` and by recency. Every page gets a WARC metadata record with its
discovery source, hops from seed and outlinks.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.utils.log import failure_to_exc_info

from archive.errors import WarcWriteError
from crawler.discovery.feeds import parse_feed
from crawler.discovery.gdelt import gdelt_query_url, parse_gdelt
from crawler.discovery.links import link_priority, url_words
from crawler.discovery.scope import Scope
from crawler.discovery.sitemaps import parse_sitemap
from crawler.event.settings import apply_event_settings
from crawler.event.spec import EventSpec, load_event
from crawler.signals import ABANDONED, fetch_failed
from pipelines.extract.links import Link, extract_links
from pipelines.extraction import ExtractionPipeline
from pipelines.page import Page
from pipelines.state import CrawlStateExtension
from pipelines.warc import WarcService

logger = logging.getLogger(__name__)

SEED_PRIORITY = 1000
SOURCE_PRIORITY = 900
RECHECK_PRIORITY = -100  # an article's revision check: after every discovered link
HOP_WEIGHT = 10_000  # priority: a layer (hops from a seed) before the next, then relevance
RECHECK_LAYER = 50  # revision checks are scheduled after every layer of discovery


class EventSpider(scrapy.Spider):
    name = "event"

    def __init__(self, event: str | EventSpec | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if event is None:
            raise ValueError("the event spider needs an event file: -a event=FILE")
        self.event = event if isinstance(event, EventSpec) else load_event(event)
        self.allowed_domains = list(self.event.sources.allowed_domains)
        self.scope = Scope(self.event, lambda: self._count("out_of_window"))
        self._robots_seen: set[str] = set()
        # URLs already requested: most links on a page are known; skipping them before
        # scoring and building a Request saves ~40% of the crawl's CPU (benchmarks/README.md)
        self._requested: dict[str, int] = {}  # URL -> the hops it was requested with
        # requests not yet called back: a shorter path found meanwhile lowers their hops, so
        # that depth counts from the nearest seed whatever order pages arrive in
        self._queued: dict[str, scrapy.Request] = {}
        self._cluster = False  # a distributed crawl: a shorter path is sent to the frontier

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> EventSpider:
        spider: EventSpider = super().from_crawler(crawler, *args, **kwargs)
        apply_event_settings(crawler.settings, spider.event)
        spider._cluster = bool(crawler.settings.get("NEWSARC_REDIS_URL"))
        crawler.signals.connect(spider._on_robots_parsed, signal=signals.robots_parsed)
        return spider

    @functools.cached_property
    def _warc(self) -> WarcService:
        service = self.crawler.get_extension(WarcService)
        if service is None:
            raise RuntimeError("the event spider needs pipelines.warc.WarcService in EXTENSIONS")
        return service

    @functools.cached_property
    def _pool(self) -> ExtractionPipeline | None:
        return self.crawler.get_item_pipeline(ExtractionPipeline)

    # -- start ------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        src = self.event.sources
        for url in src.seeds:
            yield self._request(url, self.parse_page, "seed", SEED_PRIORITY, seed=True)
        for url in src.feeds:
            yield self._request(url, self.parse_feed, "feed", SOURCE_PRIORITY, seed=True)
        for url in src.sitemaps:
            yield self._request(url, self.parse_sitemap, "sitemap", SOURCE_PRIORITY, seed=True)
        if src.gdelt:
            url = gdelt_query_url(
                src.gdelt,
                *self.event.window(),
                endpoint=src.gdelt_endpoint,
                languages=self.event.languages,
            )
            yield self._request(url, self.parse_gdelt, "gdelt", SOURCE_PRIORITY, seed=True)
        ext = self.crawler.get_extension(CrawlStateExtension)
        full = ext is not None and ext.full  # --full asked for everything: no budget
        budget = 0 if full else self.crawler.settings.getint("NEWSARC_RECHECKS_PER_HOST", 100)
        rechecks: dict[str, int] = {}
        for url, kind in self._due(ext):
            if url in self._requested or kind == "robots":
                continue
            priority, layer = SOURCE_PRIORITY, None
            if kind == "article":  # revision checks come after discovery, within a budget
                host = urlsplit(url).netloc
                rechecks[host] = rechecks.get(host, 0) + 1
                if budget and rechecks[host] > budget:
                    self.crawler.stats.inc_value("newsarc/incremental/recheck_deferred")
                    continue  # still due: the next crawl checks it
                priority, layer = RECHECK_PRIORITY, RECHECK_LAYER
            callback = {
                "feed": self.parse_feed,
                "sitemap": self.parse_sitemap,
                "search": self.parse_gdelt,
            }.get(kind, self.parse_page)
            self.crawler.stats.inc_value("newsarc/incremental/due")
            yield self._request(url, callback, f"recheck:{kind}", priority, layer=layer)

    def _due(self, ext: CrawlStateExtension | None) -> list[tuple[str, str]]:
        """Known URLs due again (all of them with ``--full``), from the event's crawl state: a
        recurring crawl re-checks them even when nothing links to them any more."""
        if ext is None:
            return []
        return ext.state.due(float("inf") if ext.full else ext.clock())

    def _request(
        self,
        url: str,
        callback: Any,
        source: str,
        priority: int,
        *,
        seed: bool = False,
        depth: int | None = None,
        via: str | None = None,
        dated: date | datetime | None = None,
        layer: int | None = None,
    ) -> scrapy.Request:
        self._requested[url] = depth or 0
        meta: dict[str, Any] = {"newsarc_source": source}
        if seed:
            meta["newsarc_seed"] = True
        meta["newsarc_hops"] = depth or 0
        if via:
            meta["newsarc_via"] = via
        if dated is not None:
            meta["newsarc_date"] = dated.isoformat()
        if layer is not None:  # scheduled as that layer (crawler/scheduler.py), not its hops
            meta["newsarc_layer"] = layer
        request = scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            priority=priority - HOP_WEIGHT * (depth or 0 if layer is None else layer),
            meta=meta,
        )
        if callback == self.parse_page and depth and (self._cluster or layer is not None):
            # kept to move it up when a shorter path turns up: possible only for a request
            # scheduled out of its layer (a revision check) or in a distributed crawl; the
            # rest wait in the disk frontier (crawler/scheduler.py), not in memory
            self._queued[url] = request
        return request

    def _done(self, response: Response) -> None:
        for url in (*response.meta.get("redirect_urls", ()), response.url):
            self._queued.pop(url, None)

    def _shorter(self, url: str, hops: int, via: str) -> scrapy.Request | None:
        """``url`` was requested ``hops`` or more away from a seed and is now found closer:
        the request still waiting is moved up (in a distributed crawl, the frontier keeps the
        shortest too: the request is sent again). None when it was called back already."""
        self._requested[url] = hops
        waiting = self._queued.get(url)
        if waiting is None:
            return None
        self.crawler.stats.inc_value("newsarc/discovery/shorter_path")
        waiting.meta["newsarc_hops"], waiting.meta["newsarc_via"] = hops, via
        if not self._cluster:
            return None
        return waiting.replace(meta=dict(waiting.meta))

    # -- callbacks ------------------------------------------------------------------------------

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        self._done(response)
        page = Page.from_response(response)
        links = await self._links(response, page)
        if not response.meta.get("newsarc_replayed"):
            self._metadata(response, [url for url, _text, _nofollow in links])
            yield page
        elif response.meta.get("newsarc_reanalyse"):  # archived, but its crawl died before its
            yield page  # article was stored: analysed now, from the archived record
        if not (self.event.sources.follow_links and links):
            return
        hops = int(response.meta.get("newsarc_hops", 0))
        if hops >= self.event.sources.max_depth:
            self.crawler.stats.inc_value("newsarc/discovery/depth_limited", len(links))
            return
        for url, text, nofollow in links:  # ~98 % are known already: no Link built for those
            if nofollow:
                continue
            known = self._requested.get(url)
            if known is not None:
                if known > hops + 1 and (again := self._shorter(url, hops + 1, response.url)):
                    yield again
                continue
            if not self.scope.url_in_scope(url):
                continue
            priority = link_priority(
                Link(url, text, nofollow),
                score_text=self.event.match.score,
                window=self.event.window(),
            )
            yield self._request(
                url,
                self.parse_page,
                "link",
                priority,
                depth=hops + 1,
                via=response.url,
            )

    async def _links(self, response: Response, page: Page) -> Sequence[tuple[str, str, bool]]:
        """The page's links as (url, anchor text, nofollow): read by the extraction workers from
        the tree they parse anyway when the page goes to extraction (one parse per page), else
        parsed here."""
        pool = self._pool
        if pool is not None:
            found = await pool.analyse_page(page)
            if found is not None:
                return found
        if isinstance(response, TextResponse) and _is_html(response):
            links = extract_links(response.body, response.url, response.encoding, self._requested)
            return [(link.url, link.text, link.nofollow) for link in links]
        return []

    async def parse_feed(self, response: Response) -> AsyncIterator[Any]:
        result = parse_feed(response.body, response.url)
        if result.error:
            self._count("feed_invalid")
            logger.warning("feed %s: %s", response.url, result.error)
        self._metadata(response, [e.url for e in result.entries])
        for entry in result.entries:
            when = entry.date
            if not self.scope.dated_in_window(when, entry.url):
                continue
            score = self.event.match.score(f"{entry.title} {url_words(entry.url)}")
            yield self._request(
                entry.url,
                self.parse_page,
                f"feed:{response.url}",
                int(500 * score),
                depth=1,
                via=response.url,
                dated=when,
            )

    async def parse_sitemap(self, response: Response) -> AsyncIterator[Any]:
        result = parse_sitemap(response.body, response.url)
        if result.error:
            self._count("sitemap_invalid")
            logger.warning("sitemap %s: %s", response.url, result.error)
        self._metadata(response, [e.loc for e in result.entries])
        for entry in result.entries:
            if result.kind == "sitemapindex":
                if self.scope.dated_in_window(entry.lastmod, None, stale_only=True):
                    yield self._request(
                        entry.loc,
                        self.parse_sitemap,
                        "sitemap",
                        SOURCE_PRIORITY,
                        depth=0,
                        via=response.url,
                    )
                continue
            when = entry.news_publication_date or entry.lastmod
            if not self.scope.dated_in_window(when, entry.loc):
                continue
            text = (
                f"{entry.news_title or ''} {' '.join(entry.news_keywords)} {url_words(entry.loc)}"
            )
            yield self._request(
                entry.loc,
                self.parse_page,
                f"sitemap:{response.url}",
                int(500 * self.event.match.score(text)),
                depth=1,
                via=response.url,
                dated=when,
            )

    async def parse_gdelt(self, response: Response) -> AsyncIterator[Any]:
        result = parse_gdelt(response.body)
        if result.error and not result.error.startswith("no-articles"):
            self._count("gdelt_invalid")
            logger.warning("GDELT query %s: %s", response.url, result.error)
        self._metadata(response, [a.url for a in result.articles])
        for article in result.articles:
            if not self.scope.dated_in_window(article.seendate, article.url):
                continue
            score = self.event.match.score(f"{article.title} {url_words(article.url)}")
            yield self._request(
                article.url,
                self.parse_page,
                "gdelt",
                int(500 * score),
                depth=1,
                via=response.url,
                dated=article.seendate,
            )

    def on_error(self, failure: Any) -> None:
        request = failure.request
        self._queued.pop(request.url, None)
        name = type(failure.value).__name__
        if failure.check(DownloadCancelledError):  # a forced stop: fetched by a later crawl
            request.meta[ABANDONED] = True
            logger.debug("cancelled: %s", request.url)
            return
        if failure.check(IgnoreRequest) and name != "HttpError":
            # a policy decision (robots, guard, trap, size), already counted where it was made
            logger.debug("skipped: %s (%s)", request.url, failure.value)
            return
        self.crawler.stats.inc_value(f"newsarc/errors/{name}")
        told = self.crawler.signals.send_catch_log(
            signal=fetch_failed,
            url=request.url,
            exc=failure.value,
            exc_info=failure_to_exc_info(failure),
        )
        if not told:  # nobody counts failures (FailureLog disabled): the log has it all
            logger.error(
                "fetch failed: %s (%s: %s)",
                request.url,
                name,
                failure.value,
                exc_info=failure_to_exc_info(failure),
            )
        if name != "HttpError":  # a distributed crawl lists it as failed, not done
            request.meta["newsarc_failed"] = f"{name}: {failure.value}"[:500]

    # -- robots.txt sitemaps and helpers ----------------------------------------------------------

    def _on_robots_parsed(self, robotparser: Any, request: scrapy.Request) -> None:
        """Queue the ``Sitemap:`` lines of an in-scope host's robots.txt (Protego parser)."""
        parts = urlsplit(request.url)
        if parts.netloc in self._robots_seen or not self.scope.host_in_scope(parts.hostname or ""):
            return
        self._robots_seen.add(parts.netloc)
        sitemaps = list(getattr(getattr(robotparser, "rp", None), "sitemaps", ()) or ())
        known = set(self.event.sources.sitemaps)
        for url in sitemaps:
            if url in known:
                continue
            request = self._request(url, self.parse_sitemap, "robots-sitemap", SOURCE_PRIORITY)
            self.crawler.engine.crawl(request)
            self._count("robots_sitemaps")

    def _count(self, what: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"newsarc/discovery/{what}", n)

    def _metadata(self, response: Response, outlinks: list[str]) -> None:
        record = response.meta.get("newsarc_record")
        if record is None:
            return
        items = [("discovery", response.meta.get("newsarc_source", "unknown"))]
        if via := response.meta.get("newsarc_via"):
            items.append(("via", via))
        items.append(("hopsFromSeed", str(response.meta.get("newsarc_hops", 0))))
        if dated := response.meta.get("newsarc_date"):
            items.append(("discovered-date", dated))
        items += [("outlink", url) for url in outlinks]
        try:
            self._warc.queue_metadata(response.url, record.record_id, items)
        except WarcWriteError:
            # the WARC service has logged it and is stopping the crawl; follow nothing more
            raise CloseSpider("warc_write_error") from None


def _is_html(response: TextResponse) -> bool:
    ctype = response.headers.get(b"Content-Type", b"") or b""
    return b"html" in ctype.lower() or response.body.lstrip()[:15].lower().startswith(
        (b"<!doctype html", b"<html")
    )
