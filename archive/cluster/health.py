"""Extraction-health observations shared by a distributed crawl's workers.

``<prefix>health`` (list): batches of page observations (``archive.health.signals.Tally`` as
JSON), pushed by each worker as it goes and when it stops. The last worker merges them into the
crawl's tally: the same per-site signals as one process given every page (a worker killed after
its last batch loses only the observations since then; its unacknowledged pages are fetched and
observed again by the others). The list goes with the crawl's other keys when it is finished.
"""

from __future__ import annotations

import json
from typing import Any

from archive.cluster.connection import CrawlKeys
from archive.health.signals import Tally


class SharedTally:
    def __init__(self, client: Any, keys: CrawlKeys):
        self.client = client
        self.key = keys.health

    def push(self, tally: Tally) -> None:
        """Send one batch (raises the client's errors: the caller keeps the batch and retries)."""
        if len(tally):
            self.client.rpush(self.key, json.dumps(tally.to_json(), separators=(",", ":")))

    def collect(self) -> Tally:
        """Every batch sent so far, merged."""
        merged = Tally()
        for batch in self.client.lrange(self.key, 0, -1):
            merged.merge(Tally.from_json(json.loads(batch)))
        return merged
