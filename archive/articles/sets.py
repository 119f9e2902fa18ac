"""Reading stored article sets: ``<slug>/articles/<crawl-id>[.<worker>].jsonl`` (schema in the
README; a distributed crawl stores one part per worker).

Article ids are derived from the WARC response record id, so the article of a capture is found
without scanning: :func:`archive.articles.record.article_id` of the record's ``WARC-Record-ID``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from archive.errors import ArchiveFormatError
from archive.storage import open_object
from archive.storage.keys import ObjectInfo, Storage

JSONL = ".jsonl"


@dataclass(frozen=True)
class ArticleFile:
    event: str
    crawl_id: str
    info: ObjectInfo

    @property
    def key(self) -> str:
        return self.info.key

    @property
    def fingerprint(self) -> str:
        """Changes when the file does (size and, where the backend has one, a digest)."""
        return f"{self.info.size}:{self.info.sha256 or self.info.etag or ''}"


def article_files(storage: Storage, event: str) -> list[ArticleFile]:
    """The event's article sets, oldest crawl first."""
    files = []
    for info in storage.iter(f"{event}/articles/"):
        name = info.key.rsplit("/", 1)[-1]
        if name.endswith(JSONL) and info.key.count("/") == 2:
            # <crawl-id>.<worker>.jsonl: one part per worker of a distributed crawl
            files.append(ArticleFile(event, name[: -len(JSONL)].split(".")[0], info))
    return sorted(files, key=lambda f: (f.crawl_id, f.key))


def read_articles(storage: Storage, key: str) -> Iterator[dict[str, Any]]:
    """Every article of one stored set, streamed; a malformed line names the file and line."""
    with open_object(storage, key, buffer_size=1 << 20) as raw:
        for number, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8"), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ArchiveFormatError(f"{storage.uri}/{key}, line {number}: {exc}") from None
            if not isinstance(record, dict):
                raise ArchiveFormatError(f"{storage.uri}/{key}, line {number}: not an object")
            yield record


def is_unique(article: dict[str, Any]) -> bool:
    """The canonical copy of its text: ``dup.kind == "unique"``, or no dedup verdict at all."""
    dup = article.get("dup")
    return not isinstance(dup, dict) or dup.get("kind", "unique") == "unique"
