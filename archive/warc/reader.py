"""Read WARC records member by member: offsets, lengths, header fields and the exact block.

warcio parses HTTP headers and de-chunks; this reader returns a record's block exactly as
stored, which is what byte-exactness checks and ranged reads need.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

_READ = 1 << 20


@dataclass(frozen=True)
class Record:
    offset: int
    length: int  # compressed length of the gzip member
    fields: tuple[tuple[str, str], ...]
    block: bytes

    def get(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.fields:
            if key.lower() == name:
                return value
        return None

    @property
    def type(self) -> str:
        return self.get("WARC-Type") or ""

    @property
    def record_id(self) -> str:
        return self.get("WARC-Record-ID") or ""

    @property
    def target_uri(self) -> str:
        return self.get("WARC-Target-URI") or ""


class RecordFormatError(ValueError):
    """A gzip member that does not hold exactly one well-formed WARC record."""


def parse_record(data: bytes, offset: int = 0, length: int = 0) -> Record:
    if not data.startswith(b"WARC/1."):
        raise RecordFormatError(f"offset {offset}: not a WARC record")
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise RecordFormatError(f"offset {offset}: header not terminated")
    fields = []
    for line in data[:end].split(b"\r\n")[1:]:
        name, sep, value = line.decode("utf-8", "replace").partition(":")
        if not sep:
            raise RecordFormatError(f"offset {offset}: bad header line {line!r}")
        fields.append((name.strip(), value.strip()))
    record = Record(offset, length, tuple(fields), b"")
    try:
        size = int(record.get("Content-Length") or "")
    except ValueError:
        raise RecordFormatError(f"offset {offset}: bad or missing Content-Length") from None
    block = data[end + 4 : end + 4 + size]
    if len(block) != size or data[end + 4 + size :] != b"\r\n\r\n":
        raise RecordFormatError(f"offset {offset}: block length does not match Content-Length")
    return Record(offset, length, tuple(fields), block)


def iter_members(fh: BinaryIO) -> Iterator[tuple[int, int, bytes]]:
    """Yield (offset, compressed length, decompressed bytes) per complete gzip member.

    Stops silently at a torn last member; raises zlib.error on corrupt data.
    """
    start = 0  # offset of the current member
    fed = 0  # bytes of the current member fed to the decompressor so far
    decomp = zlib.decompressobj(31)
    out = bytearray()
    while chunk := fh.read(_READ):
        data = chunk
        while data:
            out += decomp.decompress(data)
            if not decomp.eof:
                fed += len(data)
                break
            length = fed + len(data) - len(decomp.unused_data)
            yield start, length, bytes(out)
            start, fed = start + length, 0
            data = decomp.unused_data
            decomp, out = zlib.decompressobj(31), bytearray()


def iter_records(fh: BinaryIO) -> Iterator[Record]:
    """Every record of a WARC file, in order, with its member offset and length."""
    for offset, length, data in iter_members(fh):
        yield parse_record(data, offset, length)


def read_record(fh: BinaryIO, offset: int, length: int) -> Record:
    """The record at a RecordLocation (a ranged read of one gzip member)."""
    fh.seek(offset)
    return parse_member(fh.read(length), offset, length)


def parse_member(member: bytes, offset: int, length: int) -> Record:
    """The record in one gzip member read from ``offset`` (a file's, or a ranged storage read)."""
    try:
        data = zlib.decompress(member, 31)
    except zlib.error as exc:
        raise RecordFormatError(f"offset {offset}: {exc}") from None
    return parse_record(data, offset, length)
