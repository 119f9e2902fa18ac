"""429/503 with Retry-After: pause only that host's slot, then retry (see the package docstring)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from time import monotonic
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler.policy.politeness import RetryAfterPolicy, RetryDecision, decide_retry

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

RETRY_AFTER_TIMES_META = "newsarc_retry_after_times"
_DECISION_META = "_newsarc_retry_decision"
_PAUSE_FLOOR = 0.001  # seconds; the delay a delay-less slot needs for lastseen to count


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
        from crawler.cluster.worker import ClusterWorker

        worker = self.crawler.get_extension(ClusterWorker)
        if worker is not None:  # a distributed crawl: every worker waits
            worker.gate.pause(key, seconds)
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
