"""Byte-range sources for :mod:`archive.cdxj.lookup`: a local file or a storage object, read in
fixed-size blocks through a small LRU cache (``reads`` counts the reads actually made).

Sources are not thread-safe; use one per thread.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

from archive.errors import ObjectNotFound, StorageError
from archive.storage.keys import Storage
from archive.storage.local import pread_all

__all__ = [
    "BLOCK_SIZE",
    "CACHE_BYTES",
    "STORAGE_BLOCK_SIZE",
    "CachedSource",
    "FileSource",
    "RangeSource",
    "StorageSource",
]

BLOCK_SIZE = 16 * 1024  # local files
STORAGE_BLOCK_SIZE = 64 * 1024  # storage objects: a request's latency dwarfs 64 KiB of transfer
CACHE_BYTES = 8 * 1024 * 1024  # per source, unless cache_blocks is given


class RangeSource(Protocol):
    """A byte range reader over one immutable sorted CDXJ file."""

    size: int

    def read(self, offset: int, length: int) -> bytes:
        """Bytes ``offset .. offset+length`` (fewer at the end of the file)."""
        ...


class CachedSource:
    """Base of the sources: block-aligned reads through a small LRU cache. Subclasses fetch."""

    def __init__(
        self, size: int, *, block_size: int = BLOCK_SIZE, cache_blocks: int | None = None
    ) -> None:
        if cache_blocks is None:
            cache_blocks = max(1, CACHE_BYTES // block_size) if block_size > 0 else 0
        if block_size < 1 or cache_blocks < 0:
            raise ValueError("block_size must be positive and cache_blocks not negative")
        self.size = size
        self.block_size = block_size
        self.cache_blocks = cache_blocks
        self.reads = 0
        self._cache: OrderedDict[int, bytes] = OrderedDict()

    def _fetch(self, offset: int, length: int) -> bytes:
        raise NotImplementedError

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError(f"bad range offset={offset} length={length}")
        end = min(self.size, offset + length)
        if offset >= end:
            return b""
        bs = self.block_size
        first, last = offset // bs, (end - 1) // bs
        blocks = [self._cached(j) for j in range(first, last + 1)]
        j = first
        while j <= last:
            if blocks[j - first] is not None:
                j += 1
                continue
            k = j
            while k <= last and blocks[k - first] is None:
                k += 1
            data = self._fetch_checked(j * bs, min(k * bs, self.size) - j * bs)
            for m in range(j, k):
                piece = data[(m - j) * bs : (m - j + 1) * bs]
                blocks[m - first] = piece
                self._store(m, piece)
            j = k
        data = b"".join(b for b in blocks if b is not None)
        return data[offset - first * bs : end - first * bs]

    def _cached(self, j: int) -> bytes | None:
        block = self._cache.get(j)
        if block is not None:
            self._cache.move_to_end(j)
        return block

    def _store(self, j: int, block: bytes) -> None:
        if self.cache_blocks == 0:
            return
        self._cache[j] = block
        while len(self._cache) > self.cache_blocks:
            self._cache.popitem(last=False)

    def _fetch_checked(self, offset: int, length: int) -> bytes:
        data = self._fetch(offset, length)
        self.reads += 1
        if len(data) != length:
            raise StorageError(
                f"index changed while reading: {len(data)} bytes at {offset}, expected {length}"
            )
        return data


class FileSource(CachedSource):
    """A local CDXJ file (kept open; ``close()`` or use as a context manager)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        block_size: int = BLOCK_SIZE,
        cache_blocks: int | None = None,
    ) -> None:
        self.path = Path(path)
        self._fh = self.path.open("rb")
        size = os.fstat(self._fh.fileno()).st_size
        super().__init__(size, block_size=block_size, cache_blocks=cache_blocks)

    def _fetch(self, offset: int, length: int) -> bytes:
        return pread_all(self._fh.fileno(), length, offset)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StorageSource(CachedSource):
    """A CDXJ object in a :class:`archive.storage.keys.Storage` (local or S3), read by
    ``get_range``.

    The size comes from ``storage.stat(key)`` unless given (e.g. from a crawl manifest). Blocks
    are 64 KiB: an object store answers a 64 KiB range about as fast as a 16 KiB one, and on
    loopback Ceph RGW (beast, Pacific) any response smaller than one TCP segment (~64 KiB on
    ``lo``) arrives 40 ms late (apparently Nagle + delayed ACK); 64 KiB reads avoid that.
    """

    def __init__(
        self,
        storage: Storage,
        key: str,
        *,
        size: int | None = None,
        block_size: int = STORAGE_BLOCK_SIZE,
        cache_blocks: int | None = None,
    ) -> None:
        self.storage = storage
        self.key = key
        if size is None:
            info = storage.stat(key)
            if info is None:
                raise ObjectNotFound(f"no index {key!r} in {storage.uri}")
            size = info.size
        super().__init__(size, block_size=block_size, cache_blocks=cache_blocks)

    def _fetch(self, offset: int, length: int) -> bytes:
        return self.storage.get_range(self.key, offset, length)
