"""WACZ 1.1.1 packages: WARCs, a compressed CDXJ index, a page list and ``datapackage.json``.

Layout (entries in sorted path order, so equal inputs and ``created`` give equal bytes)::

    archive/<name>.warc.gz       the WARCs, ZIP_STORED (already gzip; replay tools range-read them)
    datapackage-digest.json      {"path": "datapackage.json", "hash": "sha256:…"}
    datapackage.json             profile, wacz_version, title, …, resources (path, hash, bytes)
    indexes/index.cdx.gz         ZipNum: sorted CDXJ lines in gzip members of ≤1024 lines (STORED)
    indexes/index.idx            one line per member: "<urlkey> <ts> {offset, length, digest}"
    pages/pages.jsonl            json-pages-1.0 header, then one page per line

Index choice: the compressed ZipNum pair, as ``wacz create`` writes it. ReplayWeb.page loads
only ``index.idx`` up front and fetches the few blocks a lookup needs, so large archives open
fast (a plain ``index.cdxj`` is loaded whole into the browser); pywb's ``wb-manager add
--unpack-wacz`` picks up ``*.cdx.gz`` indexes. The CDXJ ``filename`` fields stay WARC basenames:
replay tools resolve them against ``archive/``. Unlike py-wacz, a block never starts with the
same "<urlkey> <ts>" prefix as the previous one (ReplayWeb.page keys blocks by that prefix).

WARCs are streamed in chunks and hashed while copied, never read whole into memory; the index
and page list are spooled (memory, then a temporary file) so every member's size is known
before it is written and no entry needs ZIP64 unless it is really that large.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, BinaryIO

from archive.access.wacz_members import (
    INDEX_BLOCK_LINES,
    INDEX_DATA,
    Page,
    Spool,
    build_index,
    build_pages,
    rfc3339,
)
from archive.errors import WarcError
from archive.storage.atomicfile import atomic_write

__all__ = ["INDEX_BLOCK_LINES", "Page", "WaczResult", "WarcInput", "rfc3339", "write_wacz"]

WACZ_VERSION = "1.1.1"
CHUNK = 1 << 20
SPOOL_IN_MEMORY = 16 << 20
INDEX_IDX = "indexes/index.idx"
PAGES = "pages/pages.jsonl"
DATAPACKAGE = "datapackage.json"
DATAPACKAGE_DIGEST = "datapackage-digest.json"
_WARC_NAME = re.compile(r"[^/\\\x00-\x1f\x7f]+\.warc(\.gz)?")


def _newsarc_version() -> str:
    try:
        return metadata.version("newsarc")
    except metadata.PackageNotFoundError:
        return "unknown"


DEFAULT_SOFTWARE = f"newsarc {_newsarc_version()}"


@dataclass(frozen=True)
class WarcInput:
    """One WARC to package: its basename (the CDXJ ``filename``), size if known, an opener."""

    name: str
    size: int | None
    open: Callable[[], BinaryIO]


@dataclass(frozen=True)
class WaczResult:
    path: Path | None  # the file written, or None when writing to a stream
    warcs: int
    pages: int
    bytes: int  # size of the WACZ


class _Counter:
    """A non-seekable output that counts what passes through (zipfile adds data descriptors)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.count = 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.count += len(data)
        return len(data)

    def tell(self) -> int:
        return self.count

    def flush(self) -> None:
        self.out.flush()


def write_wacz(
    out: BinaryIO | Path,
    *,
    warcs: Sequence[WarcInput],
    cdxj_lines: Iterable[str],
    pages: Iterable[Page],
    title: str,
    description: str = "",
    created: datetime | None = None,
    software: str = DEFAULT_SOFTWARE,
    main_page_url: str | None = None,
    main_page_ts: str | None = None,
) -> WaczResult:
    """Write a WACZ of ``warcs`` with the sorted ``cdxj_lines`` that index them and ``pages``.

    A ``Path`` is written atomically (temporary name in the same directory, renamed on
    success, removed on failure). A stream gets a partial package on failure: discard it.
    Raises ``ArchiveFormatError`` for bad index lines or timestamps, ``WarcError`` when a WARC
    stream is shorter or longer than its stated size, ``ValueError`` for bad arguments.
    """
    inputs = _check_warcs(warcs)
    if main_page_ts is not None and main_page_url is None:
        raise ValueError("main_page_ts needs main_page_url")
    moment = (created or datetime.now(UTC)).replace(microsecond=0)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    package: dict[str, object] = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title,
        **({"description": description} if description else {}),
        "created": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": software,
        **({"mainPageUrl": main_page_url} if main_page_url else {}),
        **({"mainPageDate": rfc3339(main_page_ts)} if main_page_ts else {}),
    }
    with contextlib.ExitStack() as stack:
        spools = {
            member: Spool(stack.enter_context(tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY)))
            for member in (INDEX_DATA, INDEX_IDX, PAGES)
        }
        build_index(cdxj_lines, {w.name for w in inputs}, spools[INDEX_DATA], spools[INDEX_IDX])
        page_count = build_pages(pages, spools[PAGES])

        def write(fp: IO[bytes]) -> None:
            _write_zip(fp, inputs, spools, package, moment)

        if isinstance(out, os.PathLike):
            path = Path(out)
            return WaczResult(path, len(inputs), page_count, _write_atomically(path, write))
        return WaczResult(None, len(inputs), page_count, _write_stream(out, write))


