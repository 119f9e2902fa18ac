"""Incremental crawls: fetch only what is due, conditionally, and remember what came back.

For every request the crawl state (:mod:`archive.state`) decides (robots.txt is always fetched,
unconditionally, as Scrapy's robots middleware needs its body; an unchanged one is still stored
as an identical-payload revisit):

- **unknown URL**: fetched as usual;
- **known and due** (or ``--full``): fetched with ``If-None-Match`` / ``If-Modified-Since`` when
  the server gave validators, and with the URL's last full response in
  ``meta["newsarc_previous"]``, so that the capture handler writes a ``revisit`` record when
  the server answers 304 or sends the same payload again (``archive/warc/records.py``);
- **known and not due**: not fetched. A source (seed, feed, sitemap, search answer) is answered
  from its last full response in the archive (``meta["newsarc_replayed"]``: the spider reads its
  links and entries, nothing new is written), so links that failed or were never reached last
  time are found again; so is every other page when this crawl resumes an interrupted one (it
  adopted WARCs: the dead crawl's pending links are gone with it). Anything else is skipped
  (``IgnoreRequest``). That last full response is read from the spool, or, once uploaded and
  removed from it (an ``s3://`` archive), range-read from storage in a thread.

After a fetch the URL's state is updated in one transaction: status, validators, payload digest,
the WARC location of its last full response, and when it is due again (the event's
:class:`~pipelines.state.CrawlStateExtension` schedules it: ``archive/state/schedule.py``).
A revisit means nothing changed: the response stops here (``IgnoreRequest``). Each hop is decided
anew: a redirect or meta refresh copies its request's meta, so the previous hop's replay markers
and state read are dropped first.

Stats under ``newsarc/incremental/``: ``not_due``, ``replayed``, ``conditional``,
``revisit/not_modified``, ``revisit/identical``, ``changed``, ``new``,
``unexpected_304`` (a 304 to an unconditional request: archived as received), ``odd_etag`` (an
ETag that is not an RFC 9110 entity-tag: kept and sent back exactly as received).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.threads import deferToThread

from archive.cdxj.indexing import warc_key
from archive.errors import StorageError
from archive.state import UrlState, kind_of
from archive.state.schedule import SOURCE_KINDS, RefetchPolicy, reschedule
from archive.warc import records as warc
from archive.warc.http import HttpParseError, parse_response
from archive.warc.reader import RecordFormatError, parse_member
from pipelines.state import CrawlStateExtension
from pipelines.upload import UploadExtension
from pipelines.warc import WarcService

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

    from archive.state import CrawlState

    # what process_request gives Scrapy: a response, None (fetch it), or, when the answer is
    # read from storage, a coroutine of either
    Answer = Response | None | Coroutine[Any, Any, Response | None]

logger = logging.getLogger(__name__)

REPLAYED_SOURCES = ("seed", "feed", "sitemap", "search")
_ENTITY_TAG = re.compile(r'(?:W/)?"[^"]*"')  # RFC 9110 §8.8.3
PROFILE_STAT = {warc.REVISIT_NOT_MODIFIED: "not_modified", warc.REVISIT_IDENTICAL: "identical"}


def stored_warcs(storage: Any, slug: str) -> Callable[[str], bool]:
    """Whether ``<slug>/warc/<name>`` is in ``storage`` (a stored file stays stored: cached)."""
    known: set[str] = set()

    def stored(name: str) -> bool:
        if name in known:
            return True
        try:
            found = bool(storage.exists(warc_key(slug, name)))
        except StorageError:
            found = False
        if found:
            known.add(name)
        return found

    return stored


class IncrementalMiddleware:
    def __init__(
        self,
        state: CrawlState,
        stats: StatsCollector,
        *,
        warc_dir: Path,
        full: bool = False,
        resume: bool = False,
        schedule: Callable[..., None] | None = None,
        clock: Callable[[], float] = time.time,
        stored: Callable[[str], bool] | None = None,
        read_stored: Callable[[str, int, int], bytes] | None = None,
    ) -> None:
        self.state = state
        # (WARC file name, offset, length) -> those bytes of the stored file: a last full
        # response uploaded and removed from the spool is replayed from storage
        self.read_stored = read_stored
        # whether a WARC file is stored already; a revisit may only refer to a record in a
        # stored file (a distributed crawl: another worker's open file may yet be lost)
        self.stored = stored or (lambda _name: True)
        self.stats = stats
        self.warc_dir = warc_dir
        self.full = full
        self.replay_kinds = SOURCE_KINDS if resume else REPLAYED_SOURCES
        self.schedule = schedule or partial(reschedule, policy=RefetchPolicy())
        self.clock = clock
        self._warned = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = crawler.get_extension(CrawlStateExtension)
        if ext is None:
            raise NotConfigured  # NEWSARC_INCREMENTAL off: the user's choice, nothing to warn of
        s = crawler.settings
        warc = crawler.get_extension(WarcService)
        upload = crawler.get_extension(UploadExtension)
        stored = read_stored = None
        if upload is not None:
            storage, slug = upload.uploader.storage, upload.slug
            read_stored = lambda name, offset, length: storage.get_range(  # noqa: E731
                warc_key(slug, name), offset, length
            )
            if s.get("NEWSARC_REDIS_URL"):
                stored = stored_warcs(storage, slug)
        return cls(
            ext.state,
            crawler.stats,
            warc_dir=Path(s.get("NEWSARC_WARC_DIR") or "newsarc-data/warc"),
            full=ext.full,
            resume=bool(warc is not None and warc.adopted),
            schedule=ext.schedule,
            clock=ext.clock,
            stored=stored,
            read_stored=read_stored,
        )

    # -- requests ---------------------------------------------------------------------------------

    def process_request(self, request: Request) -> Answer:
        # a redirect copies its request's meta: a hop after a replayed response is not replayed
        # until this middleware says so, and reads its own state
        for key in _PER_HOP:
            request.meta.pop(key, None)
        if request.meta.get("newsarc_redo"):
            return self._redo(request)
        try:
            known = self.state.get(request.url)
        except StorageError:  # an unreadable state: fetch as if the URL were new
            self.stats.inc_value("newsarc/state/read_errors")
            return None
        request.meta[_READ] = known  # _note() updates it: one read of the state per fetch
        if known is None or known.status is None:
            return None
        robots = _is_robots(request)
        if not robots and not self.full and known.next_due > self.clock():
            return self._not_due(request, known)
        if known.record_id and known.payload_digest and known.record_date:
            if not self.stored(str((known.warc or {}).get("filename"))):
                # its last capture is in a file not stored yet (another worker's, open): fetch
                # it unconditionally and write a full record, never a revisit pointing there
                self.stats.inc_value("newsarc/incremental/previous_not_stored")
                return None
            request.meta["newsarc_previous"] = warc.Previous(
                known.record_id, request.url, known.record_date, known.payload_digest
            )
            if robots:
                return None
            if known.etag and b"If-None-Match" not in request.headers:
                request.headers[b"If-None-Match"] = known.etag.encode("latin-1")
            if known.last_modified and b"If-Modified-Since" not in request.headers:
                request.headers[b"If-Modified-Since"] = known.last_modified.encode("latin-1")
            if known.etag or known.last_modified:
                self.stats.inc_value("newsarc/incremental/conditional")
        return None

    def _redo(self, request: Request) -> Answer:
        """A distributed crawl's request whose worker died before acknowledging it. If that
        worker archived the response (the state says where), it is analysed from there, as a
        resumed crawl does: same capture, same article id, same place in the dedup log, no
        second fetch. Otherwise it is fetched again, in full."""
        try:
            known = self.state.get(request.url)
        except StorageError:
            known = None

        def refetch() -> None:
            self.stats.inc_value("newsarc/incremental/redone")

        if known is not None and known.warc and known.record_id:
            return self._replay(request, known, "redo_replayed", refetch)
        refetch()
        return None

    def _not_due(self, request: Request, known: UrlState) -> Answer:
        def skip() -> NoReturn:
            self.stats.inc_value("newsarc/incremental/not_due")
            raise IgnoreRequest(f"not due before {_iso(known.next_due)}: {request.url}")

        if known.kind in self.replay_kinds and known.warc:
            return self._replay(request, known, "replayed", skip)
        skip()

    def _replay(
        self, request: Request, known: UrlState, stat: str, otherwise: Callable[[], None]
    ) -> Answer:
        """Answer ``request`` with the URL's last full response, read back from its WARC (and
        count ``stat``); ``otherwise()`` when it is not found or unreadable."""
        member = self._spooled_member(known)
        if member is None and self.read_stored is not None:
            return self._replay_stored(request, known, stat, otherwise)
        return self._answer(request, known, member, stat, otherwise)

    async def _replay_stored(
        self, request: Request, known: UrlState, stat: str, otherwise: Callable[[], None]
    ) -> Response | None:
        """The same, once its WARC was uploaded and removed from the spool: a ranged read
        from storage, in a thread (the reactor goes on)."""
        member = await maybe_deferred_to_future(deferToThread(self._stored_member, known))
        return self._answer(request, known, member, stat, otherwise)

    def _answer(
        self,
        request: Request,
        known: UrlState,
        member: bytes | None,
        stat: str,
        otherwise: Callable[[], None],
    ) -> Response | None:
        replayed = None if member is None else self._response(request, known, member)
        if replayed is None:
            otherwise()
            return None
        self.stats.inc_value(f"newsarc/incremental/{stat}")
        return replayed

    def _spooled_member(self, known: UrlState) -> bytes | None:
        """The gzip member of the URL's last full response, if its WARC is in the spool."""
        where = known.warc or {}
        path = self.warc_dir / str(where.get("filename"))
        if not path.exists():  # still open (a worker of a distributed crawl died writing it):
            path = path.with_name(path.name + ".open")  # its complete records are readable
        try:
            with path.open("rb") as fh:
                fh.seek(int(where["offset"]))  # type: ignore[call-overload]
                return fh.read(int(where["length"]))  # type: ignore[call-overload]
        except (OSError, KeyError, ValueError):
            return None  # uploaded and removed (or never here)

    def _stored_member(self, known: UrlState) -> bytes | None:
        where = known.warc or {}
        assert self.read_stored is not None
        try:
            return self.read_stored(
                str(where["filename"]),
                int(where["offset"]),  # type: ignore[call-overload]
                int(where["length"]),  # type: ignore[call-overload]
            )
        except (StorageError, KeyError, ValueError) as exc:
            logger.debug("cannot read %s back from storage: %s", known.url, exc)
            self.stats.inc_value("newsarc/incremental/replay_unavailable")
            return None

    def _response(self, request: Request, known: UrlState, member: bytes) -> Response | None:
        """The response archived in ``member`` (None if it does not parse)."""
        where = known.warc or {}
        try:
            record = parse_member(member, 0, len(member))
            http = parse_response(record.block, decode=False)  # decoded by ContentDecoding
        except (ValueError, RecordFormatError, HttpParseError):
            return None
        headers = Headers()
        for name, value in http.headers:
            if not name.lower().startswith("x-newsarc-orig-"):  # our chunked-policy rename
                headers.appendlist(name, value)
        status, body = http.status, http.body
        request.meta["newsarc_replayed"] = True
        request.meta["newsarc_reanalyse"] = not known.analysed  # killed before its article was
        request.meta["newsarc_fetched_at"] = known.record_date
        request.meta["newsarc_record"] = warc.RecordLocation(
            str(where["filename"]),
            int(where["offset"]),  # type: ignore[call-overload]
            int(where["length"]),  # type: ignore[call-overload]
            known.record_id or "",
            known.payload_digest,
        )
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return respcls(url=request.url, status=status, headers=headers, body=body, request=request)

    # -- responses --------------------------------------------------------------------------------

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("newsarc_replayed"):
            return response
        record = request.meta.get("newsarc_record")
        if record is None:  # not archived by the capture handler (e.g. a cache): nothing to note
            return response
        if response.status >= 500 or response.status == 429:
            return response  # a failure, retried: the URL stays due
        revisit = request.meta.get("newsarc_revisit")
        if response.status == 304 and not revisit:
            self.stats.inc_value("newsarc/incremental/unexpected_304")
        self._note(request, response, record, revisit)
        if revisit and not _is_robots(request):
            self.stats.inc_value(f"newsarc/incremental/revisit/{PROFILE_STAT[revisit]}")
            raise IgnoreRequest(f"unchanged ({revisit.rsplit('/', 1)[-1]}): {request.url}")
        return response

    def _note(self, request: Request, response: Response, record: Any, revisit: Any) -> None:
        now = self.clock()
        fetched = request.meta.get("newsarc_fetched_at")
        known = request.meta.pop(_READ, _UNREAD)
        if known is _UNREAD:
            try:
                known = self.state.get(request.url)
            except StorageError:
                known = None
        if known is None:
            kind = kind_of(request.meta.get("newsarc_source"), request.url)
            known = UrlState(request.url, kind=kind, first_fetch=fetched)
            self.stats.inc_value("newsarc/incremental/new")
        changed = False
        if not revisit and response.status != 304:
            changed = known.payload_digest is not None and known.payload_digest != (
                record.payload_digest
            )
            if changed:
                self.stats.inc_value("newsarc/incremental/changed")
            known.payload_digest = record.payload_digest
            known.record_id = record.record_id
            known.record_date = fetched
            known.warc = {"filename": record.filename, "offset": record.offset,
                          "length": record.length}  # fmt: skip
            known.etag = _header(response, b"ETag")
            if known.etag and not _ENTITY_TAG.fullmatch(known.etag):
                self.stats.inc_value("newsarc/incremental/odd_etag")  # sent back as received
            known.last_modified = _header(response, b"Last-Modified")
        known.status = response.status
        known.last_fetch = fetched
        known.fetches += 1
        known.changes += int(changed)
        self.schedule(known, changed=changed, now=now)
        try:
            self.state.put(known)
        except StorageError as exc:  # the crawl goes on; the URL is simply fetched again next time
            self.stats.inc_value("newsarc/state/write_errors")
            if not self._warned:
                self._warned = True
                logger.error("crawl state not updated (%s); the crawl goes on", exc)


_READ = "_newsarc_state"  # meta: the URL's state as process_request read it (or None)
_PER_HOP = ("newsarc_replayed", "newsarc_reanalyse", _READ)
_UNREAD = object()


def _is_robots(request: Request) -> bool:
    """robots.txt: fetched by every crawl (Scrapy's robots middleware asks for it)."""
    return bool(request.meta.get("dont_obey_robotstxt")) or urlparse_cached(request).path.endswith(
        "/robots.txt"
    )


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _iso(epoch: float) -> str:
    if epoch == float("inf"):
        return "never"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
