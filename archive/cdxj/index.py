"""CDXJ index lines, byte-identical to ``cdxj-indexer`` 1.5 (default fields and records).

A line is ``<urlkey> <timestamp> <json>``: the SURT of the target URI (``surt.surt``, the URI
itself if that fails), the 14-digit ``WARC-Date`` (warcio's ``iso_date_to_timestamp``) and a
``json.dumps`` dict with the keys ``url, mime, status, digest, length, offset, filename`` in that
order; a key whose value warcio would not find is left out, exactly as cdxj-indexer does.

Indexed records: ``response``, ``revisit``, ``resource``, ``metadata``, except ``resource`` and
``metadata`` records of Content-Type ``application/warc-fields`` (so newsarc's own metadata
records, including the chunked-framing ones, are never indexed). Field by field, as warcio reads
a record:

- ``url``: ``WARC-Target-URI`` with surrounding ``<>`` removed and spaces as ``%20``;
- ``mime``: the HTTP ``Content-Type`` for responses (the record's own for resource/metadata,
  ``warc/revisit`` for revisits), cut at the first ``;`` or whitespace;
- ``status``: the status code of the first HTTP status line (responses and revisits);
- ``digest``: ``WARC-Payload-Digest`` (even if empty); when a non-revisit record has no such
  header, the SHA-1 (base32) of what follows the HTTP head in the block (of the whole block for
  non-HTTP records);
- ``length`` / ``offset``: the record's gzip member, as strings; ``filename``: the basename.

HTTP heads are parsed with warcio's own ``StatusAndHeadersParser`` (not verifying, as
cdxj-indexer runs it), so odd status lines, repeated or missing headers and non-UTF-8 bytes come
out exactly as warcio reads them. Lines are ``str`` without the trailing newline; the file form
is :func:`cdxj_bytes`. Sorting is plain ``str`` order, as cdxj-indexer's ``SortingWriter``.
"""

from __future__ import annotations

import heapq
import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import surt
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.timeutils import iso_date_to_timestamp

from archive.warc.reader import iter_members, parse_record
from archive.warc.records import sha1_digest

__all__ = [
    "CdxjEntry",
    "cdxj_bytes",
    "format_line",
    "index_warc",
    "is_indexed",
    "merge_sorted",
    "parse_line",
    "response_line",
    "sort_lines",
    "surt_key",
]

INDEXED_TYPES = ("response", "revisit", "resource", "metadata")
WARC_FIELDS = "application/warc-fields"
_HTTP_RECORDS = ("response", "request", "revisit")  # warcio parses an HTTP head in these
_HTTP_SCHEMES = ("http:", "https:")
_MIME_SPLIT = re.compile(r"[;\s]")
_HTTP_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False)


@dataclass(frozen=True)
class CdxjEntry:
    """One parsed CDXJ line. ``fields`` keeps the JSON's key order and string values."""

    urlkey: str
    timestamp: str
    fields: dict[str, Any] = field(hash=False)

    def _str(self, name: str) -> str | None:
        value = self.fields.get(name)
        return None if value is None else str(value)

    @property
    def url(self) -> str | None:
        return self._str("url")

    @property
    def status(self) -> str | None:
        return self._str("status")

    @property
    def mime(self) -> str | None:
        return self._str("mime")

    @property
    def digest(self) -> str | None:
        return self._str("digest")

    @property
    def filename(self) -> str | None:
        return self._str("filename")

    @property
    def offset(self) -> int:
        return int(self.fields["offset"])

    @property
    def length(self) -> int:
        return int(self.fields["length"])

    def to_line(self) -> str:
        return format_line(self.urlkey, self.timestamp, self.fields)


def surt_key(url: str) -> str:
    """The CDXJ urlkey of ``url``: ``surt.surt(url)``, or ``url`` itself if that fails."""
    try:
        return str(surt.surt(url))
    except Exception:  # cdxj-indexer falls back on any error, so must we
        return url


def format_line(urlkey: str, timestamp: str, fields: dict[str, Any]) -> str:
    return f"{urlkey} {timestamp} {json.dumps(fields)}"


def parse_line(line: str) -> CdxjEntry:
    """Parse one CDXJ line (a trailing newline is allowed). Raises ValueError if malformed."""
    urlkey, sep, rest = line.rstrip("\r\n").partition(" ")
    timestamp, sep2, data = rest.partition(" ")
    if not sep or not sep2 or not urlkey or not timestamp:
        raise ValueError(f"not a CDXJ line: {line[:200]!r}")
    fields = json.loads(data)
    if not isinstance(fields, dict):
        raise ValueError(f"CDXJ line without a JSON object: {line[:200]!r}")
    return CdxjEntry(urlkey, timestamp, fields)


def is_indexed(rec_type: str, content_type: str | None) -> bool:
    """Whether cdxj-indexer (default ``--records``) writes a line for such a record."""
    if rec_type not in INDEXED_TYPES:
        return False
    return not (rec_type in ("resource", "metadata") and content_type == WARC_FIELDS)


