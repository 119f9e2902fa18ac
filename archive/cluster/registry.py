"""Who crawls what: an event's current distributed crawl, its workers and the objects they stored.

- ``newsarc:<slug>:crawl`` (hash): the crawl under way — its id, the event file's text (so a
  ``newsarc worker`` on another machine needs nothing but the Redis URL), the archive location
  and its status (``running``, ``finishing``, ``done``). Creating it is atomic: of two workers
  started at once, one creates the crawl and the other joins it. It is also the event's lock
  in cluster mode: one crawl of an event at a time.
- ``<prefix>w`` (hash worker → JSON, with a heartbeat in the Redis server's time) and
  ``<prefix>active`` (set): the workers. A worker whose heartbeat is older than the lease TTL
  is dead.
- ``<prefix>k`` (set): every object key a worker stored for the crawl; the manifest lists them.
- ``<prefix>finisher``: the worker that writes the manifest — the last one to leave.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from archive.cluster.connection import EVENTS_KEY, CrawlKeys, decode, event_key

OPEN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'running' then return {0, redis.call('HGET', KEYS[1], 'id')} end
if status == 'finishing' then
  -- its last worker writes the manifest; if that worker died, a new one joins to finish it
  local id = redis.call('HGET', KEYS[1], 'id')
  local p = 'newsarc:' .. ARGV[7] .. ':' .. id .. ':'
  local finisher = redis.call('GET', p .. 'finisher')
  local info = finisher and redis.call('HGET', p .. 'w', finisher)
  local beat = info and tonumber(cjson.decode(info)['beat'] or 0) or 0
  if now - beat > tonumber(ARGV[8]) then return {2, id} end
  return {-1, id}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'status', 'running', 'event', ARGV[2],
  'event_name', ARGV[3], 'output', ARGV[4], 'storage', ARGV[5], 'options', ARGV[6],
  'created', now)
redis.call('SADD', KEYS[2], ARGV[7])
return {1, ARGV[1]}
"""

BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local info = cjson.decode(ARGV[3])
info['beat'] = now
redis.call('HSET', ARGV[1] .. 'w', ARGV[2], cjson.encode(info))
if ARGV[4] == '1' then redis.call('SADD', ARGV[1] .. 'active', ARGV[2]) end
return tostring(now)
"""

# ARGV: prefix, worker, ttl -> 1: this worker is the last one and must finish the crawl;
# 0: others are still active (alive, or killed less than ttl ago): ask again; -1: another
# live worker finishes it
LEAVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local p, wid, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[4] or redis.call('HGET', KEYS[1], 'status') == 'done'
then
  return -1  -- finished already (its keys are gone): nothing left to do
end
redis.call('SREM', p .. 'active', wid)
local info = redis.call('HGET', p .. 'w', wid)
if info then
  local w = cjson.decode(info); w['left'] = now
  redis.call('HSET', p .. 'w', wid, cjson.encode(w))
end
for _, other in ipairs(redis.call('SMEMBERS', p .. 'active')) do
  local raw = redis.call('HGET', p .. 'w', other)
  local beat = 0
  if raw then beat = tonumber(cjson.decode(raw)['beat'] or 0) end
  if now - beat > ttl then
    redis.call('SREM', p .. 'active', other)
    redis.call('HINCRBY', p .. 'n', 'workers_lost', 1)
  end
end
local finisher = redis.call('GET', p .. 'finisher')
if finisher and finisher ~= wid then
  local raw = redis.call('HGET', p .. 'w', finisher)
  local beat = raw and tonumber(cjson.decode(raw)['beat'] or 0) or 0
  if now - beat <= ttl then return -1 end
end
if redis.call('SCARD', p .. 'active') > 0 then return 0 end
if redis.call('SETNX', p .. 'finisher', wid) == 1 then
  redis.call('HSET', KEYS[1], 'status', 'finishing')
  return 1
end
-- the finisher died before writing the manifest (no heartbeat): this worker takes over
finisher = redis.call('GET', p .. 'finisher')
local raw = redis.call('HGET', p .. 'w', finisher)
local beat = raw and tonumber(cjson.decode(raw)['beat'] or 0) or 0
if finisher ~= wid and now - beat > ttl then
  redis.call('SET', p .. 'finisher', wid)
  redis.call('HINCRBY', p .. 'n', 'finishers_lost', 1)
  return 1
end
return -1
"""


@dataclass(frozen=True)
class ClusterCrawl:
    slug: str
    crawl_id: str
    event_text: str
    event_name: str
    output: str
    storage: str
    options: dict[str, Any]
    status: str
    created: bool = False  # this call created it

    @property
    def keys(self) -> CrawlKeys:
        return CrawlKeys(self.slug, self.crawl_id)


