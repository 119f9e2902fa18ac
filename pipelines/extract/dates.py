"""Publication date: parse candidates from every source, reject the implausible, pick by precedence.

Precedence (first source with a valid candidate wins; ``PRECEDENCE`` below):

1. ``json-ld``        ``datePublished`` of the page's Article/NewsArticle/BlogPosting object
2. ``meta``           article:published_time, og:published_time, parsely-pub-date, sailthru.date,
                      dc.date.issued / dcterms.created / dc.date, pubdate, publish-date, date …
3. ``microdata``      ``itemprop="datePublished"`` (content or datetime attribute)
4. ``news-sitemap``   hint: ``<news:publication_date>`` of a Google News sitemap
5. ``feed``           hint: RSS ``pubDate`` / Atom ``published``
6. ``time``           ``<time datetime>`` (one marked pubdate/publish, or inside <article>, first)
7. ``url``            /2025/04/01/, /2025-04-01/, /2025/apr/01/ or -20250401- in the URL path
8. ``gdelt``          hint: GDELT ``seendate`` (when GDELT saw it: an upper bound, not the date)
9. ``sitemap-lastmod`` hint: ``<lastmod>`` (a modification date)
10. ``text``          a full date written in the page's text: Chinese or Japanese
                      (``2025年4月1日``), Russian (``1 апреля 2025``), French
                      (``1er avril 2025``); the first one on the page, read by dateparser
11. ``htmldate``      trafilatura's date heuristics (visible text), the last resort

What the page declares about itself is trusted first, then what the publisher declares elsewhere,
then weaker evidence. Rejected: dates before 1995-01-01 and dates in the future relative to ``now``
(one hour of clock skew allowed for datetimes with a zone, 14 hours for a bare date or a datetime
without one, whose zone is unknown). When the winner has no time of day and a lower-ranked valid
publication-time candidate (sources 1-6) on the same day has one, the precise value is used and
its source reported (GDELT's seendate and a lastmod are later than publication, never used so).
Output: ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SSZ`` (zoned, converted to UTC) or
``YYYY-MM-DDTHH:MM:SS`` (zone unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

PRECEDENCE = (
    "json-ld",
    "meta",
    "microdata",
    "news-sitemap",
    "feed",
    "time",
    "url",
    "gdelt",
    "sitemap-lastmod",
    "text",
    "htmldate",
)
TIME_SOURCES = frozenset(PRECEDENCE[:6])  # their time of day is a publication time
EARLIEST = date(1995, 1, 1)
SKEW_ZONED = timedelta(hours=1)
SKEW_UNZONED = timedelta(hours=14)
ISO_LIKE = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
SLASHED = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
URL_DATE = re.compile(
    r"(?<![0-9])((?:19|20)\d{2})([/_-])(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?![0-9])"
)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
URL_MONTH_NAME = re.compile(
    r"/((?:19|20)\d{2})/(" + "|".join(MONTHS) + r")[a-z]*/(0?[1-9]|[12]\d|3[01])(?=/)",
    re.IGNORECASE,
)
# full dates written out in languages whose formats htmldate misreads (it takes "1er avril 2025"
# for 2025-01-01); each with the dateparser language that reads it
_RU_MONTHS = "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
_FR_MONTHS = (
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre"
    "|décembre|decembre"
)
TEXT_DATES = (
    ("zh", re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")),
    ("ru", re.compile(rf"(?<!\d)\d{{1,2}}\s+(?:{_RU_MONTHS})\s+(?:19|20)\d{{2}}", re.IGNORECASE)),
    ("fr", re.compile(rf"(?<!\d)(?:1er|\d{{1,2}})\s+(?:{_FR_MONTHS})\s+(?:19|20)\d{{2}}", re.I)),
)
TEXT_DATE_CHARS = 5000  # the date line of an article is near the top of the page
URL_COMPACT = re.compile(r"[/_-]((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)")


@dataclass(frozen=True)
class DateCandidate:
    source: str
    value: datetime  # naive = zone unknown; midnight placeholder when has_time is False
    has_time: bool

    def iso(self) -> str:
        if not self.has_time:
            return self.value.strftime("%Y-%m-%d")
        if self.value.tzinfo is not None:
            return self.value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.value.strftime("%Y-%m-%dT%H:%M:%S")

    @property
    def day(self) -> date:
        return self.value.date()


def parse_date(raw: str | None) -> tuple[datetime, bool] | None:
    """A date or datetime from ISO 8601 (extended or basic), RFC 2822 or YYYY/MM/DD; else None."""
    if not raw or not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > 64:
        return None
    match = ISO_LIKE.match(text)
    if match:
        return _from_iso(match)
    match = SLASHED.match(text)
    if match:
        return _make(int(match[1]), int(match[2]), int(match[3]))
    if re.search(r"[A-Za-z]{3}", text):
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        return (value, True) if value is not None else None
    return None


def _make(year: int, month: int, day: int) -> tuple[datetime, bool] | None:
    try:
        return datetime(year, month, day), False
    except ValueError:
        return None


def _from_iso(match: re.Match[str]) -> tuple[datetime, bool] | None:
    year, month, day, hour, minute, second, zone = match.groups()
    if hour is None:
        return _make(int(year), int(month), int(day))
    text = f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}"
    if zone:
        zone = "+00:00" if zone.upper() == "Z" else zone
        if re.fullmatch(r"[+-]\d{2}", zone):
            zone += ":00"
        elif re.fullmatch(r"[+-]\d{4}", zone):
            zone = f"{zone[:3]}:{zone[3:]}"
        text += zone
    try:
        return datetime.fromisoformat(text), True
    except ValueError:
        return None


def candidate(source: str, raw: str | None) -> DateCandidate | None:
    parsed = parse_date(raw)
    if parsed is None:
        return None
    return DateCandidate(source, parsed[0], parsed[1])


def url_candidate(url: str) -> DateCandidate | None:
    """A date in the URL path (query strings are ignored)."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path.split("://", 1)[-1]
    path = path[path.find("/") :] if "/" in path else ""
    for pattern, groups in ((URL_DATE, (1, 3, 4)), (URL_COMPACT, (1, 2, 3))):
        for match in pattern.finditer(path):
            made = _make(*(int(match[g]) for g in groups))
            if made:
                return DateCandidate("url", made[0], False)
    named = URL_MONTH_NAME.search(path)
    if named:
        made = _make(int(named[1]), MONTHS.index(named[2][:3].lower()) + 1, int(named[3]))
        if made:
            return DateCandidate("url", made[0], False)
    return None


