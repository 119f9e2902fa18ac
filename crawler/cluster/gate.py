"""Politeness across the cluster: per host, one next-allowed time and a slot count in Redis.

Each worker's Scrapy slots space its own requests; that alone would let N workers hit a host N
times as often. So right before a request goes on the wire (in the download handler, after
Scrapy's own slot let it go), the worker takes the host's send time in Redis: when
``now >= next`` (and a slot is free) it sets ``next = now + delay`` and sends at once; else it
waits ``next - now`` and asks again. Nothing is booked ahead, so a worker that wakes late
(a loaded machine) delays the next request instead of shortening its gap. Each step is atomic
(one Lua script, the Redis server's clock), so two requests to one host are never sent closer
than ``delay``, however many workers there are. Concurrency per host is a sorted set of
slot holders with expiries (a dead holder's slot frees itself). A ``Retry-After`` or
``Crawl-delay`` seen by one worker moves the host's next time for all of them.

While Redis is down the gate waits and retries (the request is not sent): a host's politeness
never depends on Redis being up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

from archive.cluster.connection import UNAVAILABLE, CrawlKeys

logger = logging.getLogger(__name__)

# KEYS host, slots, workers; ARGV delay, max_slots, token, slot_ttl, stale
# -> seconds to wait (-1: no free slot). A slot whose worker stopped beating (killed) is freed.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local delay, max, token, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local stale = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
for _, held in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local worker = string.match(held, '^(.*)|')
  local info = worker and redis.call('HGET', KEYS[3], worker)
  if info then
    local w = cjson.decode(info)
    if w['left'] or now - tonumber(w['beat'] or 0) > stale then
      redis.call('ZREM', KEYS[2], held)
    end
  end
end
if max > 0 and redis.call('ZCARD', KEYS[2]) >= max then return '-1' end
local nxt = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
if nxt > now then return tostring(nxt - now) end
redis.call('HSET', KEYS[1], 'next', tostring(now + delay))
redis.call('ZADD', KEYS[2], now + ttl, token)
redis.call('EXPIRE', KEYS[1], math.ceil(delay + ttl + 3600))
redis.call('EXPIRE', KEYS[2], math.ceil(delay + ttl + 3600))
return '0'
"""

# KEYS host; ARGV seconds -> the host's next time is at least now + seconds
PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nxt = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
if now + tonumber(ARGV[1]) > nxt then
  redis.call('HSET', KEYS[1], 'next', tostring(now + tonumber(ARGV[1])))
end
return 1
"""


class HostGate:
    def __init__(
        self,
        client: Any,
        keys: CrawlKeys,
        *,
        worker: str = "",
        stale: float = 60.0,
        slot_ttl: float = 300.0,
        poll: float = 0.05,
        sleep: Any = asyncio.sleep,
    ) -> None:
        self.client = client
        self.keys = keys
        self.worker = worker  # slot tokens name their worker: a dead one's slots are freed
        self.stale = stale  # seconds without a heartbeat after which a worker is dead
        self.slot_ttl = slot_ttl
        self.poll = poll
        self.sleep = sleep
        self._reserve = client.register_script(RESERVE)
        self._pause = client.register_script(PAUSE)
        self.waited = 0.0  # seconds spent waiting for the cluster (stats)

    async def acquire(self, slot: str, delay: float, max_slots: int) -> str:
        """Wait until this worker may send the next request to ``slot`` (host:port); returns
        the token to :meth:`release` after the exchange."""
        token = f"{self.worker}|{os.urandom(6).hex()}"
        keys = [self.keys.host(slot), self.keys.host_slots(slot), self.keys.w]
        backoff = self.poll
        while True:
            try:
                wait = float(
                    self._reserve(
                        keys=keys, args=[delay, max_slots, token, self.slot_ttl, self.stale]
                    )
                )
            except UNAVAILABLE as exc:
                logger.debug("politeness gate: Redis unreachable (%s); waiting", exc)
                await self.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if wait == 0:
                return token  # reserved now, at the moment of sending
            if wait < 0:
                wait = self.poll  # every slot of the host is taken: try again shortly
            # not yet: the host's next time is in the future. Nothing is booked ahead: the
            # time is taken when it has come, so a worker that wakes late pushes the next one
            # back instead of leaving it less than the delay after its own request.
            self.waited += wait
            await self.sleep(wait)

    def release(self, slot: str, token: str) -> None:
        with contextlib.suppress(*UNAVAILABLE):  # down: the slot's expiry frees it
            self.client.zrem(self.keys.host_slots(slot), token)

    def pause(self, slot: str, seconds: float) -> None:
        """Nobody in the cluster sends to ``slot`` for ``seconds`` (Retry-After)."""
        try:
            self._pause(keys=[self.keys.host(slot)], args=[seconds])
        except UNAVAILABLE:
            logger.debug("politeness gate: Retry-After of %s not shared (Redis down)", slot)
