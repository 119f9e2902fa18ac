"""Spider-trap guard as a downloader middleware over the pure ``crawler.policy.traps`` core.

Refused requests raise ``IgnoreRequest`` and count ``newsarc/trap/<reason>``.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.middlewares.retryafter import RETRY_AFTER_TIMES_META
from crawler.policy.traps import CalendarWindow, TrapFilter, TrapPolicy

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class TrapMiddleware:
    """Refuses spider-trap URLs (``IgnoreRequest``, stat ``newsarc/trap/<reason>``).

    robots.txt requests, ``meta["newsarc_seed"]`` requests, retries and a distributed crawl's
    second fetch of a request whose worker died are exempt from (and not
    counted towards) the per-host page cap. The calendar check runs only when the spider has an
    ``event`` with ``start``, ``end`` and ``sources.window_slack_days``.
    """

    def __init__(self, stats: StatsCollector, policy: TrapPolicy, calendar: CalendarWindow | None):
        self._stats = stats
        self.filter = TrapFilter(policy, calendar)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        policy = TrapPolicy(
            max_url_length=s.getint("NEWSARC_MAX_URL_LENGTH", 2000),
            max_repeated_segments=s.getint("NEWSARC_MAX_REPEATED_SEGMENTS", 3),
            max_query_params=s.getint("NEWSARC_MAX_QUERY_PARAMS", 8),
            max_query_variants_per_path=s.getint("NEWSARC_MAX_QUERY_VARIANTS_PER_PATH", 20),
            max_pages_per_host=s.getint("NEWSARC_MAX_PAGES_PER_HOST", 0),  # 0: no limit
            max_path_depth=s.getint("NEWSARC_MAX_PATH_DEPTH", 12),
        )
        mw = cls(crawler.stats, policy, calendar_window(s.get("NEWSARC_EVENT")))
        from crawler.cluster.worker import ClusterWorker

        worker = crawler.get_extension(ClusterWorker)
        if worker is not None:  # a distributed crawl: the caps count for the whole cluster
            from crawler.cluster.traps import SharedTrapCounts

            mw.filter.shared = SharedTrapCounts(worker.client, worker.keys)
        return mw

    def process_request(self, request: Request) -> None:
        meta = request.meta
        exempt = (
            meta.get("newsarc_seed") is True
            or RETRY_AFTER_TIMES_META in meta
            or "retry_times" in meta
            or meta.get("newsarc_redo") is True  # fetched again after its worker died: counted
            or urlparse_cached(request).path == "/robots.txt"
        )
        reason = self.filter.check(request.url, count_page=not exempt)
        if reason is not None:
            self._stats.inc_value(f"newsarc/trap/{reason}")
            logger.debug("Spider trap (%s): %s", reason, request)
            raise IgnoreRequest(f"spider trap: {reason}")


def calendar_window(event: Any) -> CalendarWindow | None:
    """The event's window, if there is an event (with start, end and slack days)."""
    try:
        start, end = _as_date(event.start), _as_date(event.end)
        slack = int(event.sources.window_slack_days)
    except (AttributeError, TypeError, ValueError):
        return None
    return CalendarWindow(start, end, slack)


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"not a date: {value!r}")
