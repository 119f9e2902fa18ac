"""A small imitation of the GDELT DOC 2.0 API (``mode=ArtList&format=json``) over the demo articles.

Supported query syntax: bare words and "quoted phrases" (all must match, case-insensitive, in
the title or text), ``(a OR b)`` groups, ``-word`` exclusions and ``domain:host``; other
``key:value`` operators are accepted and ignored. ``startdatetime``/``enddatetime``
(YYYYMMDDHHMMSS, UTC) filter on ``seendate``; ``maxrecords`` (default 75, at most 250) and
``sort`` (``datedesc`` default, ``dateasc``) are honoured.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from .content import Article, load_articles
from .render import image_url

COUNTRY = {
    "globe.test": "United Kingdom",
    "courier.test": "United States",
    "herald.test": "United Kingdom",
    "wire.test": "Switzerland",
}
TOKEN = re.compile(r'-?"[^"]*"|\([^)]*\)|\S+')


class GdeltQueryError(ValueError):
    """A request the API answers with a plain-text error."""


@dataclass(frozen=True)
class Clause:
    alternatives: tuple[str, ...]  # lower-cased phrases; any may match
    negated: bool = False
    domain: bool = False


def parse_query(query: str) -> list[Clause]:
    clauses = []
    for token in TOKEN.findall(query):
        negated = token.startswith("-")
        token = token.lstrip("-")
        if token.startswith("("):
            alts = [t.strip('"').lower() for t in re.split(r"\s+OR\s+", token[1:-1].strip())]
            if all(":" in a and " " not in a for a in alts):
                continue  # (sourcelang:en OR sourcelang:zh): operators, not modelled
            clauses.append(Clause(tuple(a for a in alts if a), negated))
        elif token.lower().startswith("domain:"):
            clauses.append(Clause((token.split(":", 1)[1].lower(),), negated, domain=True))
        elif ":" in token and not token.startswith('"'):
            continue  # sourcelang:, theme:, tone... accepted, not modelled
        elif token.strip('"'):
            clauses.append(Clause((token.strip('"').lower(),), negated))
    if not any(not c.negated for c in clauses):
        raise GdeltQueryError("The specified query was too short or contained no search terms.")
    return clauses


def _matches(art: Article, clauses: list[Clause]) -> bool:
    text = " ".join((art.title, art.caption, *art.paragraphs)).lower()
    for clause in clauses:
        if clause.domain:
            hit = any(art.host == d or art.host.endswith("." + d) for d in clause.alternatives)
        else:
            hit = any(re.search(rf"\b{re.escape(p)}\b", text) for p in clause.alternatives)
        if hit == clause.negated:
            return False
    return True


def seen(art: Article) -> datetime:
    """GDELT sees an article at the first 15-minute update after publication."""
    t = art.published_at.astimezone(UTC).replace(second=0, microsecond=0)
    return t + timedelta(minutes=15 - t.minute % 15)


def _when(params: dict[str, list[str]], name: str) -> datetime | None:
    value = params.get(name, [""])[0]
    if not value:
        return None
    if not re.fullmatch(r"\d{14}", value):
        raise GdeltQueryError(f"Invalid {name}: expected YYYYMMDDHHMMSS.")
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def _entry(art: Article) -> dict[str, str]:
    return {
        "url": art.url,
        "url_mobile": "",
        "title": art.title,
        "seendate": seen(art).strftime("%Y%m%dT%H%M%SZ"),
        "socialimage": image_url(art),
        "domain": art.host,
        "language": "English",
        "sourcecountry": COUNTRY[art.host],
    }


def answer(query_string: str) -> bytes:
    """The JSON body for one API call; raises GdeltQueryError for a bad request."""
    params = parse_qs(query_string, keep_blank_values=True)
    if params.get("mode", [""])[0].lower() != "artlist":
        raise GdeltQueryError("This demo API supports mode=ArtList only.")
    if params.get("format", [""])[0].lower() != "json":
        raise GdeltQueryError("This demo API supports format=json only.")
    clauses = parse_query(params.get("query", [""])[0])
    start, end = _when(params, "startdatetime"), _when(params, "enddatetime")
    limit = params.get("maxrecords", ["75"])[0]
    if not limit.isdigit():
        raise GdeltQueryError("Invalid maxrecords.")
    hits = [
        a
        for a in load_articles()
        if _matches(a, clauses)
        and (start is None or seen(a) >= start)
        and (end is None or seen(a) <= end)
    ]
    ascending = params.get("sort", ["datedesc"])[0].lower() == "dateasc"
    hits.sort(key=seen, reverse=not ascending)
    body = {"articles": [_entry(a) for a in hits[: min(int(limit), 250)]]}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
