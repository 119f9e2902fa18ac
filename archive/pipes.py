"""OS pipes between the crawl and its helper processes (extraction pool, WARC writer)."""

from __future__ import annotations

import contextlib
import fcntl

PIPE_BYTES = 1 << 20  # a page or an exchange (50-500 KB) goes in one write, not in 64 KB steps


def widen(fd: int) -> None:
    """Give the pipe ``PIPE_BYTES`` of buffer where Linux allows (else keep its default)."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setsize, PIPE_BYTES)
