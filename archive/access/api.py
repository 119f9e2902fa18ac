"""The archive as a Python object: crawls, articles, captures and WARC records, local or S3.

::

    from archive import open_archive

    a = open_archive("./newsarc-data")                 # or "s3://bucket/prefix"
    a.events()                                         # ['wang-yi-moscow-2025', ...]
    a.articles(event="wang-yi-moscow-2025", unique=True)  # flat rows, typed as the export
    df = a.to_pandas(unique=True)                      # the export's columns and types
    cap = a.get("https://example.org/news/1", at="20250401")   # closest capture
    cap.status, cap.header("Content-Type"), cap.body          # body: content-encoding decoded
    for ref in a.records(event="wang-yi-moscow-2025"):          # every response record
        ...

Captures are found with a binary search in the event's sorted CDXJ (``<slug>/index.cdxj``) and
read with one ranged read of the record's gzip member. Nothing here imports Scrapy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import chain, groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warcio.timeutils import iso_date_to_timestamp

from archive.access.types import Capture, Crawl, RecordRef
from archive.articles.record import ArticleRecord
from archive.articles.sets import article_files, latest_captures, read_articles
from archive.cdxj.index import CdxjEntry
from archive.cdxj.indexing import WARC_SUFFIX, event_index_key, warc_key
from archive.cdxj.lookup import closest, lookup
from archive.cdxj.sources import StorageSource
from archive.errors import ArchiveFormatError, NotInArchive, ObjectNotFound
from archive.storage import open_object, open_storage
from archive.storage.keys import Storage, object_key
from archive.warc.reader import Record, RecordFormatError, iter_records, parse_member
from archive.warc.writer import OPEN_SUFFIX

__all__ = ["Archive", "Capture", "Crawl", "RecordRef", "open_archive"]

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from archive.articles.search import ArticleSource


class Archive:
    """Read access to a newsarc archive (a directory or an S3 prefix)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    @property
    def uri(self) -> str:
        return self.storage.uri

    def __repr__(self) -> str:
        return f"Archive({self.uri!r})"

    # -- events and crawls -------------------------------------------------------------------
    def events(self) -> list[str]:
        """Slugs of the events in the archive (directories holding crawls or WARCs)."""
        return [
            slug
            for slug in self.storage.children("")
            if {"crawls", "warc"} & set(self.storage.children(f"{slug}/"))
        ]

    def _events(self, event: str | None) -> list[str]:
        if event is None:
            return self.events()
        if event not in self.events():
            raise NotInArchive(f"no event {event!r} in {self.uri}")
        return [event]

    def event(self, event: str | None = None) -> str:
        """``event`` if the archive has it, else the archive's only event (NotInArchive when
        there is none or the event is unknown; ValueError naming them when there are several)."""
        if event is not None:
            return self._events(event)[0]
        events = self.events()
        if not events:
            raise NotInArchive(f"no events in {self.uri}")
        if len(events) > 1:
            raise ValueError(f"{len(events)} events in {self.uri}: {', '.join(events)}")
        return events[0]

    def open_warcs(self, event: str | None = None) -> list[tuple[str, str]]:
        """(event, name) of WARC files still open (``*.warc.gz.open``): a crawl is running, or
        one was killed and left them for ``newsarc repair``."""
        return [
            (slug, info.key.rsplit("/", 1)[-1])
            for slug in self._events(event)
            for info in self.storage.iter(f"{slug}/warc/")
            if info.key.endswith(WARC_SUFFIX + OPEN_SUFFIX) and info.key.count("/") == 2
        ]

    def repair_hint(self, event: str | None = None) -> str:
        """What to do about open WARC files of ``event`` (all events if None), or ''."""
        found = self.open_warcs(event)
        if not found:
            return ""
        where = getattr(self.storage, "root", None) or self.uri
        names = ", ".join(sorted({slug for slug, _ in found}))
        return (
            f"{len(found)} WARC file(s) of {names} still open (a crawl is running, or was "
            f"killed); once no crawl runs: newsarc repair {where} && newsarc index --archive "
            f"{where}"
        )

    def crawls(self, event: str | None = None) -> list[Crawl]:
        """Every crawl, oldest first per event, from ``crawls/<id>/manifest.json``."""
        crawls = []
        for slug in self._events(event):
            for crawl_id in self.storage.children(f"{slug}/crawls/"):
                key = object_key(slug, "crawls", crawl_id, "manifest.json")
                if self.storage.stat(key) is None:
                    crawls.append(Crawl(slug, crawl_id, False))
                    continue
                try:
                    manifest = json.loads(self.storage.get_bytes(key))
                except ValueError as exc:
                    raise ArchiveFormatError(f"{self.uri}/{key}: {exc}") from None
                crawls.append(Crawl(slug, crawl_id, True, manifest))
        return crawls

    # -- articles --------------------------------------------------------------------------------
    def stored_articles(
        self,
        event: str | None = None,
        *,
        unique: bool = False,
        crawl: str | None = None,
        all_captures: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """On-event articles as stored (nested dicts, the JSONL lines of ``articles/``).

        Each article (URL) once, its latest capture: from the newest crawl that stored it,
        the newest revision (``all_captures=True``: every capture). An article id appears once
        either way: a later set that stores it again (a re-extraction) replaces it.
        ``unique=True`` keeps the articles with an original text: a capture whose dedup verdict
        is ``unique`` or ``revision`` (:data:`~archive.articles.sets.ORIGINAL_KINDS`), not only
        copies of another article. ``crawl`` reads only that crawl's set.
        """
        for slug in self._events(event):
            files = [
                f
                for f in reversed(article_files(self.storage, slug))
                if crawl is None or f.crawl_id == crawl
            ]
            crawls = (
                chain.from_iterable(read_articles(self.storage, f.key) for f in group)
                for _, group in groupby(files, key=lambda f: f.crawl_id)
            )
            yield from latest_captures(crawls, all_captures=all_captures, unique=unique)

    def articles(
        self,
        event: str | None = None,
        *,
        unique: bool = False,
        crawl: str | None = None,
        all_captures: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """On-event articles as flat, typed rows: the columns and Python types of the export
        (:data:`~archive.articles.export.EXPORT_SCHEMA`: ``fetched_at`` a UTC ``datetime``,
        ``published`` a ``date``, ``dup_kind``, ``warc_offset``…). Which articles: as
        :meth:`stored_articles` (by default each article once, its latest capture)."""
        from archive.articles.export import flat_row

        for article in self.stored_articles(
            event, unique=unique, crawl=crawl, all_captures=all_captures
        ):
            yield flat_row(article)

    def article_records(
        self,
        event: str | None = None,
        *,
        unique: bool = False,
        crawl: str | None = None,
        all_captures: bool = False,
    ) -> Iterator[ArticleRecord]:
        """:meth:`stored_articles` as typed :class:`~archive.articles.record.ArticleRecord`."""
        for article in self.stored_articles(
            event, unique=unique, crawl=crawl, all_captures=all_captures
        ):
            yield ArticleRecord.from_json(article)

    def to_arrow(
        self,
        event: str | None = None,
        *,
        unique: bool = False,
        crawl: str | None = None,
        all_captures: bool = False,
    ) -> pa.Table:
        """:meth:`articles` as a pyarrow Table with the Parquet export's schema."""
        from archive.articles.export import to_table

        return to_table(
            self.stored_articles(event, unique=unique, crawl=crawl, all_captures=all_captures)
        )

    def to_pandas(
        self,
        event: str | None = None,
        *,
        unique: bool = False,
        crawl: str | None = None,
        all_captures: bool = False,
    ) -> pd.DataFrame:
        """:meth:`articles` as a pandas DataFrame, typed as ``pandas.read_parquet`` of the
        Parquet export (pandas must be installed)."""
        table = self.to_arrow(event, unique=unique, crawl=crawl, all_captures=all_captures)
        return table.to_pandas()

    def article_sources(self, event: str | None = None) -> list[ArticleSource]:
        """The article sets as search-index sources (loaded only when new or changed)."""
        from archive.articles.search import ArticleSource

        return [
            ArticleSource(f.key, f.fingerprint, partial(read_articles, self.storage, f.key))
            for slug in self._events(event)
            for f in article_files(self.storage, slug)
        ]

    # -- captures --------------------------------------------------------------------------------
    def captures(
        self, url: str, *, event: str | None = None, prefix: bool = False
    ) -> list[tuple[str, CdxjEntry]]:
        """(event, index entry) of every capture of ``url`` (or every URL under it with
        ``prefix``), by binary search in each event's index."""
        found: list[tuple[str, CdxjEntry]] = []
        slugs = self._events(event)
        unindexed = []
        for slug in slugs:
            key = event_index_key(slug)
            if self.storage.stat(key) is None:
                unindexed.append(slug)
                continue
            source = StorageSource(self.storage, key)
            found += [(slug, e) for e in lookup(source, url, prefix=prefix)]
        if slugs and len(unindexed) == len(slugs):
            names = ", ".join(unindexed)
            hint = self.repair_hint(event) or "run newsarc index"
            raise NotInArchive(f"no CDXJ index for {names} in {self.uri}: {hint}")
        return sorted(found, key=lambda item: (item[1].timestamp, item[0]))

    def get(self, url: str, *, at: str | None = None, event: str | None = None) -> Capture:
        """The capture of ``url`` closest to ``at`` (1-14 digits; latest when None)."""
        found = self.captures(url, event=event)
        best = closest([entry for _, entry in found], at)
        if best is None:
            hint = self.repair_hint(event)
            raise NotInArchive(f"no capture of {url} in {self.uri}" + (f"; {hint}" if hint else ""))
        slug = next(s for s, entry in found if entry is best)
        return self.read(slug, best)

    def read(self, event: str, entry: CdxjEntry) -> Capture:
        """Read the record an index entry points to (one ranged read)."""
        if not entry.filename:
            raise ArchiveFormatError(f"index entry without a filename: {entry.to_line()!r}")
        key = warc_key(event, entry.filename)
        member = self.storage.get_range(key, entry.offset, entry.length)
        try:
            record = parse_member(member, entry.offset, entry.length)
        except RecordFormatError as exc:
            raise ArchiveFormatError(f"{self.uri}/{key}@{entry.offset}: {exc}") from None
        if record.type != "revisit":
            return Capture(event, entry, record)
        return Capture(event, entry, record, self._original(event, record))

    def _original(self, event: str, revisit: Record) -> Capture | None:
        """The full response a revisit refers to (by target URI and date), if it is indexed."""
        url = revisit.get("WARC-Refers-To-Target-URI") or revisit.target_uri
        when = revisit.get("WARC-Refers-To-Date")
        if not when:
            return None
        stamp = iso_date_to_timestamp(when)
        for slug, entry in self.captures(url, event=event):
            if entry.timestamp == stamp and entry.mime != "warc/revisit":
                return self.read(slug, entry)
        return None

    # -- WARC records ---------------------------------------------------------------------------
    def warc_files(self, event: str | None = None) -> list[tuple[str, str]]:
        """(event, WARC basename) of every WARC file, in name (= time) order."""
        files = []
        for slug in self._events(event):
            for info in self.storage.iter(f"{slug}/warc/"):
                name = info.key.rsplit("/", 1)[-1]
                if name.endswith(WARC_SUFFIX) and info.key.count("/") == 2:
                    files.append((slug, name))
        return files

    def records(
        self, event: str | None = None, *, types: Iterable[str] | None = ("response",)
    ) -> Iterator[RecordRef]:
        """Every record of every WARC (streamed), filtered by WARC-Type (None: all)."""
        wanted = None if types is None else set(types)
        for slug, name in self.warc_files(event):
            with open_object(self.storage, warc_key(slug, name)) as fh:
                for record in iter_records(fh):
                    if wanted is None or record.type in wanted:
                        yield RecordRef(slug, name, record)

    def text(self, event: str, article_id: str) -> str | None:
        """The stored text of a canonical document, or None."""
        try:
            return self.storage.get_bytes(object_key(event, "text", f"{article_id}.txt")).decode()
        except ObjectNotFound:
            return None


def open_archive(uri: str | Path = "./newsarc-data", *, endpoint_url: str | None = None) -> Archive:
    """Open an archive: a local directory, ``file:///…`` or ``s3://bucket/prefix``.

    A local path that is not a directory raises ``NotInArchive`` (an S3 prefix is only known to
    be empty when it is read)."""
    storage = open_storage(str(uri), endpoint_url=endpoint_url)
    root = getattr(storage, "root", None)
    if isinstance(root, Path) and not root.is_dir():
        raise NotInArchive(f"no archive at {root}")
    return Archive(storage)
