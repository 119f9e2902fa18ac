"""Start or join an event's distributed crawl: what ``newsarc crawl --redis`` and ``newsarc
worker`` do before Scrapy starts."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.cluster.connection import connect, ping
from archive.cluster.registry import ClusterCrawl, Registry, worker_id
from crawler import settings as defaults
from crawler.event.spec import EventSpec
from crawler.runner import CrawlOptions

logger = logging.getLogger(__name__)

# the options a worker takes from the crawl it joins, so every worker crawls alike
SHARED = ("connect_to", "allow_private_addresses", "operator")


def join(
    url: str,
    event: EventSpec,
    options: CrawlOptions,
    *,
    wait: float = 600.0,
    sleep: Any = time.sleep,
) -> tuple[ClusterCrawl, CrawlOptions]:
    """Join the event's crawl in Redis, or start one. Waits (up to ``wait`` seconds) while
    the previous crawl is being finished by its last worker. Returns the crawl and the options
    this worker runs it with."""
    client = connect(url)
    ping(client, url)
    registry = Registry(client)
    shared = {name: getattr(options, name) for name in SHARED}
    deadline = time.monotonic() + wait
    while True:
        crawl = registry.open_crawl(
            event.slug,
            datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
            event_text=Path(event.path).read_text(encoding="utf-8"),
            event_name=Path(event.path).name,
            output=options.output,
            storage=options.storage or "",
            options={**shared, "extra": _shareable(options.extra or {})},
            stale=float((options.extra or {}).get("NEWSARC_LEASE_TTL", 60.0)),
        )
        if crawl is not None:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"the last crawl of {event.slug} is still finishing")
        sleep(1.0)
    worker = worker_id()
    extra = {
        **(options.extra or {}),
        "NEWSARC_REDIS_URL": url,
        "NEWSARC_WORKER_ID": worker,
        "NEWSARC_CLUSTER_EVENT": event.slug,
        "NEWSARC_CLUSTER_CREATED": crawl.created,
        "NEWSARC_CRAWL_ID": crawl.crawl_id,
        "NEWSARC_WARC_HOST": worker,  # Annex C: <prefix>-<timestamp>-<serial>-<crawlhost>
        "SCHEDULER": "crawler.cluster.scheduler.ClusterScheduler",
        # [limits] max_pages counts for the whole crawl, not per worker
        "CLOSESPIDER_PAGECOUNT": 0,
        "NEWSARC_CLUSTER_MAX_PAGES": event.limits.max_pages,
        "EXTENSIONS": {  # newsarc's extensions, with the cluster's upload and end of crawl
            **defaults.EXTENSIONS,
            **(options.extra or {}).get("EXTENSIONS", {}),
            "pipelines.upload.UploadExtension": None,
            "pipelines.cluster.ClusterUploadExtension": 500,
        },
    }
    if not crawl.created:  # crawl alike: take the creator's connection options
        for name in SHARED:
            if crawl.options.get(name) is not None:
                options = replace(options, **{name: crawl.options[name]})
        extra = {**crawl.options.get("extra", {}), **extra}
    return crawl, replace(options, extra=extra)


def _shareable(extra: dict[str, Any]) -> dict[str, Any]:
    """NEWSARC_* values a joining worker takes over (never credentials: no proxy URL)."""
    keep = {}
    for name, value in extra.items():
        if (
            name.startswith("NEWSARC_")
            and "PROXY" not in name
            and isinstance(value, (str, int, float, bool, type(None)))
        ):
            keep[name] = value
    return keep
