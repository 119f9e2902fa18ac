"""What :mod:`archive.articles.search` stores per article (one row of its ``articles`` table) and
the SQL of its site filter: a host, any subdomain of it, or a site name."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

__all__ = ["row", "site_filter"]

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


def _nested(article: dict[str, Any], key: str, field: str) -> Any:
    value = article.get(key)
    return value.get(field) if isinstance(value, dict) else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def row(source: str, a: dict[str, Any]) -> tuple[Any, ...]:
    url, sitename, when = _text(a.get("url")), _text(a.get("sitename")), _text(a.get("date"))
    lang = _text(a.get("language"))
    return (
        source,
        _text(a.get("id")),
        url,
        _text(a.get("canonical_url")),
        sitename,
        sitename.casefold() if sitename else None,
        _host(url),
        when,
        when[:10] if when and _DAY.match(when) else None,
        lang.lower() if lang else None,
        *(_text(a.get(key)) for key in ("event", "crawl_id")),
        _text(_nested(a, "dup", "kind")),
        _text(_nested(a, "dup", "of")),
        *(_text(a.get(key)) for key in ("story", "title", "text")),
    )
