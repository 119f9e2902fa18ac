"""The frontier of a distributed crawl in Redis: leased requests, nothing lost when a worker dies.

scrapy-redis pops a request off a list and forgets it: a worker killed mid-fetch loses it, and
its dupefilter records the fingerprint before the fetch, so a failure is never retried. Here
(after Browsertrix's Redis state) a request is **leased**: moved from the queue to a lease set
with an expiry, renewed while its worker lives, and **acknowledged** only when its WARC records
are written and its links queued. Only then is its fingerprint recorded as done. A lease that
expires (its worker died) goes back to the queue; after ``max_attempts`` it goes to the failed
list with its last error. A fetch that fails for good is also listed there, not as done, so a
later crawl (or a later discovery in this one, while attempts remain) can retry it.

Every operation is one Lua script, so workers never see half a move. Times are the Redis
server's clock (``TIME``): workers on machines whose clocks disagree still agree on expiries.

Keys (prefix ``newsarc:<slug>:<crawl-id>:``): ``q`` queue (sorted set fp → priority order),
``r`` requests (hash fp → serialised request), ``p`` scores, ``l`` leases (sorted set fp →
expiry), ``o`` lease owners, ``a`` attempts, ``f`` failed (fp → JSON), ``s:<xyz>`` done
fingerprints in 4,096 small hashes (compact listpacks), ``n`` counters. Memory, measured by
benchmarks/cluster_memory.py at 100,000 URLs: 680 bytes per queued URL (its request JSON) and
28 bytes per done URL; the crawl's keys are dropped when it ends, so nothing grows across
crawls.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from archive.cluster.connection import CrawlKeys, decode

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# the layer barrier (crawler/scheduler.py): leased requests counted per layer
_LAYERS = """
local function layer_of(p, fp)
  local h = redis.call('HGET', p .. 'h', fp)
  if not h then return 0 end
  local v = cjson.decode(h)
  return tonumber(v[3] or v[1]) or 0
end
local function release(p, fp)
  local layer = redis.call('HGET', p .. 'ly', fp)
  if layer then
    redis.call('HINCRBY', p .. 'lc', layer, -1)
    redis.call('HDEL', p .. 'ly', fp)
  end
end
-- a request leaves the queue and its lease for good (done or failed); its attempts are kept
-- by the caller that wants them (a failed request must not be retried past max_attempts)
local function forget(p, fp)
  release(p, fp)
  redis.call('ZREM', p .. 'l', fp)
  redis.call('ZREM', p .. 'q', fp)
  for _, field in ipairs({'o', 'r', 'p', 'h'}) do redis.call('HDEL', p .. field, fp) end
end
local function leased_floor(p)
  local floor = nil
  local counts = redis.call('HGETALL', p .. 'lc')
  for i = 1, #counts, 2 do
    if tonumber(counts[i + 1]) > 0 then
      local layer = tonumber(counts[i])
      if floor == nil or layer < floor then floor = layer end
    end
  end
  return floor
end
"""

_SEEN = """
local function seen_key(fp) return ARGV[1] .. 's:' .. string.sub(fp, 1, 3) end
local function is_seen(fp) return redis.call('HEXISTS', seen_key(fp), string.sub(fp, 4)) == 1 end
"""

# ARGV: prefix, max_attempts, then fp, score, data, hops, via, layer sextuples. A request queued
# (not leased) again with fewer hops keeps the fewer: depth counts from the nearest seed.
PUSH = (
    _SEEN
    + """
