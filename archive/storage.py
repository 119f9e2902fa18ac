"""Where archive files live: one small ``Storage`` protocol, chosen by URI scheme.

``open_storage`` maps a URI to a backend with a plain literal mapping (no registry):

- ``./newsarc-data``, ``/abs/dir``, ``file:///abs/dir`` → ``archive.storage_local.LocalStorage``
- ``s3://bucket/prefix`` → ``archive.storage_s3.S3Storage`` (boto3; Ceph RGW, MinIO, AWS, …)

Keys are ``/``-separated relative names built with :func:`object_key`, which refuses anything that
could escape the storage root or prefix. Both backends produce the same layout for the same puts:
key ``a/b/c.warc.gz`` is the file ``<root>/a/b/c.warc.gz`` or the object ``<prefix>/a/b/c.warc.gz``.

Writes are verified: ``put_file`` / ``put_bytes`` return only when the stored size (and, for S3,
the ``sha256`` user metadata) equal the local data; otherwise they raise ``StorageVerifyError``.
Every failure is an :class:`archive.errors.StorageError`; ``StorageUnavailable`` means "try again
later" (server down, timeouts, 5xx after bounded retries). Messages never contain credentials.
"""

from __future__ import annotations

import io
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from archive.errors import StorageError

if TYPE_CHECKING:
    from archive.storage_s3 import S3Options

__all__ = [
    "ObjectInfo",
    "ObjectReader",
    "Storage",
    "StorageError",
    "object_key",
    "open_object",
    "open_storage",
]

MAX_KEY_BYTES = 1024  # S3's limit on a whole key (UTF-8)
MAX_SEGMENT_BYTES = 255  # a file name on common filesystems (NAME_MAX)
TEMP_MARK = ".newsarc-tmp-"  # reserved segment prefix: the local backend's in-flight files
# Unicode categories refused in keys: controls, invisible format characters (bidi overrides,
# zero-width), surrogates, private use, line/paragraph separators.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object. ``sha256`` / ``etag`` are ``None`` where the backend has none cheaply."""

    key: str
    size: int
    sha256: str | None
    etag: str | None


class Storage(Protocol):
    """A flat namespace of immutable-ish objects under one root or prefix."""

    uri: str

    def put_file(
        self, key: str, path: Path, *, sha256: str | None = None, content_type: str | None = None
    ) -> ObjectInfo: ...

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str | None = None
    ) -> ObjectInfo: ...

    def get_range(self, key: str, offset: int, length: int) -> bytes: ...

    def get_bytes(self, key: str) -> bytes: ...

    def stat(self, key: str) -> ObjectInfo | None: ...

    def exists(self, key: str) -> bool: ...

    def iter(self, prefix: str = "") -> Iterator[ObjectInfo]: ...

    def children(self, prefix: str = "") -> list[str]:
        """Names of the "directories" directly under ``prefix`` (``""`` or ending in ``/``)."""
        ...


def segment_problem(segment: str) -> str | None:
    if segment == "":
        return "empty part (leading, trailing or doubled '/')"
    if segment in (".", ".."):
        return f"'{segment}' is not allowed"
    if "\\" in segment:
        return "backslash is not allowed"
    if "~" in segment:
        return "'~' is not allowed"
    if segment.startswith(TEMP_MARK):
        return f"'{TEMP_MARK}' is reserved"
    for ch in segment:
        if unicodedata.category(ch) in _BAD_CATEGORIES:
            return f"control or invisible character U+{ord(ch):04X}"
    if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
        return f"part longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def object_key(*parts: str) -> str:
    """Join ``parts`` with ``/`` into a safe relative key; raise ``StorageError`` otherwise.

    A part may itself contain ``/``; every resulting segment must be non-empty, not ``.`` or
    ``..``, free of backslashes, ``~``, control and invisible characters. Absolute paths are
    refused (they start with an empty segment).
    """
    if not parts:
        raise StorageError("object key: no parts given")
    for part in parts:
        if not isinstance(part, str):
            raise StorageError(f"object key: part {part!r} is not a string")
    key = "/".join(parts)
    for segment in key.split("/"):
        problem = segment_problem(segment)
        if problem:
            raise StorageError(f"object key {key!r}: {problem}")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise StorageError(f"object key is longer than {MAX_KEY_BYTES} bytes")
    return key


def check_key(key: str) -> str:
    """Validate a complete key (as the backends receive it); return it unchanged."""
    if not isinstance(key, str):
        raise StorageError(f"object key {key!r} is not a string")
    return object_key(key)


def split_prefix(prefix: str) -> tuple[str, str]:
    """Split an ``iter`` prefix into a validated directory part and the start of a name.

    ``"2024/ev"`` → ``("2024", "ev")``; ``"2024/"`` → ``("2024", "")``; ``""`` → ``("", "")``.
    """
    if not isinstance(prefix, str):
        raise StorageError(f"prefix {prefix!r} is not a string")
    directory, sep, start = prefix.rpartition("/")
    if sep:
        object_key(directory)  # also refuses "/abs" (empty first segment)
    if any(c in "\\~" or unicodedata.category(c) in _BAD_CATEGORIES for c in start):
        raise StorageError(f"prefix {prefix!r}: unsafe characters")
    return directory, start


def open_storage(
    uri: str, *, endpoint_url: str | None = None, options: S3Options | None = None
) -> Storage:
    """Open the storage named by ``uri`` (see the module docstring for the schemes).

    For ``s3://`` the endpoint is ``endpoint_url``, else ``$NEWSARC_S3_ENDPOINT_URL``, else boto3's
    own resolution (``AWS_ENDPOINT_URL``, config files, AWS). Region and credentials come from the
    standard AWS environment and config files.
    """
    if "://" not in uri:
        from archive.storage_local import LocalStorage

        return LocalStorage(Path(uri))
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise StorageError(f"file URI must be file:///absolute/path, got {uri!r}")
        from archive.storage_local import LocalStorage

        return LocalStorage(Path(unquote(parts.path)))
    if scheme == "s3":
        from archive.storage_s3 import S3Storage

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
    from archive.errors import ObjectNotFound

    info = storage.stat(key)
    if info is None:
        raise ObjectNotFound(f"no object {key!r} in {storage.uri}")
    return io.BufferedReader(ObjectReader(storage, key, info.size), buffer_size=buffer_size)
