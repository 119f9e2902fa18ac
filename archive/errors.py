"""Every exception newsarc raises on purpose, in one place.

Hierarchy::

    NewsarcError                      base class; the CLI prints it and exits with its exit_code
    ├── EventFileError                a malformed event file: every problem found, each naming
    │                                 the file, line and field (EventFileProblem)
    ├── WarcError                     reading or writing WARC files
    │   ├── WarcWriteError            a write failed: the crawl must stop, never only log
    │   └── WarcRepairError           an ``.open`` file could not be repaired
    ├── ContentDecodingError          a body's Content-Encoding cannot be undone (corrupt data)
    │   └── DecodedTooLarge           decoding would exceed the size limit (compression bomb)
    ├── ArchiveError                  reading an archive back (retrieval, search, export)
    │   ├── NotInArchive              no such capture, event or article (exit 4)
    │   ├── ArchiveFormatError        a stored index, article set or manifest is malformed
    │   └── SearchQueryError          a search query that cannot be run (exit 2)
    ├── EventLocked                   another crawl of the event holds its lock (exit 6)
    ├── FetchRefused                  the crawler refuses a request on purpose (policy, not failure)
    │   ├── PrivateAddressRefused     target resolves to a loopback/private/metadata address
    │   ├── TrapRefused               spider-trap heuristics (URL length, repeated segments, …)
    │   └── PageTooLarge              the response exceeds the maximum page size
    └── StorageError                  object storage: bad key or URI, refused request, …
        ├── StorageUnavailable        server down, timing out or 5xx after bounded retries:
        │                             transient, the crawl spools and tries again later
        ├── ObjectNotFound            the key does not exist (get_bytes, get_range)
        ├── PreconditionFailed        a conditional write lost: the object changed or exists
        └── StorageVerifyError        a stored object does not match what was sent (size, sha256);
                                      the bad object is removed, the upload may be retried

Scrapy's own vocabulary (``NotConfigured``, ``IgnoreRequest``, ``DropItem``, ``CloseSpider``)
is used at the Scrapy boundary; these are the pure-core errors beneath it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """The ``newsarc`` command's exit codes (the one definition; documented in the README)."""

    OK = 0  # success
    FAIL = 1  # unexpected failure
    INPUT = 2  # bad input: usage or event file
    WARC = 3  # a WARC write failed and the crawl was stopped
    NOTHING = 4  # nothing could be fetched (or extracted), or nothing found in an archive
    STORAGE = 5  # objects are still waiting in the spool: run `newsarc upload --resume`
    LOCKED = 6  # another crawl of the event holds its lock; nothing was touched
    DRIFT = 7  # --fail-on-drift: the crawl raised extraction drift alarms
    INTERRUPTED = 130  # interrupted (Ctrl-C, SIGTERM)


class NewsarcError(Exception):
    """Base class of newsarc's own errors."""

    exit_code: int = ExitCode.FAIL


@dataclass(frozen=True)
class EventFileProblem:
    """One problem (or warning) in an event file: ``str()`` is ``FILE:LINE: FIELD: MESSAGE``."""

    path: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        what = f"{self.field}: " if self.field else ""
        return f"{where}: {what}{self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"file": self.path, "line": self.line, "field": self.field, "message": self.message}


class EventFileError(NewsarcError):
    """A malformed event file, with every problem found in one reading (``problems``, in line
    order; at least one). ``str()`` is the one problem as ``FILE:LINE: FIELD: MESSAGE``, or, for
    several, a first line ``FILE: N problems`` and then one such line per problem. ``path``,
    ``line``, ``field`` and ``message`` are those of the first problem."""

    exit_code = ExitCode.INPUT

    def __init__(
        self,
        path: str,
        message: str = "",
        *,
        line: int | None = None,
        field: str | None = None,
        problems: Sequence[EventFileProblem] = (),
    ):
        self.problems = tuple(problems) or (EventFileProblem(path, message, line, field),)
        first = self.problems[0]
        self.path, self.message = path, first.message
        self.line, self.field = first.line, first.field
        lines = [str(p) for p in self.problems]
        if len(lines) > 1:
            lines.insert(0, f"{path}: {len(lines)} problems")
        super().__init__("\n".join(lines))

    def __reduce__(self) -> Any:  # pickles with its problems (keyword-only arguments)
        return _event_file_error, (self.path, self.problems)


def _event_file_error(path: str, problems: tuple[EventFileProblem, ...]) -> EventFileError:
    return EventFileError(path, problems=problems)


class WarcError(NewsarcError):
    """Reading or writing WARC files."""


class WarcWriteError(WarcError):
    """Writing a WARC record failed; the crawl stops."""

    exit_code = ExitCode.WARC


class WarcRepairError(WarcError):
    """An interrupted ``.warc.gz.open`` file could not be repaired."""


class ContentDecodingError(NewsarcError, ValueError):
    """A body's Content-Encoding cannot be undone: the data is corrupt."""


class DecodedTooLarge(ContentDecodingError):
    """Decoding the body would exceed the size limit."""


class ArchiveError(NewsarcError):
    """Reading an archive back failed."""


class NotInArchive(ArchiveError):
    """The archive has no such capture, event or article."""

    exit_code = ExitCode.NOTHING


class ArchiveFormatError(ArchiveError):
    """A stored index, article set or manifest is malformed (names the object and line)."""


class SearchQueryError(ArchiveError):
    """The search query is empty or cannot be parsed."""

    exit_code = ExitCode.INPUT


class EventLocked(NewsarcError):
    """Another crawl of the event holds its lock. ``str()`` names the holder."""

    exit_code = ExitCode.LOCKED


class FetchRefused(NewsarcError):
    """A request refused on purpose by policy."""


class PrivateAddressRefused(FetchRefused):
    """The target resolves to an address newsarc does not fetch by default."""


class TrapRefused(FetchRefused):
    """The URL looks like a spider trap."""


class PageTooLarge(FetchRefused):
    """The response is larger than the configured maximum page size."""


class StorageError(NewsarcError):
    """Object storage failed. Messages never contain credentials."""


class StorageUnavailable(StorageError):
    """The storage server is down or overloaded (connection errors, timeouts, 5xx after retries)."""


class ObjectNotFound(StorageError):
    """The requested key does not exist."""


class PreconditionFailed(StorageError):
    """A conditional write was refused: the object exists, or changed since it was read."""


class StorageVerifyError(StorageError):
    """After a write, the stored object's size or sha256 differs from the local data."""


class ClusterError(NewsarcError):
    """A distributed crawl's coordination (Redis) failed or is misconfigured."""


class ClusterUnavailable(ClusterError):
    """Redis cannot be reached (down, refused, timed out). Messages never contain passwords."""
