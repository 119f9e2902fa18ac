"""The members of a WACZ built from streams: the ZipNum CDXJ index and ``pages.jsonl``.

Both are spooled (:class:`Spool`: memory, then a temporary file) so that each member's size and
sha256 are known before it is written into the zip (see :mod:`archive.access.wacz`).
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from archive.errors import ArchiveFormatError

INDEX_BLOCK_LINES = 1024  # lines per compressed index block, as py-wacz and archiveweb.page
INDEX_DATA = "indexes/index.cdx.gz"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages", "hasText": True}
_TS14 = re.compile(r"\d{14}")


@dataclass(frozen=True)
class Page:
    """One entry of ``pages.jsonl``; ``ts`` is ISO 8601 or a 14-digit timestamp."""

    url: str
    ts: str
    title: str | None = None
    text: str | None = None
    id: str | None = None


class Spool:
    """A write-once temporary member that knows its size and sha256."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.digest.update(data)
        self.size += len(data)

    @property
    def hash(self) -> str:
        return "sha256:" + self.digest.hexdigest()


def rfc3339(ts: str) -> str:
    """``2025-04-01T12:00:01Z`` from a 14-digit timestamp or ISO 8601 (naive = UTC), in seconds.

    Seconds, like the 14-digit CDXJ timestamps the page must be found under.
    """
    if _TS14.fullmatch(ts):
        moment = datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    else:
        try:
            moment = datetime.fromisoformat(ts)
        except ValueError as exc:
            raise ArchiveFormatError(f"timestamp {ts!r} is neither ISO 8601 nor 14 digits") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_index(lines: Iterable[str], warc_names: set[str], data: Spool, idx: Spool) -> None:
    """Split sorted CDXJ lines into gzip blocks (``index.cdx.gz``) and their ``index.idx``."""
    meta = {"format": "cdxj-gzip-1.0", "filename": INDEX_DATA.rsplit("/", 1)[1]}
    idx.write(f"!meta 0 {json.dumps(meta)}\n".encode())
    block: list[str] = []
    block_prefix = ""
    previous: str | None = None
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line or line.startswith("!"):
            continue
        if previous is not None and line <= previous:
            if line == previous:
                continue
            raise ArchiveFormatError(
                f"CDXJ lines are not sorted: {line[:120]!r} after {previous[:120]!r}"
            )
        prefix = _line_prefix(line, warc_names)
        if len(block) >= INDEX_BLOCK_LINES and prefix != block_prefix:
            _flush_block(block, block_prefix, data, idx)
            block = []
        if not block:
            block_prefix = prefix
        block.append(line)
        previous = line
    if block:
        _flush_block(block, block_prefix, data, idx)


def _line_prefix(line: str, warc_names: set[str]) -> str:
    """``"<urlkey> <timestamp>"`` of a CDXJ line whose ``filename`` is one of ``warc_names``."""
    parts = line.split(" ", 2)
    try:
        fields = json.loads(parts[2]) if len(parts) == 3 else None
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise ArchiveFormatError(f"malformed CDXJ line: {line[:200]!r}")
    filename = fields.get("filename")
    if filename not in warc_names:
        raise ArchiveFormatError(f"CDXJ line refers to {filename!r}, not one of the packaged WARCs")
    return f"{parts[0]} {parts[1]}"


def _flush_block(block: list[str], prefix: str, data: Spool, idx: Spool) -> None:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip, mtime 0
    member = compressor.compress(("\n".join(block) + "\n").encode("utf-8")) + compressor.flush()
    entry = {
        "offset": data.size,
        "length": len(member),
        "digest": "sha256:" + hashlib.sha256(member).hexdigest(),
    }
    data.write(member)
    idx.write(f"{prefix} {json.dumps(entry)}\n".encode())


def build_pages(pages: Iterable[Page], spool: Spool) -> int:
    spool.write(_json_line(PAGES_HEADER))
    count = 0
    for page in pages:
        ts = rfc3339(page.ts)
        entry: dict[str, object] = {"url": page.url, "ts": ts}
        if page.title is not None:
            entry["title"] = page.title
        if page.text is not None:
            entry["text"] = page.text
        entry["id"] = page.id or hashlib.sha256(f"{ts} {page.url}".encode()).hexdigest()[:20]
        spool.write(_json_line(entry))
        count += 1
    return count


def _json_line(value: object) -> bytes:
    """One JSON line, UTF-8 kept readable; U+2028/U+2029 escaped so no reader splits on them."""
    text = json.dumps(value, ensure_ascii=False)
    return (text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n").encode()
