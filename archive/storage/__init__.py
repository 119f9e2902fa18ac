"""Where archive files live: one small ``Storage`` protocol (:mod:`.keys`), chosen by URI scheme.

``open_storage`` maps a URI to a backend with a plain literal mapping (no registry):

- ``./newsarc-data``, ``/abs/dir``, ``file:///abs/dir`` → :class:`.local.LocalStorage`
- ``s3://bucket/prefix`` → :class:`.s3.S3Storage` (boto3; Ceph RGW, MinIO, AWS, …)

Modules: ``keys`` (key rules, ``ObjectInfo``, the ``Storage`` protocol), ``local``, ``s3`` (the two
backends; they import ``keys``, never this package), ``uploader`` (spool → storage, manifest last),
``atomicfile``.

Writes are verified: ``put_file`` / ``put_bytes`` return only when the stored size (and, for S3,
the ``sha256`` user metadata) equal the local data; otherwise they raise ``StorageVerifyError``.
Every failure is an :class:`archive.errors.StorageError`; ``StorageUnavailable`` means "try again
later" (server down, timeouts, 5xx after bounded retries). Messages never contain credentials.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from archive.errors import ObjectNotFound, StorageError
from archive.storage.keys import Storage

if TYPE_CHECKING:
    from archive.storage.s3 import S3Options


def open_storage(
    uri: str, *, endpoint_url: str | None = None, options: S3Options | None = None
) -> Storage:
    """Open the storage named by ``uri`` (see the module docstring for the schemes).

    For ``s3://`` the endpoint is ``endpoint_url``, else ``$NEWSARC_S3_ENDPOINT_URL``, else boto3's
    own resolution (``AWS_ENDPOINT_URL``, config files, AWS). Region and credentials come from the
    standard AWS environment and config files.
    """
    if "://" not in uri:
        from archive.storage.local import LocalStorage

        return LocalStorage(Path(uri))
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise StorageError(f"file URI must be file:///absolute/path, got {uri!r}")
        from archive.storage.local import LocalStorage

        return LocalStorage(Path(unquote(parts.path)))
    if scheme == "s3":
        from archive.storage.s3 import S3Storage

        endpoint = endpoint_url or os.environ.get("NEWSARC_S3_ENDPOINT_URL") or None
        if parts.query or parts.fragment or "@" in parts.netloc:
            raise StorageError("s3 URI must be s3://bucket[/prefix] (no credentials, query or #)")
        return S3Storage(
            parts.netloc, unquote(parts.path).strip("/"), endpoint_url=endpoint, options=options
        )
    raise StorageError(f"unsupported storage URI scheme {scheme!r} (use a path, file:// or s3://)")


class ObjectReader(io.RawIOBase):
    """A read-only, seekable file over one stored object, read in ranged requests.

    Wrap in :class:`io.BufferedReader` (see :func:`open_object`) for efficient small reads; used
    to stream WARCs out of either backend without loading them whole.
    """

    def __init__(self, storage: Storage, key: str, size: int) -> None:
        self.storage, self.key, self.size, self.pos = storage, key, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.pos)
        if n <= 0:
            return 0
        data = self.storage.get_range(self.key, self.pos, n)
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)


def open_object(storage: Storage, key: str, *, buffer_size: int = 8 << 20) -> io.BufferedReader:
    """Open ``key`` for streaming reads (``ObjectNotFound`` if it does not exist)."""
    info = storage.stat(key)
    if info is None:
        raise ObjectNotFound(f"no object {key!r} in {storage.uri}")
    return io.BufferedReader(ObjectReader(storage, key, info.size), buffer_size=buffer_size)
