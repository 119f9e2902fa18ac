"""robots.txt (Scrapy's middleware, Protego) plus Crawl-delay and 4xx = allow all."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.capture.failures import FailureLog
from crawler.policy.politeness import delay_floor
from crawler.signals import fetch_failed

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)


class CrawlDelayRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware (Protego, RFC 9309) plus Crawl-delay and 4xx = allow all.

    robots.txt answers: 2xx → obeyed; 4xx → allow all (the body is ignored); 5xx → Scrapy's
    behaviour: retried per ``RETRY_HTTP_CODES`` (and 503 by ``RetryAfterMiddleware``), then the
    error body is parsed, which is "allow all" unless it holds rules; unreachable → allow all.
    A Crawl-delay for our user agent, capped at *max_crawl_delay*, becomes the floor of that
    host's slot delay (stat ``newsarc/robots/crawl_delay_hosts``, once per host).
    """

    def __init__(
        self,
        crawler: Crawler,
        max_crawl_delay: float = 30.0,
        default_delay: float = 0.0,
        default_jitter: float = 0.5,
    ):
        super().__init__(crawler)
        self.max_crawl_delay = max_crawl_delay
        self._default_delay = default_delay
        self._default_jitter = default_jitter
        self._crawl_delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            crawler,
            max_crawl_delay=settings.getfloat("NEWSARC_MAX_CRAWL_DELAY", 30.0),
            default_delay=settings.getfloat("DOWNLOAD_DELAY"),
            default_jitter=settings.getfloat("DOWNLOAD_DELAY_JITTER", 0.5),
        )

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """Scrapy's, except for requests that wait while robots.txt is being fetched.

        Scrapy 2.19 has every such request await the one shared Deferred; with the asyncio
        reactor, ``Deferred.asFuture`` hands the parser to the first waiter and ``None`` to
        every later one, and ``None`` means "allow all": the third request to a new host
        ignored its robots.txt. Each waiter here gets its own branch of the result.
        """
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            return await self._fetch_robots(request, netloc)
        pending = self._parsers[netloc]
        if not isinstance(pending, Deferred):
            return pending
        branch: Deferred[RobotParser | None] = Deferred()

        def relay(result: Any) -> Any:
            branch.callback(result)
            return result  # the shared Deferred keeps its result for the next waiter

        pending.addBoth(relay)
        return await maybe_deferred_to_future(branch)

    async def _fetch_robots(self, request: Request, netloc: str) -> RobotParser | None:
        """Scrapy's first-requester branch, with an expected failure (DNS, refused, TLS…)
        as one counted line (crawler.capture.failures) instead of a traceback."""
        self._parsers[netloc] = Deferred()
        url = urlparse_cached(request)
        robots_request = Request(
            f"{url.scheme}://{netloc}/robots.txt",
            priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        try:
            response = await self.crawler.engine.download_async(robots_request)
            await self._parse_robots(response, netloc, request)
        except Exception as exc:
            if not isinstance(exc, IgnoreRequest):
                told = self.crawler.signals.send_catch_log(
                    signal=fetch_failed, url=robots_request.url, exc=exc, exc_info=sys.exc_info()
                )
                if not told:
                    logger.error(
                        "Error downloading %(request)s: %(exc)s",
                        {"request": robots_request, "exc": exc},
                        exc_info=True,
                        extra={"spider": self.crawler.spider},
                    )
            self._robots_error(exc, netloc)
        self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            if (failures := self.crawler.get_extension(FailureLog)) is not None:
                failures.record(request.url, "robots")
            raise
        delay = self._crawl_delays.get(urlparse_cached(request).netloc)
        if delay is not None:  # re-applied per request: slots are garbage-collected when idle
            self._apply_crawl_delay(request, delay)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if 400 <= response.status < 500:
            response = response.replace(body=b"")
        await super()._parse_robots(response, netloc, request)
        parser = self._parsers.get(netloc)
        if parser is None or isinstance(parser, Deferred):
            return
        asked = parser.crawl_delay(self._user_agent(request))
        if asked is None or asked <= 0:
            return
        delay = min(float(asked), self.max_crawl_delay)
        self._crawl_delays[netloc] = delay
        self._stats.inc_value("newsarc/robots/crawl_delay_hosts")
        logger.debug("Crawl-delay %.2fs for %s (robots.txt asked %s)", delay, netloc, asked)
        self._apply_crawl_delay(request, delay)

    def _user_agent(self, request: Request) -> str | bytes:
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent")
        return agent or self._default_useragent

    def _apply_crawl_delay(self, request: Request, delay: float) -> None:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay, slot.jitter = delay_floor(slot.delay, slot.jitter, delay)
        # the settings a re-created slot starts from (Downloader keeps them per slot key)
        current = downloader.per_slot_settings.get(key, {})
        new_delay, new_jitter = delay_floor(
            float(current.get("delay", self._default_delay)),
            float(current.get("jitter", self._default_jitter)),
            delay,
        )
        if current.get("delay") != new_delay or current.get("jitter") != new_jitter:
            downloader.per_slot_settings[key] = {
                **current,
                "delay": new_delay,
                "jitter": new_jitter,
            }