class Registry:
    def __init__(self, client: Any) -> None:
        self.client = client
        self._open = client.register_script(OPEN)
        self._beat = client.register_script(BEAT)
        self._leave = client.register_script(LEAVE)

    def open_crawl(
        self,
        slug: str,
        crawl_id: str,
        *,
        event_text: str,
        event_name: str,
        output: str,
        storage: str = "",
        options: dict[str, Any] | None = None,
        stale: float = 60.0,
    ) -> ClusterCrawl | None:
        """Join the event's running crawl, or start one with ``crawl_id``. None while the last
        crawl is still finishing (its last worker writes the manifest): try again shortly. A
        crawl whose finishing worker stopped beating ``stale`` seconds ago is joined, so that
        this worker finishes it."""
        code, _found = self._open(
            keys=[event_key(slug), EVENTS_KEY],
            args=[crawl_id, event_text, event_name, output, storage,
                  json.dumps(options or {}, sort_keys=True), slug, stale],
        )  # fmt: skip
        if int(code) < 0:
            return None
        crawl = self.current(slug)
        assert crawl is not None
        return ClusterCrawl(**{**crawl.__dict__, "created": int(code) == 1})

    def current(self, slug: str) -> ClusterCrawl | None:
        raw = {decode(k): decode(v) for k, v in self.client.hgetall(event_key(slug)).items()}
        if not raw.get("id"):
            return None
        return ClusterCrawl(
            slug=slug,
            crawl_id=raw["id"],
            event_text=raw.get("event", ""),
            event_name=raw.get("event_name", f"{slug}.toml"),
            output=raw.get("output", ""),
            storage=raw.get("storage", ""),
            options=json.loads(raw.get("options") or "{}"),
            status=raw.get("status", ""),
        )

    def running(self) -> list[ClusterCrawl]:
        """Crawls under way (what ``newsarc worker`` joins), oldest event name first."""
        out = []
        for slug in sorted(decode(s) for s in self.client.smembers(EVENTS_KEY)):
            crawl = self.current(slug)
            if crawl is not None and crawl.status == "running":
                out.append(crawl)
        return out

    def beat(
        self, keys: CrawlKeys, worker: str, info: dict[str, Any], *, join: bool = False
    ) -> float:
        return float(self._beat(args=[keys.prefix, worker, json.dumps(info), "1" if join else "0"]))

    def leave(
        self,
        keys: CrawlKeys,
        worker: str,
        ttl: float,
        *,
        wait: float = 0.0,
        sleep: Any = time.sleep,
    ) -> bool:
        """This worker is done. True when it is the last live one: it finishes the crawl.

        A worker killed less than ``ttl`` ago still counts as active; with ``wait``, this
        worker asks again (once a second, up to ``wait`` seconds) until the others have left
        or are known dead, so that somebody always finishes the crawl."""
        deadline = time.monotonic() + wait
        while True:
            answer = int(
                self._leave(
                    keys=[event_key(keys.slug)], args=[keys.prefix, worker, ttl, keys.crawl_id]
                )
            )
            if answer != 0 or time.monotonic() >= deadline:
                return answer == 1
            sleep(1.0)

    def workers(self, keys: CrawlKeys) -> dict[str, dict[str, Any]]:
        active = {decode(w) for w in self.client.smembers(keys.active)}
        out = {}
        for wid, raw in self.client.hgetall(keys.w).items():
            info = json.loads(raw)
            info["active"] = decode(wid) in active
            out[decode(wid)] = info
        return out

    def add_objects(self, keys: CrawlKeys, object_keys: list[str]) -> None:
        if object_keys:
            self.client.sadd(keys.k, *object_keys)

    def objects(self, keys: CrawlKeys) -> set[str]:
        return {decode(k) for k in self.client.smembers(keys.k)}

    def finish(self, keys: CrawlKeys, summary: dict[str, Any]) -> None:
        """The manifest is written: the crawl is done, its keys are dropped."""
        self.client.hset(
            event_key(keys.slug), mapping={"status": "done", "summary": json.dumps(summary)}
        )
        self.client.srem(EVENTS_KEY, keys.slug)
        batch: list[Any] = []
        for key in self.client.scan_iter(match=keys.prefix + "*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                self.client.unlink(*batch)
                batch = []
        if batch:
            self.client.unlink(*batch)


def worker_id() -> str:
    """A short id naming this worker (in WARC file names, Annex C ``crawlhost``)."""
    return f"{socket.gethostname().split('.')[0] or 'host'}-{os.getpid()}-{os.urandom(2).hex()}"
