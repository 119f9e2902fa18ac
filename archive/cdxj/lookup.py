"""Binary search in a sorted CDXJ index — a local file or a storage object — by ranged reads.

The index is never scanned: :func:`lookup` bisects over fixed-size blocks. For block ``i`` it
reads from ``i * block_size``, skips to the first line that starts after that offset and compares
that line's first bytes with the search key, so a lookup reads about ``log2(size / block_size)``
blocks plus the one or two holding the matches (~15 reads for a 380 MB index in 16 KiB blocks,
~13 in the 64 KiB blocks used for storage objects). Lines longer than a block, and runs of
matches spanning many blocks, are read on as needed.

Sources cache their blocks (LRU, :data:`CACHE_BYTES` per source): the top of the search tree is
shared by every lookup, so repeated lookups on one source read fewer blocks. ``reads`` counts
the reads a source actually made (a run of adjacent missing blocks is one read). Sources are not
thread-safe; use one per thread.

Matching (the line order is plain byte order, and every line that starts with a given string
is in one contiguous run):

- exact: lines whose urlkey equals :func:`archive.cdxj.index.surt_key` of the URL. SURT
canonicalises
  (scheme, ``www.``, default port, trailing slash, query order and case are ignored), so
  ``http://www.x.com/a/`` and ``https://X.com:443/a`` share a key and both captures are returned;
- ``prefix=True`` (pywb's ``matchType=prefix``): lines whose urlkey *starts with* the URL's SURT,
  with the URL's trailing ``/`` or ``?`` kept (SURT drops them). ``http://example.com/`` gives
  the whole host (``com,example)/…``: ``www.`` included, other subdomains not),
  ``http://example.com/news/`` everything under ``/news/``; ``http://example.com/news`` also
  matches ``/newsletter``.

:func:`closest` picks the capture nearest to a 1 to 14 digit timestamp, padded as pywb and warcio
pad (``warcio.timeutils.timestamp_to_sec``): missing digits go to the *end* of the period
(``2024`` → 2024-12-31 23:59:59, ``202405`` → 2024-05-31 23:59:59), out-of-range parts are
clamped: the padding pywb replay applies to ``/<at>/<url>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from warcio.timeutils import timestamp_to_sec

from archive.cdxj.index import CdxjEntry, parse_line, surt_key
from archive.cdxj.sources import (
    BLOCK_SIZE,
    RangeSource,
)

__all__ = [
    "closest",
    "lookup",
    "match_key",
]

_MAX_STEP = 1 << 20  # read-ahead cap when looking for the end of a very long line
_TIMESTAMP = re.compile(r"\d{1,14}")


def match_key(url: str, *, prefix: bool = False) -> str:
    """The string every matching line starts with (see the module docstring)."""
    key = surt_key(url)
    if not prefix:
        return key + " "
    for tail in ("/", "?"):
        if url.endswith(tail) and not key.endswith(tail):
            key += tail
    return key


def lookup(
    source: RangeSource, url: str, *, prefix: bool = False, limit: int | None = None
) -> list[CdxjEntry]:
    """The captures of ``url`` (every URL under it with ``prefix``), in index order."""
    if limit is not None and limit <= 0:
        return []
    needle = match_key(url, prefix=prefix).encode("utf-8")
    found: list[CdxjEntry] = []
    if source.size == 0:
        return found
    for line in _lines_from(source, _lower_bound(source, needle)):
        if line < needle:
            continue
        if not line.startswith(needle):
            break
        found.append(parse_line(line.decode("utf-8")))
        if limit is not None and len(found) >= limit:
            break
    return found


def closest(entries: Sequence[CdxjEntry], at: str | None) -> CdxjEntry | None:
    """The entry nearest to ``at`` (1 to 14 digits, padded as pywb pads), ``None`` → the latest.

    Ties go to the earlier capture, then to the first in ``entries``.
    """
    if not entries:
        return None
    if at is None:
        return max(entries, key=lambda e: e.timestamp)
    if not _TIMESTAMP.fullmatch(at):
        raise ValueError(f"timestamp must be 1 to 14 digits, got {at!r}")
    target = timestamp_to_sec(at)
    return min(entries, key=lambda e: (abs(timestamp_to_sec(e.timestamp) - target), e.timestamp))


# -- the search -------------------------------------------------------------------------------


def _block_size(source: RangeSource) -> int:
    return int(getattr(source, "block_size", BLOCK_SIZE))


def _lower_bound(source: RangeSource, needle: bytes) -> int:
    """A line start at or before the first line ``>= needle`` with no match before it."""
    bs = _block_size(source)
    lo, hi = 0, -(-source.size // bs)  # block lo: its line sorts < needle (or lo == 0)
    lo_start = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        start = _next_line_start(source, mid * bs)
        if start >= source.size or source.read(start, len(needle)).split(b"\n", 1)[0] >= needle:
            hi = mid
        else:
            lo, lo_start = mid, start
    return lo_start


def _next_line_start(source: RangeSource, pos: int) -> int:
    """Offset just after the first ``\\n`` at or after ``pos`` (``size`` if there is none)."""
    bs = _block_size(source)
    step = bs - pos % bs  # to the end of pos's block, then whole blocks, growing
    while pos < source.size:
        chunk = source.read(pos, step)
        nl = chunk.find(b"\n")
        if nl >= 0:
            return pos + nl + 1
        pos += len(chunk)
        step = min(step * 2, _MAX_STEP) if step >= bs else bs
    return source.size


def _lines_from(source: RangeSource, pos: int) -> Iterator[bytes]:
    """The lines from line start ``pos`` on, read block by block (without ``\\n``)."""
    bs = _block_size(source)
    buf = b""
    while pos < source.size:
        chunk = source.read(pos, bs - pos % bs)
        if not chunk:
            break
        pos += len(chunk)
        buf += chunk
        start = 0
        while (nl := buf.find(b"\n", start)) >= 0:
            yield buf[start:nl]
            start = nl + 1
        buf = buf[start:]
    if buf:
        yield buf
