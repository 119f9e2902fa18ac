"""Local-directory storage: key ``a/b/c`` is the file ``<root>/a/b/c``.

- Writes go to a temporary name in the target directory (``.newsarc-tmp-…``, never listed), are
  fsynced, then renamed into place, and the directory is fsynced: a reader sees the old object or
  the whole new one.
- Keys are checked by :func:`archive.storage.keys.object_key` and the resolved path must stay under
the
  resolved root, so neither ``..`` nor a symlink inside the root can lead outside it.
- ``put_file`` of a file that already *is* the target (the archive is also the spool) only verifies.
- ``content_type`` is accepted and ignored (a file has none).
- No sha256 is stored: ``stat`` and ``iter`` return ``sha256=None`` (hashing a multi-GB WARC on
  every ``stat`` would be far too slow, and a sidecar file would change the layout). The ``put_*``
  calls return the sha256 they computed while writing, at no extra cost.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from archive.errors import ObjectNotFound, StorageError, StorageVerifyError
from archive.storage.keys import TEMP_MARK, ObjectInfo, check_key, segment_problem, split_prefix

CHUNK = 1 << 20


class LocalStorage:
    """Objects as files under ``root`` (created on the first write)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.abspath(root))
        self.uri = self.root.as_uri()

    def __repr__(self) -> str:
        return f"LocalStorage({self.uri!r})"

    # -- paths ---------------------------------------------------------------------------
    def _inside(self, path: Path, what: str) -> Path:
        real_root = self.root.resolve()
        real = path.resolve()
        if real != real_root and not real.is_relative_to(real_root):
            raise StorageError(f"{what} resolves outside the storage root {self.uri}")
        return path

    def _path(self, key: str) -> Path:
        return self._inside(self.root / check_key(key), f"key {key!r}")

    # -- writes --------------------------------------------------------------------------
    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        target = self._path(key)
        digest = hashlib.sha256(data).hexdigest()
        with _AtomicFile(self, target) as out:
            out.write(data)
        return self._verified(key, target, len(data), digest)

    def put_file(
        self, key: str, path: Path, *, sha256: str | None = None, content_type: str | None = None
    ) -> ObjectInfo:
        target = self._path(key)
        src = Path(path)
        if not src.is_file():
            raise StorageError(f"put_file {key!r}: {src} is not a readable file")
        with src.open("rb") as fh:
            if target.exists() and os.path.samefile(src, target):
                size, digest = _copy(fh, None)  # already in place: verify only
            else:
                with _AtomicFile(self, target) as out:
                    size, digest = _copy(fh, out)
                    _check_source(key, src, fh.fileno(), size, digest, sha256)
            _check_source(key, src, fh.fileno(), size, digest, sha256)
        return self._verified(key, target, size, digest)

    def _verified(self, key: str, target: Path, size: int, digest: str) -> ObjectInfo:
        try:
            stored = target.stat().st_size
        except OSError as exc:
            raise StorageError(f"{key!r} vanished after writing: {exc.strerror}") from None
        if stored != size:
            raise StorageVerifyError(f"{key!r}: stored size {stored} != written size {size}")
        return ObjectInfo(key, size, digest, None)

    # -- reads ---------------------------------------------------------------------------
    def _open(self, key: str) -> int:
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(f"no object {key!r} in {self.uri}") from None
        except OSError as exc:
            raise StorageError(f"cannot open {key!r}: {exc.strerror}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ObjectNotFound(f"no object {key!r} in {self.uri}")
        return fd

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        if offset < 0 or length < 1:
            raise StorageError(f"get_range {key!r}: bad range offset={offset} length={length}")
        fd = self._open(key)
        try:
            size = os.fstat(fd).st_size
            if offset >= size:
                raise StorageError(f"get_range {key!r}: offset {offset} >= size {size}")
            return pread_all(fd, min(length, size - offset), offset)
        finally:
            os.close(fd)

    def get_bytes(self, key: str) -> bytes:
        fd = self._open(key)
        try:
            return pread_all(fd, os.fstat(fd).st_size, 0)
        finally:
            os.close(fd)

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            st = os.stat(self._path(key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"stat {key!r}: {exc.strerror}") from None
        if not stat.S_ISREG(st.st_mode):
            return None
        return ObjectInfo(key, st.st_size, None, None)

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def iter(self, prefix: str = "") -> Iterator[ObjectInfo]:
        directory, start = split_prefix(prefix)
        base = self._inside(self.root / directory, f"prefix {prefix!r}") if directory else self.root
        yield from _walk(base, directory, start)

    def children(self, prefix: str = "") -> list[str]:
        directory, start = split_prefix(prefix)
        if start:
            raise StorageError(f"children: prefix {prefix!r} must be empty or end with '/'")
        base = self._inside(self.root / directory, f"prefix {prefix!r}") if directory else self.root
        try:
            entries = list(os.scandir(base))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise StorageError(f"cannot list {directory or '/'}: {exc.strerror}") from None
        return sorted(
            e.name
            for e in entries
            if e.is_dir(follow_symlinks=False) and not segment_problem(e.name)
        )


def _walk(path: Path, rel: str, start: str) -> Iterator[ObjectInfo]:
    """Files under ``path`` in key order; a directory sorts as ``name/``, which gives exactly
    the byte order of the full keys (what S3's listing uses)."""
    try:
        entries = list(os.scandir(path))
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise StorageError(f"cannot list {rel or '/'}: {exc.strerror}") from None
    items: list[tuple[str, os.DirEntry[str], bool]] = []
    for entry in entries:
        name = entry.name
        if not name.startswith(start) or entry.is_symlink() or segment_problem(name):
            continue  # temp files, symlinks and names no key can have are not objects
        if entry.is_dir(follow_symlinks=False):
            items.append((name + "/", entry, True))
        elif entry.is_file(follow_symlinks=False):
            items.append((name, entry, False))
    for _, entry, is_dir in sorted(items, key=lambda item: item[0]):
        key = f"{rel}/{entry.name}" if rel else entry.name
        if is_dir:
            yield from _walk(Path(entry.path), key, "")
        else:
            yield ObjectInfo(key, entry.stat(follow_symlinks=False).st_size, None, None)


class _AtomicFile:
    """Write to a temp file beside ``target``; on a clean exit fsync and rename it into place."""

    def __init__(self, storage: LocalStorage, target: Path) -> None:
        self.storage = storage
        self.target = target
        self.tmp = target.parent / f"{TEMP_MARK}{secrets.token_hex(8)}"
        self.fd = -1

    def __enter__(self) -> _AtomicFile:
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.storage._inside(self.target.parent, f"key {self.target.name!r}")
            if self.target.is_dir():
                raise StorageError(f"{self.target} is a directory")
            self.fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise StorageError(f"cannot write under {self.storage.uri}: {exc.strerror}") from None
        return self

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError as exc:
            raise StorageError(f"write failed under {self.storage.uri}: {exc.strerror}") from None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                os.fsync(self.fd)
                os.close(self.fd)
                self.fd = -1
                os.replace(self.tmp, self.target)
                _fsync_dir(self.target.parent)
        except OSError as err:
            raise StorageError(f"cannot store {self.target.name!r}: {err.strerror}") from None
        finally:
            if self.fd >= 0:
                os.close(self.fd)
            if self.tmp.exists():
                self.tmp.unlink()


def _check_source(
    key: str, src: Path, fd: int, size: int, digest: str, expected: str | None
) -> None:
    """The bytes we stored must be the caller's file: same sha256 (if given), same size as now."""
    if expected is not None and digest != expected.lower():
        raise StorageVerifyError(f"{key!r}: sha256 of {src.name} is {digest}, expected {expected}")
    now = os.fstat(fd).st_size
    if now != size:
        raise StorageVerifyError(f"{key!r}: {src.name} changed size while stored ({size} -> {now})")


def _copy(fh: BinaryIO, out: _AtomicFile | None) -> tuple[int, str]:
    """Read ``fh`` to the end (writing to ``out`` if given); return (size, sha256 hex)."""
    h = hashlib.sha256()
    size = 0
    while chunk := fh.read(CHUNK):
        h.update(chunk)
        if out is not None:
            out.write(chunk)
        size += len(chunk)
    return size, h.hexdigest()


def pread_all(fd: int, length: int, offset: int) -> bytes:
    parts: list[bytes] = []
    while length > 0:
        chunk = os.pread(fd, min(length, 16 * CHUNK), offset)
        if not chunk:
            break
        parts.append(chunk)
        offset += len(chunk)
        length -= len(chunk)
    return b"".join(parts)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