def response_line(
    *,
    url: str,
    warc_date: str,
    http_head: bytes | None,
    payload_digest: str | None,
    offset: int,
    length: int,
    filename: str,
    rec_type: str = "response",
    content_type: str | None = None,
) -> str:
    """The CDXJ line of one record, from what a WARC writer knows when writing it.

    ``http_head``: the record's block, or any prefix of it that holds the whole HTTP head
    (status line, headers, blank line) — ``None`` or ``b""`` for an empty block. Pass the bytes
    as *stored* (after newsarc's chunked policy). ``payload_digest``: the ``WARC-Payload-Digest``
    written, or ``None`` if the record has none; warcio then digests the rest of the block, so in
    that case ``http_head`` must be the whole block. ``content_type``: the record's own
    Content-Type (used for resource and metadata records). Raises ValueError for a record
    cdxj-indexer does not index (see :func:`is_indexed`).
    """
    if not is_indexed(rec_type, content_type):
        raise ValueError(f"cdxj-indexer does not index {rec_type} records of type {content_type}")
    return _line(
        rec_type=rec_type,
        url=url,
        warc_date=warc_date,
        block=http_head or b"",
        content_type=content_type,
        payload_digest=payload_digest,
        offset=offset,
        length=length,
        filename=filename,
    )


def index_warc(stream: BinaryIO, filename: str) -> list[str]:
    """The CDXJ lines of a gzip-per-record WARC, in record order (unsorted)."""
    lines = []
    for offset, length, data in iter_members(stream):
        record = parse_record(data, offset, length)
        content_type = record.get("Content-Type")
        if not is_indexed(record.type, content_type):
            continue
        url = record.get("WARC-Target-URI")
        date = record.get("WARC-Date")
        if url is None or date is None:
            raise ValueError(f"{filename} offset {offset}: no WARC-Target-URI or WARC-Date")
        lines.append(
            _line(
                rec_type=record.type,
                url=url,
                warc_date=date,
                block=record.block,
                content_type=content_type,
                payload_digest=record.get("WARC-Payload-Digest"),
                offset=offset,
                length=length,
                filename=filename,
            )
        )
    return lines


def sort_lines(lines: Iterable[str]) -> list[str]:
    """Sorted, exact duplicates removed: the order of ``cdxj-indexer --sort``."""
    return sorted({_strip_newline(line) for line in lines})


def merge_sorted(inputs: Iterable[Iterable[str]]) -> Iterator[str]:
    """Stream-merge already sorted line iterables (e.g. open ``.cdxj`` files), dropping duplicates.

    Newlines are stripped and blank lines skipped; memory use is one line per input.
    """
    streams = [(_strip_newline(line) for line in lines) for lines in inputs]
    last = None
    for line in heapq.merge(*streams):
        if line and line != last:
            yield line
        last = line


def cdxj_bytes(lines: Iterable[str]) -> bytes:
    """Lines as a CDXJ file: each followed by ``\\n``, UTF-8."""
    return "".join(line + "\n" for line in lines).encode("utf-8")


# -- internals --------------------------------------------------------------------------------


def _strip_newline(line: str) -> str:
    return line[:-1] if line.endswith("\n") else line


def _target_uri(uri: str) -> str:
    """warcio's reading of WARC-Target-URI: ``<uri>`` unwrapped, spaces as ``%20``."""
    if uri.startswith("<") and uri.endswith(">"):
        uri = uri[1:-1]
    return uri.replace(" ", "%20")


def _http_head(rec_type: str, url: str, block: bytes) -> tuple[StatusAndHeaders | None, int]:
    """The HTTP head as warcio's record loader parses it, and the bytes it consumed."""
    if not block or rec_type not in _HTTP_RECORDS or not url.startswith(_HTTP_SCHEMES):
        return None, 0
    stream = io.BytesIO(block)
    try:
        head = _HTTP_PARSER.parse(stream)
    except EOFError:
        return None, 0
    return head, stream.tell()


def _mime(rec_type: str, head: StatusAndHeaders | None, content_type: str | None) -> str | None:
    if rec_type == "revisit":
        return "warc/revisit"
    if rec_type in ("response", "request"):
        value = head.get_header("content-type") if head else None
    else:
        value = content_type
    if value:
        value = _MIME_SPLIT.split(value, 1)[0].strip()
    return value


def _line(
    *,
    rec_type: str,
    url: str,
    warc_date: str,
    block: bytes,
    content_type: str | None,
    payload_digest: str | None,
    offset: int,
    length: int,
    filename: str,
) -> str:
    url = _target_uri(url)
    head, consumed = _http_head(rec_type, url, block)
    fields: dict[str, Any] = {"url": url}
    mime = _mime(rec_type, head, content_type)
    if mime is not None:
        fields["mime"] = mime
    if rec_type in ("response", "revisit") and head:
        fields["status"] = head.get_statuscode()
    digest = payload_digest  # an empty header stays "": warcio adds a second one, reads the first
    if digest is None and rec_type != "revisit":
        digest = sha1_digest(block[consumed:])
    if digest is not None:
        fields["digest"] = digest
    fields["length"] = str(length)
    fields["offset"] = str(offset)
    fields["filename"] = os.path.basename(filename)
    return format_line(surt_key(url), iso_date_to_timestamp(warc_date), fields)