local p = ARGV[1]
local max = tonumber(ARGV[2])
local pushed = 0
for i = 3, #ARGV, 6 do
  local fp, score, data, hops, via, layer = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2],
    tonumber(ARGV[i + 3]), ARGV[i + 4], tonumber(ARGV[i + 5])
  if not is_seen(fp) and redis.call('HEXISTS', p .. 'r', fp) == 0
     and tonumber(redis.call('HGET', p .. 'a', fp) or '0') < max then
    -- layer first (breadth first), then priority, then first in first out
    local seq = redis.call('INCR', p .. 'seq') % 16777216
    local s = (math.max(layer, 0) * 2097152 + score) * 16777216 + seq
    redis.call('HSET', p .. 'r', fp, data)
    redis.call('HSET', p .. 'p', fp, s)
    redis.call('ZADD', p .. 'q', s, fp)
    if hops >= 0 then redis.call('HSET', p .. 'h', fp, cjson.encode({hops, via, layer})) end
    pushed = pushed + 1
  elseif hops >= 0 and redis.call('ZSCORE', p .. 'q', fp) then
    local cur = redis.call('HGET', p .. 'h', fp)
    local old = cur and cjson.decode(cur)
    if old and old[1] > hops then
      redis.call('HSET', p .. 'h', fp, cjson.encode({hops, via, math.min(old[3] or old[1], layer)}))
      redis.call('HINCRBY', p .. 'n', 'shorter_path', 1)
    end
  end
end
if pushed > 0 then redis.call('HINCRBY', p .. 'n', 'queued', pushed) end
return pushed
"""
)

# expired leases back to the queue, or to the failed list after max attempts
_REQUEUE = """
local function requeue(p, now, max, limit)
  local expired = redis.call('ZRANGEBYSCORE', p .. 'l', '-inf', now, 'LIMIT', 0, limit)
  for _, fp in ipairs(expired) do
    redis.call('ZREM', p .. 'l', fp)
    release(p, fp)
    local owner = redis.call('HGET', p .. 'o', fp) or '?'
    redis.call('HDEL', p .. 'o', fp)
    local n = tonumber(redis.call('HGET', p .. 'a', fp) or '0')
    if n >= max then
      local data = redis.call('HGET', p .. 'r', fp)
      redis.call('HSET', p .. 'f', fp, cjson.encode({request = data, attempts = n,
        error = 'lease expired ' .. n .. ' times (last holder ' .. owner .. ' died?)'}))
      forget(p, fp)
      redis.call('HINCRBY', p .. 'n', 'failed', 1)
    else
      redis.call('ZADD', p .. 'q', tonumber(redis.call('HGET', p .. 'p', fp) or '0'), fp)
      redis.call('HINCRBY', p .. 'n', 'requeued', 1)
    end
  end
  return #expired
end
"""

# ARGV: prefix, worker, ttl, max_attempts, count -> {fp, data, attempt, ...}
LEASE = (
    _NOW
    + _LAYERS
    + _REQUEUE
    + """
local p, wid, ttl, max, count = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]),
  tonumber(ARGV[5])
requeue(p, now, max, 100)
local out = {}
local got = redis.call('ZRANGE', p .. 'q', 0, count - 1)
-- breadth first: nothing deeper than the shallowest layer still queued or leased
local floor = leased_floor(p)
if #got > 0 then
  local first = layer_of(p, got[1])
  if floor == nil or first < floor then floor = first end
end
for _, fp in ipairs(got) do
  local layer = layer_of(p, fp)
  if layer > floor then break end
  redis.call('HSET', p .. 'ly', fp, layer)
  redis.call('HINCRBY', p .. 'lc', layer, 1)
  redis.call('ZREM', p .. 'q', fp)
  redis.call('ZADD', p .. 'l', now + ttl, fp)
  redis.call('HSET', p .. 'o', fp, wid)
  local n = redis.call('HINCRBY', p .. 'a', fp, 1)
  if n > 1 then redis.call('HINCRBY', p .. 'n', 'leased_again', 1) end
  table.insert(out, fp)
  table.insert(out, redis.call('HGET', p .. 'r', fp))
  table.insert(out, n)
  table.insert(out, redis.call('HGET', p .. 'h', fp) or '')
end
return out
"""
)

# ARGV: prefix, worker, fp... -> {acked, acked while leased by another worker}
ACK = (
    _SEEN
    + _LAYERS
    + """
