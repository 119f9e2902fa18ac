"""Reading stored article sets: ``<slug>/articles/<crawl-id>[.<worker>].jsonl`` (schema in the
README; a distributed crawl stores one part per worker).

Article ids are derived from the WARC response record id, so the article of a capture is found
without scanning: :func:`archive.articles.record.article_id` of the record's ``WARC-Record-ID``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
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


ORIGINAL_KINDS = ("unique", "revision")
"""Dedup verdicts of an original text (what ``--unique-only`` keeps): ``unique`` (first seen)
and ``revision`` (a new revision of an article at the same URL; its text is stored as canonical,
as a unique one's is). The others are copies of another article: ``url`` (the same article at
another URL: AMP, mobile, tracking variants), ``exact``, ``near``, ``rewrite``."""


def is_unique(article: dict[str, Any]) -> bool:
    """An original text: a dedup verdict of :data:`ORIGINAL_KINDS`, or no verdict at all."""
    dup = article.get("dup")
    return not isinstance(dup, dict) or dup.get("kind", "unique") in ORIGINAL_KINDS


def capture_order(article: dict[str, Any]) -> tuple[str, int]:
    """Orders the captures of one URL within one crawl: fetch time, then revision."""
    try:
        revision = int(article.get("revision") or 1)
    except (TypeError, ValueError):
        revision = 1
    return str(article.get("fetched_at") or ""), revision


def latest_captures(
    crawls: Iterable[Iterable[dict[str, Any]]],
    *,
    all_captures: bool = False,
    unique: bool = False,
) -> Iterator[dict[str, Any]]:
    """One event's articles, each once: its latest capture.

    ``crawls`` holds the articles of each crawl (all parts of its set), **newest crawl first**
    (crawl ids sort by time; a re-extraction's set is newer than the crawls it re-read). An
    article is a URL: the newest crawl that stored the URL gives its row, and within one crawl
    the latest :func:`capture_order` (later fetch, higher revision; on a tie, the later line).
    A crawl's first-time URLs are held until its set is read (memory: one crawl's articles).

    ``all_captures``: every capture instead (streamed). Either way an article id appears once:
    a later set that stores an id again (a re-extraction) replaces it.

    ``unique``: only articles with an original text, i.e. with at least one capture that
    :func:`is_unique` (its first capture, or a later revision): a later capture judged a ``url``
    duplicate of the same URL's earlier one (a re-crawl or re-extraction that did not track
    revisions) keeps the article in. Rows of articles not yet known to be original are held
    until every set is read (memory: the copies).
    """
    seen_ids: set[str] = set()
    seen_urls: set[str] = set()
    original: set[str] = set()  # URLs with an original capture
    held: list[dict[str, Any]] = []  # unique: rows whose URL is not (yet) known to be original
    for articles in crawls:
        chosen: dict[str, dict[str, Any]] = {}
        ids: set[str] = set()
        for article in articles:
            key = str(article.get("id"))
            if key in seen_ids:
                continue
            ids.add(key)
            url = str(article.get("url") or key)
            if unique and is_unique(article):
                original.add(url)
            if all_captures:
                if not unique or url in original:
                    yield article
                else:
                    held.append(article)
                continue
            if url in seen_urls:
                continue
            kept = chosen.get(url)
            if kept is None or capture_order(article) >= capture_order(kept):
                chosen[url] = article
        seen_ids |= ids
        seen_urls.update(chosen)
        for url, article in chosen.items():
            if not unique or url in original:
                yield article
            else:
                held.append(article)
    yield from (a for a in held if str(a.get("url") or a.get("id")) in original)