def text_candidate(text: str) -> DateCandidate | None:
    """The first full date written out in ``text`` (``TEXT_DATES``), parsed by dateparser in its
    language; None when there is none."""
    head = text[:TEXT_DATE_CHARS]
    found = [(m.start(), lang, m.group(0)) for lang, rx in TEXT_DATES for m in rx.finditer(head)]
    if not found:
        return None
    import dateparser  # ~0.3 s to import: only pages without a structured date get here

    for _, lang, span in sorted(found):
        settings = {"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"}
        value = dateparser.parse(span, languages=[lang], settings=settings)
        if value is not None:
            return DateCandidate("text", datetime(value.year, value.month, value.day), False)
    return None


def plausible(cand: DateCandidate, now: datetime) -> bool:
    """Not before 1995 and not in the future (with the skew allowances in the module doc)."""
    if cand.day < EARLIEST:
        return False
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    if cand.has_time and cand.value.tzinfo is not None:
        return cand.value <= now + SKEW_ZONED
    latest = now + SKEW_UNZONED
    if cand.has_time:
        return cand.value <= latest.replace(tzinfo=None)
    return cand.day <= latest.date()


def _rank(cand: DateCandidate) -> int:
    try:
        return PRECEDENCE.index(cand.source)
    except ValueError:  # an unknown hint source ranks after the page's own evidence
        return PRECEDENCE.index("gdelt")


def choose_date(
    candidates: list[DateCandidate], now: datetime | None = None
) -> DateCandidate | None:
    """The best plausible candidate by ``PRECEDENCE`` (stable for equal ranks), or None."""
    now = now or datetime.now(UTC)
    valid = sorted((c for c in candidates if plausible(c, now)), key=_rank)
    if not valid:
        return None
    best = valid[0]
    if not best.has_time:
        for other in valid[1:]:
            if other.has_time and other.day == best.day and other.source in TIME_SOURCES:
                return other
    return best
