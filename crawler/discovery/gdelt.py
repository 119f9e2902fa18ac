"""GDELT DOC 2.0 API, ``mode=ArtList``, ``format=json``: building the query URL, parsing answers.

The API (https://blog.gdeltproject.org/gdelt-doc-2-0-api-debuts/) answers an ArtList query with
``{"articles": [{"url", "url_mobile", "title", "seendate": "20250401T101500Z", "socialimage",
"domain", "language": "English", "sourcecountry": "United States"}, ...]}``. It returns at most
250 records per call, newest first with ``sort=DateDesc``; to get more, split the date range.

Its failures do not look like errors: an empty body, ``{}`` (what it sends when nothing
matched), or a plain-text/HTML message ("Your search contained ...", "Please limit requests to
one every 5 seconds ...") with status 200. ``parse_gdelt`` turns all of them into no articles
and ``GdeltResult.error = "<code>: <detail>"`` with a stable code: ``empty`` (empty body),
``no-articles`` (``{}`` or an empty list: usually a legitimate zero-hit answer), ``not-json``
(a message from the API, quoted), ``bad-json`` and ``bad-shape``. Titles with raw control
characters or stray backslashes, which the API emits, are tolerated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

GDELT_DOC_ENDPOINT = "https://api.gdeltproject.org/api/v2/doc/doc"
GDELT_MAX_RECORDS = 250


@dataclass(frozen=True)
class GdeltArticle:
    url: str
    title: str
    seendate: datetime  # when GDELT saw the article (UTC), not its publication time
    domain: str
    language: str  # GDELT's English language name, e.g. "English", "Spanish"
    sourcecountry: str  # GDELT's country name, e.g. "United States"


@dataclass(frozen=True)
class GdeltResult:
    articles: list[GdeltArticle]
    error: str | None = None
    skipped: int = 0  # records without an http(s) url or a parseable seendate


def gdelt_query_url(
    query: str,
    start: date,
    end: date,
    *,
    endpoint: str = GDELT_DOC_ENDPOINT,
    max_records: int = GDELT_MAX_RECORDS,
    languages: tuple[str, ...] = (),
) -> str:
    """The ArtList URL for ``query`` between ``start`` 00:00:00 and ``end`` 23:59:59 UTC.

    ``query`` uses GDELT's syntax (quoted phrases, ``(a OR b)`` — OR only inside parentheses,
    ``-word``, ``domain:``, ``sourcecountry:``); ``languages`` adds ``sourcelang:`` operators
    (a name like ``english`` or a code like ``eng``), ORed together in parentheses.
    """
    if not query.strip():
        raise ValueError("GDELT query must not be empty")
    if not 1 <= max_records <= GDELT_MAX_RECORDS:
        raise ValueError(f"max_records must be between 1 and {GDELT_MAX_RECORDS}: {max_records}")
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    full_query = query.strip()
    langs = [f"sourcelang:{lang.strip()}" for lang in languages if lang.strip()]
    if len(langs) == 1:
        full_query += f" {langs[0]}"
    elif langs:
        full_query += " (" + " OR ".join(langs) + ")"
    params = {
        "query": full_query,
        "mode": "ArtList",
        "format": "json",
        "maxrecords": str(max_records),
        "sort": "DateDesc",
        "startdatetime": f"{start:%Y%m%d}000000",
        "enddatetime": f"{end:%Y%m%d}235959",
    }
    return f"{endpoint}?{urlencode(params, quote_via=quote)}"


def parse_gdelt(body: bytes) -> GdeltResult:
    """Parse an ArtList JSON answer; never raises on bad input (see the module docstring)."""
    text = body.decode("utf-8", "replace").strip().removeprefix("\ufeff")
    if not text:
        return GdeltResult([], "empty: no content")
    if not text.startswith(("{", "[")):
        return GdeltResult([], f"not-json: {_snippet(text)}")
    try:
        data = _loads(text)
    except ValueError as exc:
        return GdeltResult([], f"bad-json: {exc}")
    if not isinstance(data, dict):
        return GdeltResult([], f"bad-shape: top level is {type(data).__name__}, not an object")
    raw_articles = data.get("articles")
    if raw_articles is None or raw_articles == []:
        return GdeltResult([], "no-articles: the API found nothing")
    if not isinstance(raw_articles, list):
        return GdeltResult([], f"bad-shape: articles is {type(raw_articles).__name__}")
    articles = [a for a in map(_article, raw_articles) if a is not None]
    return GdeltResult(articles, None, len(raw_articles) - len(articles))


_ESCAPE = re.compile(r'\\(["\\/bfnrtu]?)')


def _loads(text: str) -> Any:
    """``json.loads`` that accepts raw control characters and repairs invalid ``\\x`` escapes."""
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError:
        repaired = _ESCAPE.sub(lambda m: m.group(0) if m.group(1) else "\\\\", text)
        return json.loads(repaired, strict=False)


def _article(raw: Any) -> GdeltArticle | None:
    if not isinstance(raw, dict):
        return None
    url = _str(raw.get("url"))
    seen = parse_seendate(_str(raw.get("seendate")))
    parts = urlsplit(url)
    if seen is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return GdeltArticle(
        url=url,
        title=" ".join(_str(raw.get("title")).split()),
        seendate=seen,
        domain=_str(raw.get("domain")) or (parts.hostname or ""),
        language=_str(raw.get("language")),
        sourcecountry=_str(raw.get("sourcecountry")),
    )


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_seendate(value: str) -> datetime | None:
    """``20250401T101500Z`` (GDELT's format; also without ``T``/``Z``) → aware UTC datetime."""
    digits = value.strip().upper().removesuffix("Z").replace("T", "")
    if len(digits) != 14 or not digits.isdigit():
        return None
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _snippet(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
