"""Scrapy's scheduler for a distributed crawl: the frontier lives in Redis, leased.

``enqueue_request`` sends new requests to the shared frontier (duplicates of anything queued,
leased or done anywhere in the cluster are dropped there); ``next_request`` leases the next
one. A request a downloader middleware makes from a leased one (a retry, a redirect) continues
that lease: it stays in this worker, and the lease is acknowledged — its fingerprint recorded
as done, with the redirect targets' — when the last of them is finished, i.e. when Scrapy's
engine has written its WARC records, run its callback, sent its items through the pipelines
and queued its links. A request that fails for good is reported to the failed list instead.

The engine has no public "request finished" hook: :func:`crawler.scheduler.on_request_done`.
The frontier hands out requests layer by layer (breadth first), as the embedded crawl's
:class:`crawler.scheduler.LayeredScheduler` does.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from scrapy.core.scheduler import BaseScheduler
from scrapy.utils.request import request_from_dict

from crawler.cluster.worker import ClusterWorker
from crawler.scheduler import hops_of, on_request_done
from crawler.signals import ABANDONED

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
LEASE = "newsarc_lease"  # meta: the fingerprint of the lease a request belongs to
FAILED = "newsarc_failed"  # meta: set by the spider's errback when a fetch failed for good
_DROP_META = ("download_slot", "depth", "retry_times", "redirect_times", "redirect_urls",
              "redirect_reasons", "newsarc_record")  # fmt: skip


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__b64": base64.b64encode(value).decode()}
    if isinstance(value, dict):  # header names are bytes: their text, not "b'Referer'"
        return {
            k.decode("latin-1") if isinstance(k, bytes) else str(k): _jsonable(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(type(value).__name__)


def _unjson(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64"}:
            return base64.b64decode(value["__b64"])
        return {k: _unjson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unjson(v) for v in value]
    return value


def encode_request(request: Request, spider: Spider) -> bytes:
    """A request as JSON (never pickle: whoever can write to Redis must not run code here).
    Meta values that are not JSON (none of newsarc's at enqueue time) are left out."""
    data = request.to_dict(spider=spider)
    meta = {}
    for key, value in (data.get("meta") or {}).items():
        if key in _DROP_META:
            continue
        try:
            meta[key] = _jsonable(value)
        except TypeError:
            logger.debug("meta %s of %s not shared (%s)", key, request.url, type(value))
    data["meta"] = meta
    return json.dumps(_jsonable(data), separators=(",", ":")).encode()


def decode_request(raw: bytes, spider: Spider) -> Request:
    return request_from_dict(_unjson(json.loads(raw)), spider=spider)


class ClusterScheduler(BaseScheduler):
    def __init__(self, crawler: Crawler, worker: ClusterWorker) -> None:
        self.crawler = crawler
        self.worker = worker
        self.stats = crawler.stats
        self.spider: Spider | None = None
        self.local: deque[Request] = deque()  # continuations of leases held here
        self.to_push: list[tuple[str, int, bytes, int, str, int]] = []
        self.pending: dict[str, list[Any]] = {}  # lease -> [open requests, extra fps, error]
        self._sizes = (1, 0)
        self._sizes_at = 0.0
        self._poll: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterScheduler:
        worker = crawler.get_extension(ClusterWorker)
        if worker is None:
            raise RuntimeError("the cluster scheduler needs crawler.cluster.worker.ClusterWorker")
        return cls(crawler, worker)

    def fingerprint(self, request: Request) -> str:
        fp: bytes = self.crawler.request_fingerprinter.fingerprint(request)
        return fp[:8].hex()

    def open(self, spider: Spider) -> None:
        from twisted.internet import task

        self.spider = spider
        on_request_done(self.crawler, self.finished)
        self.worker.before_ack = self.pushed
        # an idle engine looks at its scheduler every 5 s; poll the shared frontier faster
        self._poll = task.LoopingCall(self._wake)
        self._poll.start(0.25, now=False)

    def close(self, reason: str) -> None:
        if self._poll is not None and self._poll.running:
            self._poll.stop()
        self._flush_pushes()
        if self.to_push:
            logger.error("%d new requests not queued: Redis unreachable at the end",
                         len(self.to_push))  # fmt: skip
            self.stats.inc_value("newsarc/cluster/unqueued", len(self.to_push))

    def _wake(self) -> None:
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        if slot is not None and not self.local:
            slot.nextcall.schedule()

    # -- in ---------------------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        lease = request.meta.get(LEASE)
        if lease is not None and lease in self.pending:  # a retry or redirect of a lease here
            entry = self.pending[lease]
            fp = self.fingerprint(request)
            if fp != lease and fp not in entry[1]:  # a redirect: its target is fetched once
                assert self.spider is not None
                data = encode_request(request, self.spider)
                claim = lambda: self.worker.frontier.claim(  # noqa: E731
                    self.worker.worker, fp, request.priority, data
                )
                if self.worker.call(claim, default=True) is False:
                    self.stats.inc_value("newsarc/cluster/redirect_known")
                    return False  # done, queued or leased elsewhere (Scrapy drops it too)
                self.worker.held.add(fp)
            entry[0] += 1
            if fp != lease and fp not in entry[1]:
                entry[1].append(fp)
            self.local.append(request)
            return True
        if lease is not None:  # made from a request of a lease already finished: a new one
            del request.meta[LEASE]
        assert self.spider is not None
        hops = request.meta.get("newsarc_hops")
        self.to_push.append(
            (
                self.fingerprint(request),
                request.priority,
                encode_request(request, self.spider),
                int(hops) if isinstance(hops, int) else -1,
                str(request.meta.get("newsarc_via") or ""),
                hops_of(request),
            )
        )
        if len(self.to_push) >= 32:
            self._flush_pushes()
        return True

    def pushed(self) -> bool:
        """Every request enqueued so far is in Redis (links before their page's ack)."""
        self._flush_pushes()
        return not self.to_push

    def _flush_pushes(self) -> None:
        if not self.to_push:
            return
        batch, self.to_push = self.to_push, []
        pushed = self.worker.call(lambda: self.worker.frontier.push(batch))
        if pushed is None:
            self.to_push[:0] = batch  # Redis is down: queued when it is back
            return
        self.stats.inc_value("newsarc/cluster/queued", pushed)
        self.stats.inc_value("newsarc/cluster/known", len(batch) - pushed)

    # -- out --------------------------------------------------------------------------------

    def next_request(self) -> Request | None:
        if self.local:
            request = self.local.popleft()
            self.stats.inc_value("scheduler/dequeued")
            return request
        self._flush_pushes()
        if self.to_push or not self.worker.available or self.worker.budget_spent:
            return None
        leases = self.worker.call(lambda: self.worker.frontier.lease(self.worker.worker, 1))
        if not leases:
            return None
        lease = leases[0]
        assert self.spider is not None
        try:
            request = decode_request(lease.data, self.spider)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            logger.error("unreadable request in the frontier (%s): failed", exc)
            self.worker.done(lease.fingerprint, [], f"unreadable request: {exc}")
            return None
        request.meta[LEASE] = lease.fingerprint
        if lease.hops is not None and lease.hops < int(request.meta.get("newsarc_hops", 0)):
            # found closer to a seed while it waited (by any worker)
            request.meta["newsarc_hops"] = lease.hops
            if lease.via:
                request.meta["newsarc_via"] = lease.via
        self.pending[lease.fingerprint] = [1, [], None]
        self.worker.held.add(lease.fingerprint)
        self.stats.inc_value("scheduler/dequeued")
        self.stats.inc_value("newsarc/cluster/leased")
        if lease.attempt > 1:  # its last holder died: done again (crawler/middlewares/incremental)
            request.meta["newsarc_redo"] = True
            self.stats.inc_value("newsarc/cluster/leased_again")
        return request

    def finished(self, request: Request) -> None:
        """The engine is done with ``request`` (fetched, called back, items and links handled)."""
        lease = request.meta.get(LEASE)
        entry = self.pending.get(lease) if lease is not None else None
        if entry is None or lease is None:
            return
        if request.meta.get(ABANDONED):  # a forced stop: not acknowledged, the lease expires
            del self.pending[lease]
            return
        if request.meta.get(FAILED):
            entry[2] = request.meta[FAILED]
        entry[0] -= 1
        if entry[0] > 0:
            return
        del self.pending[lease]
        self.worker.done(lease, entry[1], entry[2])

    def has_pending_requests(self) -> bool:
        if self.local or self.to_push or self.pending or not self.worker.settled:
            return True
        if not self.worker.available:
            return True  # Redis is down: the crawl is not over, it is paused
        if self.worker.budget_spent:
            return False  # max_pages reached: what is still queued is not fetched
        now = time.monotonic()
        if now - self._sizes_at > 0.5:
            sizes = self.worker.call(self.worker.frontier.sizes)
            if sizes is None:
                return True
            self._sizes, self._sizes_at = sizes, now
        queued, leased = self._sizes
        return bool(queued or leased)
