"""Scrapy adapters for politeness and spider traps (the pure cores are politeness.py, traps.py).

Order in ``DOWNLOADER_MIDDLEWARES`` (requests go low → high, responses high → low)::

    45   HostSlotMiddleware              download slot = host:port (also a spider middleware)
    60   TrapMiddleware                  refuse trap URLs before they cost a robots.txt fetch
    100  CrawlDelayRobotsTxtMiddleware   replaces Scrapy's RobotsTxtMiddleware (set that to None)
    560  RetryAfterMiddleware            429/503: pause the host's slot, re-schedule the request
    580  MetaRefreshMiddleware           Scrapy's, without decoding pages that cannot refresh
    590  ContentDecodingMiddleware       crawler/contentcoding.py; Scrapy's HttpCompression off

How a host is slowed without blocking the reactor: Scrapy's downloader dispatches a slot's next
request only once ``monotonic() >= slot.lastseen + slot.download_delay()``, arming a timer
otherwise. Crawl-delay raises that slot's ``delay`` (and lowers its ``jitter`` so the random
0.5-1.5x factor never undercuts the robots value). A Retry-After pause sets the slot's
``lastseen`` to the end of the pause, so the slot sends nothing before it (plus its usual delay),
while every other slot runs on; a slot without delay gets a 1 ms delay for the pause, reset to 0
by the first response after the pause. The pause is applied from the ``response_downloaded``
signal, which Scrapy sends before the slot picks its next request, so no queued request of the
host slips out in between.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from time import monotonic
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as _ScrapyMetaRefresh
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from w3lib.encoding import http_content_type_encoding

from crawler.politeness import RetryAfterPolicy, RetryDecision, decide_retry, delay_floor, host_key

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser
    from scrapy.spiders import Spider
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

RETRY_AFTER_TIMES_META = "newsarc_retry_after_times"
_DECISION_META = "_newsarc_retry_decision"
_PAUSE_FLOOR = 0.001  # seconds; the delay a delay-less slot needs for lastseen to count


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

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        super().process_request_2(rp, request)
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


class RetryAfterMiddleware:
    """On 429/503: wait per ``Retry-After`` (or exponential back-off), then retry the request.

    The wait pauses only the host's download slot (see the module docstring). The retry is a
    copy with ``dont_filter=True`` and ``meta["newsarc_retry_after_times"]`` incremented. Gives
    up (the response passes on unchanged) after ``policy.max_times`` retries or when the server
    asks for more than ``policy.max_wait``. Stats: ``newsarc/retry_after/waits``,
    ``newsarc/retry_after/gave_up`` and ``newsarc/retry_after/gave_up/<too_long|exhausted>``.
    ``meta["dont_retry"]`` disables the retry, not the pause.
    """

    def __init__(self, crawler: Crawler, policy: RetryAfterPolicy):
        self.crawler = crawler
        self.policy = policy
        self._stats: StatsCollector = crawler.stats
        self._floored: dict[str, float] = {}  # slot key -> end of pause, for slots at _PAUSE_FLOOR

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        policy = RetryAfterPolicy(
            backoff_base=settings.getfloat("NEWSARC_BACKOFF_BASE", 1.0),
            max_wait=settings.getfloat("NEWSARC_MAX_RETRY_AFTER", 120.0),
            max_times=settings.getint("NEWSARC_RETRY_AFTER_TIMES", 3),
        )
        middleware = cls(crawler, policy)
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    def response_downloaded(self, response: Response, request: Request, **_: Any) -> None:
        """Signal handler: pause the slot before the downloader dispatches its next request."""
        key = request.meta.get("download_slot")
        if self._floored and key in self._floored:
            self._restore_floor(key)
        if response.status in self.policy.statuses:
            request.meta[_DECISION_META] = self._decide_and_pause(request, response)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.policy.statuses:
            return response
        decision = request.meta.pop(_DECISION_META, None)
        if decision is None:  # not from the downloader (e.g. a cache): decide and pause here
            decision = self._decide_and_pause(request, response)
        if decision is None or request.meta.get("dont_retry"):
            return response
        attempts = request.meta.get(RETRY_AFTER_TIMES_META, 0)
        if decision.action == "give_up":
            request.meta["dont_retry"] = True  # nor should RetryMiddleware, should it list 429/503
            self._stats.inc_value("newsarc/retry_after/gave_up")
            self._stats.inc_value(f"newsarc/retry_after/gave_up/{decision.reason}")
            why = f"HTTP {response.status}, {decision.reason} ({decision.delay:.0f}s)"
            logger.info("Gave up on %s after %d retries: %s", request, attempts, why)
            return response
        self._stats.inc_value("newsarc/retry_after/waits")
        logger.debug("HTTP %d for %s: retry in %.2fs", response.status, request, decision.delay)
        retry = request.copy()
        retry.meta[RETRY_AFTER_TIMES_META] = attempts + 1
        retry.dont_filter = True
        return retry

    def _decide_and_pause(self, request: Request, response: Response) -> RetryDecision | None:
        decision = decide_retry(
            self.policy,
            response.status,
            response.headers.get(b"Retry-After"),
            request.meta.get(RETRY_AFTER_TIMES_META, 0),
            datetime.now(UTC),
        )
        key = request.meta.get("download_slot")
        if decision is not None and decision.action == "wait" and decision.delay > 0 and key:
            self._pause(key, decision.delay)
        return decision

    def _pause(self, key: str, seconds: float) -> None:
        slot = self.crawler.engine.downloader.slots.get(key)
        until = monotonic() + seconds
        if slot is None or slot.lastseen >= until:
            return
        slot.lastseen = until
        if not slot.delay:
            slot.delay = _PAUSE_FLOOR
        if slot.delay == _PAUSE_FLOOR:  # also when extending an earlier pause
            self._floored[key] = until

    def _restore_floor(self, key: str) -> None:
        if monotonic() < self._floored[key]:
            return
        del self._floored[key]
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None and slot.delay == _PAUSE_FLOOR:
            slot.delay = 0.0
