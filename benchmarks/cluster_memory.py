"""Redis memory per URL of a distributed crawl's frontier (benchmarks/README.md).

Starts a private redis-server, queues N requests as the event spider makes them (JSON, real
callback and meta), measures ``used_memory``; then leases and acknowledges them all and
measures what the done-fingerprint set keeps. Usage: python benchmarks/cluster_memory.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scrapy

from archive.cluster.connection import CrawlKeys, connect
from archive.cluster.frontier import Frontier
from crawler.cluster.scheduler import encode_request
from tests.support.redisserver import RedisServer


class Spider(scrapy.Spider):
    name = "event"

    def parse_page(self, response):  # type: ignore[no-untyped-def]
        pass

    def on_error(self, failure):  # type: ignore[no-untyped-def]
        pass


def main(n: int) -> None:
    spider = Spider()
    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp)) as server:
        client = connect(server.url)
        frontier = Frontier(client, CrawlKeys("bench", "C1"))
        base = int(client.info("memory")["used_memory"])
        batch = []
        for i in range(n):
            url = f"http://host{i % 500}.example.org/world/2025/04/{i % 28 + 1:02d}/story-{i}.html"
            meta = {"newsarc_source": "link", "newsarc_hops": 2,
                    "newsarc_via": url.rsplit("/", 1)[0] + "/"}  # fmt: skip
            req = scrapy.Request(url, callback=spider.parse_page, errback=spider.on_error,
                                 priority=i % 300, meta=meta)  # fmt: skip
            batch.append((os.urandom(8).hex(), req.priority, encode_request(req, spider)))
            if len(batch) == 1000:
                frontier.push(batch)
                batch = []
        frontier.push(batch)
        queued = int(client.info("memory")["used_memory"]) - base
        while True:
            leases = frontier.lease("w", 1000)
            if not leases:
                break
            frontier.ack("w", [lease.fingerprint for lease in leases])
        done = int(client.info("memory")["used_memory"]) - base
        print(f"N={n}: queued {queued / n:.0f} B/URL ({queued / 2**20:.1f} MiB), "
              f"done {done / n:.0f} B/URL ({done / 2**20:.1f} MiB)")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
