"""Write a local file all at once or not at all: a temporary name beside it, fsync, rename.

Readers never see a half-written index, export or package; a failure (or Ctrl-C) removes the
temporary file and leaves any previous version in place.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_write(path: Path, *, text: bool = False) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; rename it to ``path`` on success."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    options: dict[str, Any] = {"encoding": "utf-8", "newline": ""} if text else {}
    try:
        with open(tmp, "xt" if text else "xb", **options) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
