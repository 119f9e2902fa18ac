"""The crawl state in Redis, shared by the workers of a distributed crawl.

Same interface as :mod:`.sqlite` (:class:`archive.state.CrawlState`): one JSON value per URL in
the hash ``<prefix>st`` and its next due time in the sorted set ``<prefix>due``. The archive
keeps the SQLite file as the event's state between crawls: the worker that creates a crawl
copies it in (:meth:`RedisCrawlState.load`), the worker that finishes it copies it back out
(:meth:`RedisCrawlState.dump`), so an event may be crawled embedded one day and on a cluster
the next.

While Redis cannot be reached, writes wait in memory (and reads see them) and are written when
it is back: a worker keeps what it has through an outage.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from archive.cluster.connection import UNAVAILABLE, CrawlKeys, decode
from archive.errors import StorageError
from archive.state import UrlState

logger = logging.getLogger(__name__)
_FIELDS = {f.name for f in dataclasses.fields(UrlState)}


def _encode(state: UrlState) -> str:
    values = {k: v for k, v in dataclasses.asdict(state).items() if v not in (None, 0, 0.0, False)}
    return json.dumps(values, separators=(",", ":"), sort_keys=True)


def _decode(raw: bytes | str) -> UrlState:
    values = json.loads(raw)
    return UrlState(**{k: v for k, v in values.items() if k in _FIELDS})


class RedisCrawlState:
    def __init__(self, client: Any, keys: CrawlKeys) -> None:
        self.client = client
        self.st = keys.st
        self.due_key = keys.due
        self.pending: dict[str, UrlState] = {}  # written while Redis was unreachable

    def _flush(self) -> None:
        if not self.pending:
            return
        pipe = self.client.pipeline(transaction=True)
        for url, state in self.pending.items():
            pipe.hset(self.st, url, _encode(state))
            pipe.zadd(self.due_key, {url: state.next_due})
        pipe.execute()
        logger.warning("crawl state: %d writes kept through a Redis outage are stored",
                       len(self.pending))  # fmt: skip
        self.pending.clear()

    def get(self, url: str) -> UrlState | None:
        if url in self.pending:
            return dataclasses.replace(self.pending[url])
        try:
            self._flush()
            raw = self.client.hget(self.st, url)
        except UNAVAILABLE as exc:
            raise StorageError(f"crawl state unavailable (Redis): {exc}") from None
        return None if raw is None else _decode(raw)

    def put(self, state: UrlState) -> None:
        try:
            self._flush()
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(self.st, state.url, _encode(state))
            pipe.zadd(self.due_key, {state.url: state.next_due})
            pipe.execute()
        except UNAVAILABLE:
            self.pending[state.url] = dataclasses.replace(state)

    def mark_analysed(self, url: str) -> None:
        known = self.get(url)
        if known is not None and not known.analysed:
            known.analysed = True
            self.put(known)

    def due(self, now: float) -> list[tuple[str, str]]:
        urls = [decode(u) for u in self.client.zrangebyscore(self.due_key, "-inf", now)]
        out = []
        for i in range(0, len(urls), 1000):
            chunk = urls[i : i + 1000]
            for url, raw in zip(chunk, self.client.hmget(self.st, chunk), strict=True):
                if raw is not None:
                    out.append((url, json.loads(raw).get("kind", "other")))
        return out

    def __len__(self) -> int:
        return int(self.client.hlen(self.st)) + len(self.pending)

    def __iter__(self) -> Iterator[UrlState]:
        for _url, raw in self.client.hscan_iter(self.st, count=1000):
            yield _decode(raw)

    def load(self, states: Iterable[UrlState]) -> int:
        """Copy states in (the archive's state, when a crawl starts). Returns how many."""
        n = 0
        pipe = self.client.pipeline(transaction=False)
        for state in states:
            pipe.hset(self.st, state.url, _encode(state))
            pipe.zadd(self.due_key, {state.url: state.next_due})
            n += 1
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()
        return n

    def dump(self, target: Any) -> int:
        """Copy every state into ``target`` (a :class:`.sqlite.SqliteCrawlState`)."""
        self._flush()
        return int(target.put_many(iter(self)))

    def close(self) -> None:
        try:
            self._flush()
        except UNAVAILABLE:
            logger.error("crawl state: %d writes lost: Redis unreachable at the end",
                         len(self.pending))  # fmt: skip
