"""Uploads of one worker of a distributed crawl, and the end of the crawl by its last worker.

Each worker stores what it wrote as it goes (its WARCs on rotation, their indexes, its part of
the article set, the texts) and records every key in Redis. When the frontier is empty, each
worker leaves; the last one to leave **finishes** the crawl, once:

1. adopts what dead workers on this machine left (WARCs repaired, indexed and stored);
2. merges every worker's WARC indexes into the crawl's index and the event's index;
3. copies the crawl state from Redis into the event's SQLite state, and keeps its replica of
   the shared dedup log (caught up to the end) as the event's dedup index; concludes the
   extraction health of every worker's pages (``crawls/<id>/health.json``, drift alarms);
4. writes the one manifest, listing every worker's objects, and drops the crawl's Redis keys.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.cdxj.indexing import (
    EVENT_INDEX,
    index_path_for,
    index_warc_file,
    merge_event_index,
    merge_stored,
)
from archive.cluster.connection import CrawlKeys, connect
from archive.cluster.registry import Registry
from archive.errors import StorageError
from archive.state.redis import RedisCrawlState
from archive.state.sqlite import SqliteCrawlState, state_path
from archive.version import VERSION
from archive.warc.repair import repair_directory, worker_alive, worker_writing
from pipelines.health import HealthExtension
from pipelines.stages import replica_path
from pipelines.upload import KEPT_FILES, UploadExtension, finish_reason
from pipelines.warc import unlisted_warcs

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ClusterUploadExtension(UploadExtension):
    cluster: tuple[Any, CrawlKeys, str, float]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterUploadExtension:
        ext = super().from_crawler(crawler)
        assert isinstance(ext, ClusterUploadExtension)
        s = crawler.settings
        keys = CrawlKeys(s["NEWSARC_CLUSTER_EVENT"], s["NEWSARC_CRAWL_ID"])
        ext.cluster = (
            connect(s["NEWSARC_REDIS_URL"]),
            keys,
            s["NEWSARC_WORKER_ID"],
            s.getfloat("NEWSARC_LEASE_TTL", 60.0),
        )
        return ext

    def fetch_kept(self, local: Path) -> None:
        if self.crawler.settings.getbool("NEWSARC_CLUSTER_CREATED") or not local.exists():
            super().fetch_kept(local)

    def engine_stopped(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        warc = self._warc()
        warc.close()
        client, keys, worker, ttl = self.cluster
        registry = Registry(client)
        # the reactor's heartbeat has stopped: beat while uploading and finishing, so that the
        # others neither count this worker out nor take the end of the crawl over
        beating = _Heartbeat(registry, keys, worker, ttl)
        try:
            event_dir = self.uploader.spool / self.slug
            for path in warc.writer.closed_files:
                if index_path_for(path).exists():
                    self.submit(index_path_for(path))
            store = self.crawler.settings.get("NEWSARC_WORKER_ID")
            articles = event_dir / "articles" / f"{self.crawl_id}.{store}.jsonl"
            if articles.exists():
                self.submit(articles)
            for sub in ("text", f"crawls/{self.crawl_id}"):
                self._keys.update(self.uploader.submit_tree(event_dir / sub))
            stats = self.crawler.stats
            drained = self.uploader.drain(self.drain_timeout)
            registry.add_objects(keys, sorted(self._keys))
            # a worker killed just now still looks active: wait until it is known dead
            last = registry.leave(keys, worker, ttl, wait=2 * ttl + 30)
            stats.set_value("newsarc/cluster/finisher", int(last))
            if last:
                drained = self.finish(registry, event_dir) and drained
        finally:
            beating.stop()
        self.uploader.close()
        stats.set_value("newsarc/upload/objects", self.uploader.stats.uploaded)
        if not drained:
            pending = self.uploader.pending or self.uploader.stats.failed or 1
            stats.set_value("newsarc/upload/pending", pending)
            logger.error("%d objects are not in storage yet; run: newsarc upload --resume", pending)
        elif last:
            stats.set_value("newsarc/upload/manifest", 1)

    def finish(self, registry: Registry, event_dir: Path) -> bool:
        client, keys, worker, _ttl = self.cluster
        stats = self.crawler.stats
        logger.info("last worker of crawl %s: writing its index, state and manifest", keys.crawl_id)
        objects = registry.objects(keys) | self._keys
        adopted = self.adopt_orphans(event_dir, objects)
        objects |= adopted
        # 2. indexes: every worker's per-WARC index, merged
        index_keys = sorted(k for k in objects if k.startswith(f"{self.slug}/cdxj/"))
        crawl_index = event_dir / "crawls" / self.crawl_id / EVENT_INDEX
        crawl_index.parent.mkdir(parents=True, exist_ok=True)
        storage = self.uploader.storage
        try:
            stats.set_value("newsarc/index/lines", merge_stored(storage, index_keys, crawl_index))
            objects.add(self.uploader.submit(crawl_index))
            merge_event_index(storage, self.slug, crawl_index, event_dir / EVENT_INDEX)
            self.uploader.submit(event_dir / EVENT_INDEX)
        except (StorageError, OSError) as exc:
            logger.error("cannot update the event's index: %s", exc)
            stats.inc_value("newsarc/index/event_index_failed")
            self.index_pending = True
        # 3. state and dedup index, for the next crawl of the event (embedded or not)
        if self.crawler.settings.getbool("NEWSARC_INCREMENTAL", True):
            target = SqliteCrawlState(state_path(event_dir))
            try:
                n = RedisCrawlState(client, keys).dump(target)
                stats.set_value("newsarc/state/urls", n)
            finally:
                target.close()
        self.keep_dedup_replica(client, keys, event_dir / "dedup", worker)
        for kept in KEPT_FILES:
            if (event_dir / kept).exists():
                objects.add(self.uploader.submit(event_dir / kept, keep=True))
        health = self.crawler.get_extension(HealthExtension)
        if health is not None:  # every worker's pages: crawls/<id>/health.json and its alarms
            health.conclude_shared()
        objects.update(self.uploader.submit_tree(event_dir / "crawls" / self.crawl_id))
        done = self.uploader.drain(self.drain_timeout) and not self.index_pending
        counters = {}
        try:
            from archive.cluster.frontier import Frontier

            counters = Frontier(client, keys).counters()
        except Exception:
            logger.debug("cluster counters unavailable", exc_info=True)
        info = {
            "newsarc": VERSION,
            "storage": storage.uri,
            "finish_reason": finish_reason(stats.get_stats()),
            "cluster": {"workers": sorted(registry.workers(keys)), "frontier": counters,
                        "failed": list(_failed(client, keys).values())},
            "stats": {k: v for k, v in (stats.get_stats() or {}).items() if isinstance(v, int)},
        }  # fmt: skip
        self.add_health(info)
        if done:
            written = self.uploader.write_manifest(self.slug, self.crawl_id, info, objects)
        else:
            self.uploader.write_pending(self.slug, self.crawl_id, info, objects)
            written = False
        if written:
            registry.finish(keys, {"objects": len(objects), **counters})
        return written

    def adopt_orphans(self, event_dir: Path, objects: set[str]) -> set[str]:
        """WARCs of workers that died on this machine: repaired, indexed, stored."""
        warc_dir = event_dir / "warc"
        repaired = repair_directory(warc_dir, on_repaired=index_warc_file)
        for result in repaired:
            logger.warning("repaired %s of a dead worker: %d records", result.source.name,
                           result.records)  # fmt: skip
        added: set[str] = set()
        for path in unlisted_warcs(warc_dir, event_dir):
            if not path.exists() or worker_writing(path, event_dir) is not None:
                continue
            key = self.uploader.key_for(path)
            if key in objects:
                continue
            if not index_path_for(path).exists():
                index_warc_file(path)
            added.add(self.uploader.submit(path))
            added.add(self.uploader.submit(index_path_for(path)))
            self.crawler.stats.inc_value("newsarc/cluster/adopted_warcs")
        # their parts of the article set (a line cut by the kill is dropped: its page was not
        # acknowledged, so another worker stored its article again)
        for part in sorted((event_dir / "articles").glob(f"{self.crawl_id}.*.jsonl")):
            key = self.uploader.key_for(part)
            owner = part.name[len(self.crawl_id) + 1 : -len(".jsonl")]
            if key in objects or worker_alive(event_dir, owner) is not None:
                continue
            data = part.read_bytes()
            if data and not data.endswith(b"\n"):
                part.write_bytes(data[: data.rfind(b"\n") + 1])
            added.add(self.uploader.submit(part))
            self.crawler.stats.inc_value("newsarc/cluster/adopted_article_parts")
        return added

    def keep_dedup_replica(self, client: Any, keys: CrawlKeys, dedup: Path, worker: str) -> None:
        from pipelines.dedup.index import DedupIndex
        from pipelines.dedup.shared import SharedDedup

        replica = replica_path(dedup, worker)
        if not replica.exists():
            dedup.mkdir(parents=True, exist_ok=True)
            base = dedup / "index.sqlite"
            if base.exists():
                replica.write_bytes(base.read_bytes())
        index = DedupIndex(replica)
        try:
            shared = SharedDedup(index, client, keys.dedup)
            shared.catch_up()
        finally:
            index.close()
        os.replace(replica, dedup / "index.sqlite")
        for stale in dedup.glob("replica-*.sqlite*"):
            stale.unlink(missing_ok=True)


class _Heartbeat:
    """Beats for the finishing worker (its reactor loop has stopped), so that nobody takes the
    crawl's end over while it writes the indexes and the manifest."""

    def __init__(self, registry: Registry, keys: CrawlKeys, worker: str, ttl: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(registry, keys, worker, max(0.5, ttl / 4)), daemon=True
        )
        self._thread.start()

    def _run(self, registry: Registry, keys: CrawlKeys, worker: str, every: float) -> None:
        while not self._stop.wait(every):
            with contextlib.suppress(Exception):
                registry.beat(keys, worker, {"finishing": True})

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _failed(client: Any, keys: CrawlKeys) -> dict[str, Any]:
    from archive.cluster.frontier import Frontier

    try:
        return Frontier(client, keys).failed()
    except Exception:
        return {}
