"""One dedup index for every worker of a distributed crawl: a replicated log in Redis.

Verdicts depend on order (the first copy of a text is ``unique``, the next is ``exact``), so
workers must agree on one order. Each article's dedup input (ids, URL, date, signatures) is
appended to a Redis stream, which numbers it; every worker applies the stream, in stream
order, to its own replica of :class:`~pipelines.dedup.index.DedupIndex` (a SQLite file started
from the event's stored index), and an article's verdict is what its replica says when its own
entry is applied. Replicas are thus identical, and verdicts are those a single process would
give for that order — exact, near, rewrite and story alike — with no lock and no index
re-implemented on Redis. Adding a known document id again is a no-op, so an entry written
twice (a retry after a dropped reply) changes nothing. The worker that finishes the crawl
keeps its replica as the event's index. No Scrapy here.
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime
from typing import Any

from archive.cluster.connection import UNAVAILABLE, decode
from pipelines.dedup.index import DedupIndex, DedupVerdict
from pipelines.dedup.signatures import FIELDS, Signatures

logger = logging.getLogger(__name__)
LAST_APPLIED = "stream_last"  # meta key of the replica: the last stream entry applied


def _published(value: date | datetime | str | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.isoformat()


class SharedDedup:
    def __init__(
        self,
        index: DedupIndex,
        client: Any,
        stream: str,
        *,
        max_backoff: float = 5.0,
        sleep: Any = time.sleep,
    ) -> None:
        self.index = index
        self.client = client
        self.stream = stream
        self.max_backoff = max_backoff
        self.sleep = sleep
        row = index.store.db.execute(
            "SELECT value FROM meta WHERE key = ?", (LAST_APPLIED,)
        ).fetchone()
        self.last = str(row[0]) if row else "0-0"
        self.applied = 0  # entries of other workers applied here

    def add(
        self,
        doc_id: str,
        url: str,
        canonical_url: str | None,
        published: date | datetime | str | None,
        sig: Signatures,
    ) -> DedupVerdict:
        """Append the article to the log, apply the log up to it, return its verdict. Waits
        (with back-off) while Redis cannot be reached."""
        fields: dict[str, Any] = {
            "doc": doc_id,
            "url": url,
            "canonical": canonical_url or "",
            "published": _published(published),
        }
        fields.update({name: getattr(sig, name) for name in FIELDS if name != "n_words"})
        fields["n_words"] = str(sig.n_words)
        entry = decode(self._retry(lambda: self.client.xadd(self.stream, fields)))
        verdicts = self._retry(lambda: self.catch_up(until=entry))
        return verdicts[doc_id]

    def catch_up(self, until: str = "+") -> dict[str, DedupVerdict]:
        """Apply every entry after the last one applied (up to ``until``); their verdicts."""
        verdicts: dict[str, DedupVerdict] = {}
        while True:
            batch = self.client.xrange(self.stream, min=f"({self.last}", max=until, count=500)
            if not batch:
                break
            for entry_id, raw in batch:
                f = {decode(k): v for k, v in raw.items()}
                values = {name: bytes(f.get(name, b"")) for name in FIELDS if name != "n_words"}
                sig = Signatures(**values, n_words=int(f["n_words"]))
                doc = decode(f["doc"])
                verdicts[doc] = self.index.add(
                    doc,
                    decode(f["url"]),
                    decode(f["canonical"]) or None,
                    decode(f["published"]) or None,
                    sig,
                )
                self.last = decode(entry_id)
                self.applied += 1
            self._remember()
            if len(batch) < 500:
                break
        return verdicts

    def _remember(self) -> None:
        self.index.store.db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (LAST_APPLIED, self.last)
        )

    def _retry(self, call: Any) -> Any:
        wait = 0.1
        warned = False
        while True:
            try:
                return call()
            except UNAVAILABLE as exc:
                if not warned:
                    logger.warning("dedup: Redis unreachable (%s); waiting for it", exc)
                    warned = True
                self.sleep(wait)
                wait = min(wait * 2, self.max_backoff)
