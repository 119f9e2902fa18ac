"""Layered scheduling: every page at hops *h* from a seed is done before any at *h + 1*.

Depth limits count hops along the path by which a URL was first found. With plain priority
order, a slow seed page lets a feed's article find a section page first at hops 2 when the
home page would have found it at hops 1; the depth limit then cuts different pages on each
run, and on each machine of a distributed crawl. Processing the frontier in layers (a
breadth-first barrier) makes a URL's hops its shortest distance from a seed, whatever order
responses arrive in: the same event crawled twice, or by one process and by many, follows
the same links. Within a layer, Scrapy's priorities (relevance, recency) and its per-host
fairness (``DownloaderAwarePriorityQueue``) are kept.

:class:`LayeredScheduler` is Scrapy's scheduler with the barrier: a request popped from a
deeper layer than the shallowest one still queued or in progress waits (in a small heap) until
that layer is done. "Done" is when Scrapy's engine has finished the request: fetched, called
back, its items through the pipelines and its links queued (:func:`on_request_done`). The
distributed crawl's frontier applies the same barrier in Redis (archive/cluster/frontier.py).

The frontier is on disk (``NEWSARC_FRONTIER_DISK``): Scrapy's own disk queues (pickled
requests, as with ``JOBDIR``) in a private temporary directory that is removed when the crawl
ends (a killed crawl leaves it to the system's temp cleaning), so memory does not grow with the
number of queued URLs (a breadth-first crawl of a 100,000-article site queues them all at
once). Only Scrapy's scheduler uses the directory: the crawl state and the archive, not
Scrapy's job directory, are what a later crawl resumes from. Revision checks
(``newsarc_layer``) stay in memory: they are few, and a shorter path found for one changes it
in place. The barrier stops pulling requests out of the queues at the first one of a deeper
layer when no request of the current layer is left in them, so the held heap stays small.
"""

from __future__ import annotations

import heapq
import inspect
import itertools
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.squeues import PickleLifoDiskQueue

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

HOPS = "newsarc_hops"


HELD = "newsarc/scheduler/held"  # stat: requests dequeued and held for a deeper layer, now


def hops_of(request: Request) -> int:
    """The layer a request is scheduled in: its hops from a seed (``newsarc_layer`` if set:
    revision checks go last)."""
    value = request.meta.get("newsarc_layer", request.meta.get(HOPS, 0))
    return value if isinstance(value, int) else 0


def on_request_done(crawler: Crawler, callback: Callable[[Request], None]) -> None:
    """Call ``callback(request)`` when the engine has finished a scheduled request.

    Scrapy has no public signal for it; the engine's ``_remove_request`` runs exactly then
    (after the download, the callback, the items and the new requests). Scrapy is pinned
    below 3; the layered and the distributed crawl tests fail if this stops being called.
    """
    engine = crawler.engine
    assert engine is not None
    original = engine._remove_request

    def removed(result: Any, request: Request) -> None:
        try:
            original(result, request)
        finally:
            callback(request)

    engine._remove_request = removed  # type: ignore[method-assign,assignment]