local p, wid = ARGV[1], ARGV[2]
local acked, others = 0, 0
for i = 3, #ARGV do
  local fp = ARGV[i]
  local owner = redis.call('HGET', p .. 'o', fp)
  if owner and owner ~= wid then others = others + 1 end
  if not is_seen(fp) then
    redis.call('HSET', seen_key(fp), string.sub(fp, 4), 1)
    acked = acked + 1
  end
  forget(p, fp)
  redis.call('HDEL', p .. 'a', fp)
end
redis.call('HINCRBY', p .. 'n', 'done', acked)
if others > 0 then redis.call('HINCRBY', p .. 'n', 'done_twice', others) end
return {acked, others}
"""
)

# ARGV: prefix, worker, then fp, error pairs
FAIL = (
    _LAYERS
    + """
local p, wid = ARGV[1], ARGV[2]
local failed = 0
for i = 3, #ARGV, 2 do
  local fp, err = ARGV[i], ARGV[i + 1]
  local data = redis.call('HGET', p .. 'r', fp)
  if data then
    redis.call('HSET', p .. 'f', fp, cjson.encode({request = data, error = err,
      attempts = tonumber(redis.call('HGET', p .. 'a', fp) or '1'), worker = wid}))
    failed = failed + 1
  end
  forget(p, fp)
end
redis.call('HINCRBY', p .. 'n', 'failed', failed)
return failed
"""
)

# ARGV: prefix, worker, ttl, fp, score, data -> 1 when this worker now holds fp's lease (a
# redirect target it follows), 0 when fp is done, queued or leased already (it is not followed)
CLAIM = (
    _NOW
    + _SEEN
    + """
local p, wid, ttl, fp = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if is_seen(fp) or redis.call('HEXISTS', p .. 'r', fp) == 1 then return 0 end
redis.call('HSET', p .. 'r', fp, ARGV[6])
redis.call('HSET', p .. 'p', fp, ARGV[5])
redis.call('ZADD', p .. 'l', now + ttl, fp)
redis.call('HSET', p .. 'o', fp, wid)
redis.call('HINCRBY', p .. 'a', fp, 1)
return 1
"""
)

# ARGV: prefix, worker, ttl, fp... -> leases renewed (those still held by this worker)
RENEW = (
    _NOW
    + """
local p, wid, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local renewed = 0
for i = 4, #ARGV do
  if redis.call('HGET', p .. 'o', ARGV[i]) == wid then
    redis.call('ZADD', p .. 'l', 'XX', now + ttl, ARGV[i])
    renewed = renewed + 1
  end
end
return renewed
"""
)

# ARGV: prefix, max_attempts -> {queued, leased} after requeueing expired leases
SIZES = (
    _NOW
    + _LAYERS
    + _REQUEUE
    + """
