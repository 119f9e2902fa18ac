"""Bring the crawl state up to date with WARC files: what a killed crawl archived but could not
note in the state (it died between the two writes) counts as completed all the same.

The WARC is the source of truth. For each response record newer than what the state knows of
its URL, the URL's state takes its status, validators, payload digest and location; a revisit
record updates only the time of the last fetch. The page kind comes from the spider's metadata
record (``discovery: feed``…) when there is one. Pages noted this way are not marked analysed:
a resumed crawl analyses them from the archive (``crawler/middlewares/incremental.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from archive.errors import StorageError
from archive.state import CrawlState, UrlState, kind_of
from archive.warc.http import HttpParseError, parse_response
from archive.warc.reader import Record, RecordFormatError, iter_records


def reconcile(
    state: CrawlState,
    path: Path,
    schedule: Callable[..., None],
    now: float,
    *,
    opener: Callable[[], BinaryIO] | None = None,
) -> int:
    """Note in ``state`` the captures of the WARC at ``path`` it does not know; returns how many.
    ``opener`` reads the WARC from elsewhere (storage) when it is no longer at ``path``."""
    records: list[Record] = []
    kinds: dict[str, str] = {}
    try:
        with opener() if opener is not None else path.open("rb") as fh:
            for record in iter_records(fh):
                if record.type in ("response", "revisit"):
                    records.append(record)
                elif record.type == "metadata" and record.block.startswith(b"discovery: "):
                    source = record.block.split(b"\r\n", 1)[0][len(b"discovery: ") :].decode()
                    kinds[record.target_uri] = kind_of(source, record.target_uri)
    except (OSError, RecordFormatError, StorageError):
        return 0
    noted = 0
    for record in records:
        url, date = record.target_uri, record.get("WARC-Date") or ""
        known = state.get(url)
        if known is not None and (known.last_fetch or "") >= date:
            continue
        if known is None:
            known = UrlState(url, kind=kinds.get(url) or kind_of(None, url), first_fetch=date)
        try:
            http = parse_response(record.block, decode=False)
        except HttpParseError:
            continue
        status = http.status
        if status >= 500 or status == 429:
            continue
        known.status, known.last_fetch = status, date
        known.fetches += 1
        if record.type == "response" and status != 304:
            known.payload_digest = record.get("WARC-Payload-Digest")
            known.record_id, known.record_date = record.get("WARC-Record-ID"), date
            known.warc = {"filename": path.name, "offset": record.offset, "length": record.length}
            known.etag, known.last_modified = http.header("ETag"), http.header("Last-Modified")
        schedule(known, changed=False, now=now)
        state.put(known)
        noted += 1
    return noted