class LayeredScheduler(Scheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queued: Counter[int] = Counter()  # in Scrapy's queues (and held here), per layer
        self.active: Counter[int] = Counter()  # handed to the engine, not yet done
        self.held: list[tuple[int, int, int, Request]] = []
        self.held_per_layer: Counter[int] = Counter()
        self._seq = itertools.count()
        self.crawler: Crawler | None = None
        self._own_dir: str | None = None  # the temporary frontier directory, removed at close

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LayeredScheduler:
        settings = crawler.settings
        jobdir = None
        if settings.getbool("NEWSARC_FRONTIER_DISK") and not settings.get("JOBDIR"):
            parent = settings.get("NEWSARC_FRONTIER_DIR") or None
            if parent:
                Path(parent).mkdir(parents=True, exist_ok=True)
            jobdir = tempfile.mkdtemp(prefix="newsarc-frontier-", dir=parent)
        scheduler: LayeredScheduler = super().from_crawler(crawler)
        if jobdir is not None:
            scheduler.dqdir = scheduler._dqdir(jobdir)
            scheduler._own_dir = jobdir
        scheduler.crawler = crawler
        return scheduler

    def close(self, reason: str) -> Any:
        try:
            return super().close(reason)  # writes the queues' state, which nothing resumes from
        finally:
            if self._own_dir is not None:
                shutil.rmtree(self._own_dir, ignore_errors=True)

    def open(self, spider: Spider) -> Any:
        result = super().open(spider)
        if self.crawler is not None:
            on_request_done(self.crawler, self._done)
        return result

    def _done(self, request: Request) -> None:
        layer = request.meta.get("_newsarc_layer")
        if isinstance(layer, int):
            self.active[layer] -= 1
            if self.active[layer] <= 0:
                del self.active[layer]

    def enqueue_request(self, request: Request) -> bool:
        if not super().enqueue_request(request):
            return False
        self.queued[hops_of(request)] += 1
        return True

    def _dqpush(self, request: Request) -> bool:
        if "newsarc_layer" in request.meta:
            return False  # a revision check: kept in memory (module doc)
        return super()._dqpush(request)

    def _floor(self) -> int | None:
        layers = [h for h, n in self.queued.items() if n > 0]
        layers += [h for h, n in self.active.items() if n > 0]
        return min(layers) if layers else None

    def _hand_out(self, request: Request, layer: int) -> Request:
        self.queued[layer] -= 1
        if self.queued[layer] <= 0:
            del self.queued[layer]
        self.active[layer] += 1
        request.meta["_newsarc_layer"] = layer
        return request

    def next_request(self) -> Request | None:
        floor = self._floor()
        if floor is None:
            return None
        if self.held and self.held[0][0] <= floor:
            layer, _, _, waiting = heapq.heappop(self.held)
            self.held_per_layer[layer] -= 1
            if self.stats is not None:
                self.stats.set_value(HELD, len(self.held))
            return self._hand_out(waiting, layer)
        while True:
            request = super().next_request()
            if request is None:
                return None  # the shallowest layer is in progress: wait for it
            layer = hops_of(request)
            if layer <= floor:
                return self._hand_out(request, layer)
            if self.stats is not None:
                self.stats.inc_value("newsarc/scheduler/held_for_layer")
            heapq.heappush(self.held, (layer, -request.priority, next(self._seq), request))
            self.held_per_layer[layer] += 1
            if self.stats is not None:
                self.stats.set_value(HELD, len(self.held))
            if self.queued[floor] - self.held_per_layer[floor] <= 0:
                return None  # nothing of this layer left in the queues: wait for it to finish

    def has_pending_requests(self) -> bool:
        return bool(self.held) or super().has_pending_requests()

    def __len__(self) -> int:
        return super().__len__() + len(self.held)


class DiskRequestQueue(PickleLifoDiskQueue):  # type: ignore[misc,valid-type]
    """Scrapy's pickle LIFO disk queue (``SCHEDULER_DISK_QUEUE``), read back by Scrapy's own
    ``request_from_dict``. Written with :func:`request_dict`: Scrapy's ``Request.to_dict`` finds
    a callback's name by listing every member of the spider (``inspect.getmembers``) for every
    request, about a tenth of the crawl's main-thread time."""

    def __init__(self, crawler: Crawler, key: str) -> None:
        super().__init__(crawler, key)
        self._names = {
            method.__func__: name
            for name, method in inspect.getmembers(crawler.spider, inspect.ismethod)
        }

    def push(self, request: Request) -> None:
        # past Scrapy's push, which would call to_dict: straight to the pickling queue
        super(PickleLifoDiskQueue, self).push(  # type: ignore[misc]
            request_dict(request, self._names)
        )


def request_dict(request: Request, names: dict[Any, str]) -> dict[str, Any]:
    """``request.to_dict(spider=spider)``, the spider's method names looked up in ``names``
    (function → name); ValueError for a callback that is not one of them, as Scrapy's."""

    def name(func: Any) -> Any:
        if not callable(func):
            return func
        found = names.get(getattr(func, "__func__", None))
        if found is None:
            raise ValueError(f"Function {func} is not an instance method of the spider")
        return found

    d: dict[str, Any] = {
        "url": request.url,
        "callback": name(request.callback),
        "errback": name(request.errback),
        "headers": dict(request.headers),
    }
    for attr in request.attributes:
        d.setdefault(attr, getattr(request, attr))
    if type(request) is not Request:
        d["_class"] = request.__module__ + "." + request.__class__.__name__
    return d
