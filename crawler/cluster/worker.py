"""This process as one worker of a distributed crawl: a Scrapy extension.

It joins the crawl (``archive.cluster.registry``), beats every few seconds and renews the
leases it holds, acknowledges finished requests in batches — only after the WARC writer has
written everything queued before them — and tracks Redis outages: while Redis cannot be
reached, ``available`` is False, the scheduler hands out nothing new, acknowledgements and new
requests wait in memory, and calls resume with back-off. Components find it with
``crawler.get_extension(ClusterWorker)``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from archive.cluster.connection import UNAVAILABLE, CrawlKeys, connect, redacted
from archive.cluster.frontier import Frontier
from archive.cluster.registry import Registry
from archive.warc.repair import WORKERS_DIR
from crawler.cluster.gate import HostGate
from pipelines.warc import WarcService

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ClusterWorker:
    def __init__(
        self,
        crawler: Crawler,
        client: Any,
        keys: CrawlKeys,
        worker: str,
        *,
        url: str,
        lease_ttl: float = 60.0,
        max_attempts: int = 3,
        created: bool = False,
    ) -> None:
        self.crawler = crawler
        self.client = client
        self.keys = keys
        self.worker = worker
        self.url = url
        self.lease_ttl = lease_ttl
        self.created = created  # this worker created the crawl: it seeds the frontier
        self.frontier = Frontier(client, keys, lease_ttl=lease_ttl, max_attempts=max_attempts)
        self.registry = Registry(client)
        self.gate = HostGate(client, keys, worker=worker, stale=lease_ttl)
        self.held: set[str] = set()  # leases this worker holds
        self.to_ack: list[str] = []
        self.to_fail: list[tuple[str, str]] = []
        self.available = True
        # set by the scheduler: queue the new requests in Redis before acknowledging the
        # requests that found them (False: Redis is down, acknowledge later)
        self.before_ack: Any = lambda: True
        self._retry_at = 0.0
        self._backoff = 0.5
        self._outage_started = 0.0
        self._flushing = False
        self._loops: list[task.LoopingCall] = []
        self._lock: IO[str] | None = None
        self.started = time.time()
        self.max_pages = 0  # the crawl's page budget ([limits] max_pages), for the cluster
        self._pages = 0  # responses not yet added to the cluster's count
        self.budget_spent = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterWorker:
        s = crawler.settings
        url = s.get("NEWSARC_REDIS_URL")
        if not url:  # an embedded crawl (no message: Scrapy would print it as a warning)
            raise NotConfigured
        worker = s.get("NEWSARC_WORKER_ID")
        slug, crawl_id = s.get("NEWSARC_CLUSTER_EVENT"), s.get("NEWSARC_CRAWL_ID")
        if not (worker and slug and crawl_id):
            raise NotConfigured("cluster settings incomplete (NEWSARC_WORKER_ID, …)")
        ext = cls(
            crawler,
            connect(url),
            CrawlKeys(slug, crawl_id),
            worker,
            url=url,
            lease_ttl=s.getfloat("NEWSARC_LEASE_TTL", 60.0),
            max_attempts=s.getint("NEWSARC_CLUSTER_MAX_ATTEMPTS", 5),
            created=s.getbool("NEWSARC_CLUSTER_CREATED"),
        )
        ext.max_pages = s.getint("NEWSARC_CLUSTER_MAX_PAGES", 0)
        event_dir = s.get("NEWSARC_EVENT_DIR")
        if event_dir:
            ext.hold_lock(Path(event_dir))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def response_received(self, request: Any = None, **_: Any) -> None:
        if request is None or not request.meta.get("newsarc_redo"):  # a re-fetch: counted once
            self._pages += 1

    def count_pages(self) -> None:
        """Add this worker's new responses to the crawl's count; past ``max_pages``, the
        cluster stops leasing (Scrapy's CLOSESPIDER_PAGECOUNT, for the whole crawl)."""
        if not self.max_pages or (not self._pages and self.budget_spent):
            return
        delta, self._pages = self._pages, 0
        total = self.call(lambda: self.client.hincrby(self.keys.n, "pages", delta))
        if total is None:
            self._pages += delta
            return
        if int(total) >= self.max_pages and not self.budget_spent:
            self.budget_spent = True
            logger.info("the crawl's page budget (%d) is spent: no new requests", self.max_pages)
            self.crawler.stats.set_value("newsarc/cluster/page_budget_spent", 1)

    # -- liveness ---------------------------------------------------------------------------

    def hold_lock(self, event_dir: Path) -> None:
        """``<event>/workers/<worker>.lock``, flocked for life: a WARC named after a worker whose
        lock can be taken was left by a dead one (``archive.warc.repair.live_writer``)."""
        path = event_dir / WORKERS_DIR / f"{self.worker}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = path.open("w")
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fh.write(f"{socket.gethostname()} pid {os.getpid()}\n")
        fh.flush()
        self._lock = fh

    def info(self) -> dict[str, Any]:
        stats = self.crawler.stats
        return {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": self.started,
            "pages": stats.get_value("newsarc/warc/responses", 0),
            "articles": stats.get_value("newsarc/articles", 0),
            "errors": sum(
                v for k, v in (stats.get_stats() or {}).items()
                if k.startswith("newsarc/errors/") and isinstance(v, int)
            ),
            "held": len(self.held),
            "available": self.available,
        }  # fmt: skip

    def spider_opened(self) -> None:
        self.call(lambda: self.registry.beat(self.keys, self.worker, self.info(), join=True))
        logger.info("worker %s joined crawl %s of %s on %s", self.worker, self.keys.crawl_id,
                    self.keys.slug, redacted(self.url))  # fmt: skip
        beat = task.LoopingCall(self.heartbeat)
        beat.start(max(0.5, min(5.0, self.lease_ttl / 4)), now=False)
        flush = task.LoopingCall(self.flush)
        flush.start(0.2, now=False)
        self._loops = [beat, flush]

    def heartbeat(self) -> None:
        self.call(lambda: self.registry.beat(self.keys, self.worker, self.info()))
        if self.held:
            self.call(lambda: self.frontier.renew(self.worker, sorted(self.held)))

    # -- outages ----------------------------------------------------------------------------

    def call(self, fn: Any, default: Any = None) -> Any:
        """Run one Redis call; on an outage note it, back off, and return ``default``."""
        if not self.available and time.monotonic() < self._retry_at:
            return default
        try:
            result = fn()
        except UNAVAILABLE as exc:
            self._down(exc)
            return default
        if not self.available:
            down = time.monotonic() - self._outage_started
            logger.warning("Redis is back after %.1f s: resuming", down)
            self.crawler.stats.inc_value("newsarc/cluster/outage_seconds", round(down))
            self.available, self._backoff = True, 0.5
        return result

    def _down(self, exc: BaseException) -> None:
        if self.available:
            logger.warning("Redis unreachable (%s): fetching paused, nothing dropped", exc)
            self.crawler.stats.inc_value("newsarc/cluster/outages")
            self._outage_started = time.monotonic()
        self.available = False
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, 5.0)

    # -- acknowledgements ------------------------------------------------------------------

    def done(self, fingerprint: str, extra: list[str], error: str | None) -> None:
        """A leased request and everything it led to are finished."""
        if error is None:
            self.to_ack += [fingerprint, *extra]
        else:
            self.to_fail.append((fingerprint, error))
        if len(self.to_ack) + len(self.to_fail) >= 64:
            self.flush()

    def flush(self) -> None:
        self.count_pages()
        if self._flushing or not (self.to_ack or self.to_fail):
            return
        warc = self.crawler.get_extension(WarcService)
        if warc is None or warc.failed is not None:
            return  # a failed WARC: nothing is acknowledged, the leases go back to the queue
        self._flushing = True
        acks, fails = self.to_ack, self.to_fail
        self.to_ack, self.to_fail = [], []
        # the WARC thread is FIFO: once this no-op ran, every record queued before it is written
        job = warc.barrier()
        job.add_done_callback(lambda _: self.crawler_loop_call(lambda: self._send(acks, fails)))

    def crawler_loop_call(self, fn: Any) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(fn)

    def _send(self, acks: list[str], fails: list[tuple[str, str]]) -> None:
        self._flushing = False
        if not self.before_ack():  # their links are not in Redis yet: not done either
            self.to_ack[:0] = acks
            self.to_fail[:0] = fails
            return
        result = self.call(lambda: self.frontier.ack(self.worker, acks), default=None)
        if acks and result is None:
            self.to_ack[:0] = acks  # Redis is down: acknowledged when it is back
        else:
            if result is not None:
                twice = result[1]
                self.crawler.stats.inc_value("newsarc/cluster/acked", len(acks))
                if twice:
                    self.crawler.stats.inc_value("newsarc/cluster/fetched_twice", twice)
            self.held.difference_update(acks)
        if fails:
            if self.call(lambda: self.frontier.fail(self.worker, fails), default=None) is None:
                self.to_fail[:0] = fails
            else:
                self.crawler.stats.inc_value("newsarc/cluster/failed", len(fails))
                self.held.difference_update(fp for fp, _ in fails)

    @property
    def settled(self) -> bool:
        """Nothing of this worker waits to be told to Redis."""
        return not (self.to_ack or self.to_fail or self._flushing)

    def spider_closed(self) -> None:
        for loop in self._loops:
            if loop.running:
                loop.stop()
        # last acknowledgements: the WARC service is still open (it closes on engine_stopped)
        warc = self.crawler.get_extension(WarcService)
        if warc is not None and warc.failed is None and (self.to_ack or self.to_fail):
            warc.barrier().result()
            acks, fails = self.to_ack, self.to_fail
            self.to_ack, self.to_fail = [], []
            self._send(acks, fails)
        self.call(lambda: self.registry.beat(self.keys, self.worker, self.info()))
