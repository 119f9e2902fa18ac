"""The spider-trap caps of a distributed crawl, counted once for the cluster.

``max_query_variants_per_path`` and ``max_pages_per_host`` are counts over the whole crawl
(:class:`crawler.policy.traps.TrapFilter`); kept per worker, three workers would admit three
times as many variants of a calendar or a sorted archive. Here both counts live in Redis and
are checked and updated in one Lua script per URL: the same URLs are admitted as in a single
process that saw them in the same order.
"""

from __future__ import annotations

from typing import Any

from archive.cluster.connection import UNAVAILABLE, CrawlKeys

# KEYS variants-set, pages-hash; ARGV query, max_variants, count_page, max_pages, host
ADMIT = """
local query, maxv, count, maxp, host = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]),
  ARGV[5]
local new_variant = false
if query ~= '' and redis.call('SISMEMBER', KEYS[1], query) == 0 then
  if redis.call('SCARD', KEYS[1]) >= maxv then return 'query_variants' end
  new_variant = true
end
if count == '1' then
  local pages = tonumber(redis.call('HGET', KEYS[2], host) or '0')
  if maxp > 0 and pages >= maxp then return 'pages_per_host' end
  redis.call('HINCRBY', KEYS[2], host, 1)
end
if new_variant then redis.call('SADD', KEYS[1], query) end
return ''
"""


class SharedTrapCounts:
    """``TrapFilter``'s stateful caps on Redis (see :mod:`crawler.policy.traps`)."""

    def __init__(self, client: Any, keys: CrawlKeys) -> None:
        self.keys = keys
        self._admit = client.register_script(ADMIT)
        self.local: Any = None  # the filter's own counts, used while Redis is down

    def admit(
        self,
        host: str,
        path: str,
        query: str,
        *,
        count_page: bool,
        max_variants: int,
        max_pages: int,
    ) -> str | None:
        """None when admitted (and counted), else the reason."""
        try:
            reason = self._admit(
                keys=[self.keys.prefix + f"variants:{host}{path}", self.keys.prefix + "pages"],
                args=[query, max_variants, "1" if count_page else "0", max_pages, host],
            )
        except UNAVAILABLE:
            return None  # Redis is down: admitted (the fetch itself waits for Redis)
        reason = reason.decode() if isinstance(reason, bytes) else reason
        return reason or None
