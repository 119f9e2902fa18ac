"""Object keys and the ``Storage`` protocol every backend implements (imported by the backends).

Keys are ``/``-separated relative names built with :func:`object_key`, which refuses anything that
could escape the storage root or prefix. Both backends produce the same layout for the same puts:
key ``a/b/c.warc.gz`` is the file ``<root>/a/b/c.warc.gz`` or the object ``<prefix>/a/b/c.warc.gz``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from archive.errors import StorageError

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