def _check_warcs(warcs: Sequence[WarcInput]) -> list[WarcInput]:
    if not warcs:
        raise ValueError("a WACZ needs at least one WARC")
    names = [w.name for w in warcs]
    for name in names:
        if not _WARC_NAME.fullmatch(name):
            raise ValueError(f"WARC name {name!r} must be a basename ending in .warc.gz or .warc")
    if len(set(names)) != len(names):
        raise ValueError("WARC names must be unique")
    return sorted(warcs, key=lambda w: w.name)


def _zinfo(path: str, moment: datetime, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=_zip_time(moment))
    info.compress_type = compress
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    return info


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    if moment.year < 1980:  # the earliest date a ZIP entry can hold
        return (1980, 1, 1, 0, 0, 0)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _write_zip(
    fp: IO[bytes],
    warcs: list[WarcInput],
    spools: dict[str, Spool],
    package: dict[str, object],
    moment: datetime,
) -> None:
    zf = zipfile.ZipFile(fp, "w", allowZip64=True)
    try:
        resources = [_copy_warc(zf, warc, moment) for warc in warcs]
        resources += [(path, spool.hash, spool.size) for path, spool in sorted(spools.items())]
        package_bytes = _datapackage(package, resources)
        digest = {
            "path": DATAPACKAGE,
            "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest(),
        }
        digest_bytes = json.dumps(digest, indent=2).encode()
        zf.writestr(_zinfo(DATAPACKAGE_DIGEST, moment, zipfile.ZIP_DEFLATED), digest_bytes)
        zf.writestr(_zinfo(DATAPACKAGE, moment, zipfile.ZIP_DEFLATED), package_bytes)
        for path, spool in sorted(spools.items()):
            stored = path == INDEX_DATA  # already gzip, range-read by replay tools
            info = _zinfo(path, moment, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
            info.file_size = spool.size
            spool.file.seek(0)
            with zf.open(info, "w") as dst:
                while chunk := spool.file.read(CHUNK):
                    dst.write(chunk)
    except BaseException:
        zf.fp = None  # abandon: never write a central directory for a failed package
        raise
    zf.close()


def _copy_warc(zf: zipfile.ZipFile, warc: WarcInput, moment: datetime) -> tuple[str, str, int]:
    """Stream one WARC into a STORED entry; return its (path, sha256 hash, size)."""
    path = "archive/" + warc.name
    info = _zinfo(path, moment, zipfile.ZIP_STORED)
    if warc.size is not None:
        info.file_size = warc.size
    digest = hashlib.sha256()
    size = 0
    with (
        contextlib.closing(warc.open()) as src,
        zf.open(info, "w", force_zip64=warc.size is None) as dst,
    ):
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    if warc.size is not None and size != warc.size:
        raise WarcError(f"{warc.name}: read {size} bytes, expected {warc.size}")
    return path, "sha256:" + digest.hexdigest(), size


def _datapackage(package: dict[str, object], resources: list[tuple[str, str, int]]) -> bytes:
    names: set[str] = set()
    entries = []
    for path, digest, size in resources:
        entries.append(
            {"name": _resource_name(path, names), "path": path, "hash": digest, "bytes": size}
        )
    return json.dumps({**package, "resources": entries}, indent=2, ensure_ascii=False).encode()


def _resource_name(path: str, taken: set[str]) -> str:
    """A unique frictionless resource name (lowercase ``[-a-z0-9._]``) from the basename."""
    base = re.sub(r"[^-a-z0-9._]", "-", path.rsplit("/", 1)[1].lower())
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def _write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> int:
    with atomic_write(path) as fh:
        write(fh)
    return path.stat().st_size


def _write_stream(out: BinaryIO, write: Callable[[IO[bytes]], None]) -> int:
    seekable = False
    with contextlib.suppress(AttributeError, OSError):
        seekable = out.seekable()
    if seekable:
        start = out.tell()
        write(out)
        return out.tell() - start
    counter = _Counter(out)
    write(counter)  # type: ignore[arg-type]  # zipfile needs only write/tell/flush here
    return counter.count