local p = ARGV[1]
requeue(p, now, tonumber(ARGV[2]), 1000)
return {redis.call('ZCARD', p .. 'q'), redis.call('ZCARD', p .. 'l')}
"""
)


@dataclass(frozen=True)
class Lease:
    fingerprint: str
    data: bytes
    attempt: int
    hops: int | None = None  # the fewest hops from a seed it was found at
    via: str | None = None  # the page it was found on, at those hops


class Frontier:
    """One crawl's frontier (see the module docstring). Thread-compatible, not thread-safe:
    each call is one round trip. Raises the client's connection errors as they come (the
    caller decides whether to pause)."""

    def __init__(
        self, client: Any, keys: CrawlKeys, *, lease_ttl: float = 60.0, max_attempts: int = 3
    ) -> None:
        self.client = client
        self.keys = keys
        self.lease_ttl = lease_ttl
        self.max_attempts = max_attempts
        self._push = client.register_script(PUSH)
        self._lease = client.register_script(LEASE)
        self._ack = client.register_script(ACK)
        self._fail = client.register_script(FAIL)
        self._renew = client.register_script(RENEW)
        self._claim = client.register_script(CLAIM)
        self._sizes = client.register_script(SIZES)

    @staticmethod
    def score(priority: int) -> int:
        """Sort key of a Scrapy priority: higher priorities first (FIFO among equals)."""
        return max(-(2**20), min(2**20, -int(priority)))

    def push(self, entries: Sequence[tuple[Any, ...]]) -> int:
        """Queue (fingerprint, priority, request[, hops, via, layer]) entries; those done, leased
        or failed too often are skipped, those queued keep the fewest hops. Requests are leased
        a layer at a time (breadth first). Returns how many were queued."""
        if not entries:
            return 0
        args: list[Any] = [self.keys.prefix, self.max_attempts]
        for entry in entries:
            fp, priority, data = entry[0], entry[1], entry[2]
            hops = entry[3] if len(entry) > 3 else -1
            via = entry[4] if len(entry) > 4 else ""
            layer = entry[5] if len(entry) > 5 else hops
            args += [fp, self.score(priority), data, hops, via, layer]
        return int(self._push(args=args))

    def lease(self, worker: str, count: int = 1) -> list[Lease]:
        """Lease up to ``count`` requests, highest priority first (expired leases requeued)."""
        out = self._lease(args=[self.keys.prefix, worker, self.lease_ttl, self.max_attempts, count])
        leases = []
        for i in range(0, len(out), 4):
            hops, via = json.loads(out[i + 3])[:2] if out[i + 3] else (None, None)
            leases.append(Lease(decode(out[i]), out[i + 1], int(out[i + 2]), hops, via or None))
        return leases

    def ack(self, worker: str, fingerprints: list[str]) -> tuple[int, int]:
        """Record ``fingerprints`` as done. Returns (newly done, done while another worker held
        the lease: fetched twice)."""
        if not fingerprints:
            return 0, 0
        acked, twice = self._ack(args=[self.keys.prefix, worker, *fingerprints])
        return int(acked), int(twice)

    def fail(self, worker: str, failures: list[tuple[str, str]]) -> int:
        """Move leased requests to the failed list with their errors (not done: retryable)."""
        if not failures:
            return 0
        args: list[Any] = [self.keys.prefix, worker]
        for fp, error in failures:
            args += [fp, error[:500]]
        return int(self._fail(args=args))

    def claim(self, worker: str, fingerprint: str, priority: int, data: bytes) -> bool:
        """Lease ``fingerprint`` to ``worker`` unless it is done, queued or leased already
        (a redirect's target: fetched by one worker only, as Scrapy's dupefilter would)."""
        args = [self.keys.prefix, worker, self.lease_ttl, fingerprint, self.score(priority), data]
        return bool(self._claim(args=args))

    def renew(self, worker: str, fingerprints: list[str]) -> int:
        if not fingerprints:
            return 0
        return int(self._renew(args=[self.keys.prefix, worker, self.lease_ttl, *fingerprints]))

    def sizes(self) -> tuple[int, int]:
        """(queued, leased), after expired leases went back to the queue."""
        queued, leased = self._sizes(args=[self.keys.prefix, self.max_attempts])
        return int(queued), int(leased)

    def is_done(self, fingerprint: str) -> bool:
        return bool(self.client.hexists(f"{self.keys.prefix}s:{fingerprint[:3]}", fingerprint[3:]))

    def counters(self) -> dict[str, int]:
        return {decode(k): int(v) for k, v in self.client.hgetall(self.keys.n).items()}

    def failed(self) -> dict[str, dict[str, Any]]:
        """Failed requests: fingerprint → {url, error, attempts}."""
        out = {}
        for fp, raw in self.client.hgetall(self.keys.f).items():
            entry = json.loads(raw)
            try:
                entry["url"] = json.loads(entry.pop("request") or "{}").get("url")
            except (TypeError, ValueError):
                entry["url"] = None
            out[decode(fp)] = entry
        return out
