"""Rotating WARC writer: ``<prefix>-<timestamp17>-<serial>-<host>.warc.gz``, ``.open`` until closed.

Each record is its own gzip member, so any record can be range-read. The records of one
exchange are written with a single ``write()`` and flushed to the OS at once, so a killed
process leaves at most one incomplete member at the end of the ``.open`` file, which
:mod:`archive.warc.repair` cuts off. ``close()`` fsyncs and renames the file to its final name.

Clock and record ids are constructor parameters: with fixed ones the bytes are deterministic.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from archive.errors import WarcWriteError
from archive.warc import records as warc

OPEN_SUFFIX = ".open"
DEFAULT_MAX_SIZE = 1_000_000_000


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ExchangeLocations:
    """Where the records of one exchange went. ``response`` is the revisit record's location
    when ``revisit`` names a profile (its payload digest is then the original's)."""

    response: warc.RecordLocation
    request: warc.RecordLocation
    framing: warc.RecordLocation | None  # metadata record holding removed chunked framing
    revisit: str | None = None  # WARC-Profile when the response was written as a revisit


class RecordIndex(Protocol):
    """Told of each response record as it is written and of each file once it is closed: how
    the writer keeps a CDXJ index of its files (:class:`archive.cdxj.indexing.LiveIndex`)."""

    def add(
        self, exchange: warc.HttpExchange, block: warc.ResponseBlock, where: warc.RecordLocation
    ) -> None: ...

    def close(self, path: Path) -> None: ...


class WarcWriter:
    """Writes records to rotating WARC files in one directory. Not thread-safe: use one thread."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        prefix: str,
        *,
        host: str = "newsarc",
        max_size: int = DEFAULT_MAX_SIZE,
        info: Iterable[tuple[str, str]] = (),
        clock: Callable[[], datetime] = utcnow,
        record_id: Callable[[], str] = new_record_id,
        gzip_level: int = 6,
        on_close: Callable[[Path], None] | None = None,
        index: RecordIndex | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.host = host
        self.max_size = max_size
        self.info = list(info)
        self.clock = clock
        self.record_id = record_id
        self.gzip_level = gzip_level
        self.on_close = on_close
        self.index = index  # e.g. CDXJ: <dir>/../cdxj/<name>.cdxj, written when a file closes
        self.serial = 0
        self.closed_files: list[Path] = []
        self.records_written = 0
        self.bytes_written = 0
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._records_in_file = 0
        self._warcinfo_id: str | None = None

    # -- public API ---------------------------------------------------------------------------

    @property
    def current_path(self) -> Path | None:
        return self._path

    def write_exchange(self, exchange: warc.HttpExchange) -> ExchangeLocations:
        """Write response, request (and chunked-framing metadata) records contiguously."""
        self._ensure_open()
        response_id, request_id = self.record_id(), self.record_id()
        response, request, block = warc.exchange_records(
            exchange,
            request_id=request_id,
            response_id=response_id,
            warcinfo_id=self._warcinfo_id,
        )
        records = [(response, response_id), (request, request_id)]
        if block.framing is not None:
            framing_id = self.record_id()
            framing = warc.metadata_record(
                record_id=framing_id,
                date=exchange.date,
                target_uri=exchange.url,
                refers_to=response_id,
                warcinfo_id=self._warcinfo_id,
                items=[("transfer-framing", block.framing.to_json())],
            )
            records.append((framing, framing_id))
        locations = self._write_group(records)
        resp_loc = warc.RecordLocation(
            locations[0].filename,
            locations[0].offset,
            locations[0].length,
            response_id,
            block.payload_digest,
        )
        if self.index is not None:
            self.index.add(exchange, block, resp_loc)
        framing_loc = locations[2] if block.framing else None
        return ExchangeLocations(resp_loc, locations[1], framing_loc, block.profile)

    def write_metadata(
        self, target_uri: str, refers_to: str, items: Iterable[tuple[str, str]]
    ) -> warc.RecordLocation:
        self._ensure_open()
        record_id = self.record_id()
        record = warc.metadata_record(
            record_id=record_id,
            date=self.clock(),
            target_uri=target_uri,
            refers_to=refers_to,
            warcinfo_id=self._warcinfo_id,
            items=items,
        )
        return self._write_group([(record, record_id)])[0]

    def close(self) -> Path | None:
        """Close the current file (fsync, rename from ``.open``). Returns its final path."""
        if self._fd is None or self._path is None:
            return None
        fd, path = self._fd, self._path
        self._fd, self._path, self._warcinfo_id = None, None, None
        final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
        try:
            os.fsync(fd)
            os.close(fd)
            if self._size == 0:  # creation failed before the warcinfo record: nothing to keep
                path.unlink()
                return None
            os.replace(path, final)
            if self.index is not None:
                self.index.close(final)
        except OSError as exc:
            raise WarcWriteError(f"cannot close {path}: {exc}") from exc
        self.closed_files.append(final)
        if self.on_close is not None:
            self.on_close(final)
        return final

    # -- internals ----------------------------------------------------------------------------

    def _filename(self, moment: datetime) -> str:
        stamp = moment.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        return f"{self.prefix}-{stamp}-{self.serial:05d}-{self.host}.warc.gz"

    def _ensure_open(self) -> None:
        if self._fd is not None:
            return
        now = self.clock()
        name = self._filename(now)
        self.serial += 1
        path = self.directory / (name + OPEN_SUFFIX)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as exc:
            raise WarcWriteError(f"cannot create WARC file {path}: {exc}") from exc
        self._path, self._size, self._records_in_file = path, 0, 0
        self._warcinfo_id = self.record_id()
        info = warc.warcinfo_record(
            record_id=self._warcinfo_id, date=now, filename=name, info=self.info
        )
        self._append([warc.gzip_member(info, self.gzip_level)])

    def _write_group(self, records: list[tuple[bytes, str]]) -> list[warc.RecordLocation]:
        members = [warc.gzip_member(rec, self.gzip_level) for rec, _ in records]
        group_size = sum(map(len, members))
        if self._size + group_size > self.max_size and self._records_in_file > 0:
            self.close()
            self._ensure_open()
        assert self._path is not None
        filename = self._path.name[: -len(OPEN_SUFFIX)]
        offset = self._size
        locations = []
        for member, (_, rid) in zip(members, records, strict=True):
            locations.append(warc.RecordLocation(filename, offset, len(member), rid))
            offset += len(member)
        self._append(members)
        self._records_in_file += len(members)
        self.records_written += len(members)
        return locations

    def _append(self, members: list[bytes]) -> None:
        data = b"".join(members)
        assert self._fd is not None
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as exc:
            # cut a partial write back to the last complete record, so the file stays valid
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            raise WarcWriteError(f"cannot write to {self._path}: {exc}") from exc
        self._size += len(data)
        self.bytes_written += len(data)
