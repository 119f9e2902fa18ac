"""What :mod:`archive.articles.search` stores per article (one row of its ``articles`` table),
read from the stored record by column name (:mod:`archive.articles.record`), and the SQL of its
site filter: a host, any subdomain of it, or a site name."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from archive.articles.record import column, lookup

__all__ = ["ROW_COLUMNS", "row", "site_filter"]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _host(url: str | None) -> str | None:
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def site_filter(site: str) -> tuple[str, list[Any]]:
    """Host, any subdomain of it, or the sitename (case-insensitive)."""
    value = site.strip()
    host = (_host(value) or "") if "://" in value else value.lower().rstrip(".")
    host = host.removeprefix("www.")
    dotted = "." + host
    clause = "(a.site = ? OR substr(a.site, ?) = ? OR a.sitename_key = ?)"
    return clause, [host, -len(dotted), dotted, value.casefold()]


def _day(a: dict[str, Any]) -> str | None:
    when = _text(a.get("date"))
    return when[:10] if when and _DAY.match(when) else None


def _sitename_key(a: dict[str, Any]) -> str | None:
    sitename = _text(a.get("sitename"))
    return sitename.casefold() if sitename else None


def _language(a: dict[str, Any]) -> str | None:
    lang = _text(a.get("language"))
    return lang.lower() if lang else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# Computed from the stored article; every other column is the record's column of that name
# (archive.articles.record.COLUMNS), read through its path.
_DERIVED: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "sitename_key": _sitename_key,
    "site": lambda a: _host(_text(a.get("url"))),
    "day": _day,
    "language": _language,
}
ROW_COLUMNS: tuple[str, ...] = (
    "id", "url", "canonical_url", "sitename", "sitename_key", "site", "date", "day", "language",
    "event", "crawl_id", "fetched_at", "revision", "dup_kind", "dup_of", "story", "title", "text",
)  # fmt: skip
"""The search table's columns after ``source`` (TEXT each), in order."""

_PATHS = {name: column(name).path for name in ROW_COLUMNS if name not in _DERIVED}


def row(source: str, a: dict[str, Any]) -> tuple[Any, ...]:
    """One row of the search table: ``source``, then :data:`ROW_COLUMNS`."""
    values = [
        _DERIVED[name](a) if name in _DERIVED else _text(lookup(a, _PATHS[name]))
        for name in ROW_COLUMNS
    ]
    return (source, *values)
