"""Extraction signals: per page, tallied per site and crawl, as stored in ``health.json``.

A page is an HTML 200 response the crawl sent to extraction. Its observation is computed from
what extraction returned (no second parse): whether it held an article, the text's length and
its share of the HTML, which fields were filled, the body's digest (identical bodies across a
site's pages are walls: consent, paywall, error templates), whether the date is in the future or
before the site's first capture, and which extractor won.

Every signal is a rate ``numerator / denominator`` over a site's pages or articles, so one test
(:mod:`archive.health.drift`) fits all; text length and text-to-HTML ratio become rates against
the site's own baseline (the share of articles under half the baseline median).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

EXAMPLES = 5  # example URLs kept per signal and site
FUTURE_SLACK = timedelta(days=1)  # time zones and clock skew: a day ahead is not the future
PRIMARY_EXTRACTOR = "trafilatura"


@dataclass(frozen=True)
class Signal:
    """One rate signal: ``good`` is the direction in which the rate should stay."""

    name: str
    label: str
    denominator: str  # "pages", "articles", "on_event", "dated"
    bad: Literal["down", "up"]


SIGNALS: tuple[Signal, ...] = (
    Signal("article", "pages with an article", "pages", "down"),
    Signal("title", "title filled", "articles", "down"),
    Signal("date", "date filled", "articles", "down"),
    Signal("author", "author filled", "articles", "down"),
    Signal("language", "language detected", "on_event", "down"),
    Signal("short_text", "text under half the usual length", "articles", "up"),
    Signal("low_ratio", "text/HTML under half the usual", "articles", "up"),
    Signal("identical", "identical bodies (walls)", "articles", "up"),
    Signal("future_date", "dates in the future", "dated", "up"),
    Signal("early_date", "dates before first capture", "dated", "up"),
    Signal("fallback", "fallback extractor", "articles", "up"),
)
SIGNAL_NAMES = tuple(s.name for s in SIGNALS)
BY_NAME = {s.name: s for s in SIGNALS}
RELATIVE = {"short_text": "text_chars", "low_ratio": "ratios"}  # rates against the baseline


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 date or datetime as an aware UTC datetime (dates at midnight), or None."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = datetime.fromisoformat(value[:10])
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PageObservation:
    """What extraction said about one page (plain values; made where extraction ran)."""

    url: str
    html_bytes: int
    fetched_at: str | None = None
    article: bool = False
    text_chars: int = 0
    title: bool = False
    date: str | None = None
    author: bool = False
    on_event: bool | None = None  # None: relevance not judged
    language: bool = False  # detected (only on-event articles are run through detection)
    text_sha256: str = ""
    extractor: str = ""

    @property
    def host(self) -> str:
        return host_of(self.url)

    @property
    def ratio(self) -> float:
        return round(self.text_chars / self.html_bytes, 4) if self.html_bytes else 0.0


@dataclass
class SiteSignals:
    """One site's tally in one crawl: counts, raw lengths/ratios and example URLs."""

    pages: int = 0
    articles: int = 0
    title: int = 0
    date: int = 0
    author: int = 0
    on_event: int = 0
    language: int = 0
    identical: int = 0
    dated: int = 0
    future_date: int = 0
    early_date: int = 0
    fallback: int = 0
    first_capture: str | None = None
    text_chars: list[int] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    extractors: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)  # signal → failing URLs
    lengths: list[tuple[int, float, str]] = field(default_factory=list)  # shortest texts

    def count(self, name: str, baseline_medians: dict[str, float] | None = None) -> int:
        """The numerator of signal ``name`` (relative ones need the baseline medians)."""
        if name in RELATIVE:
            median = (baseline_medians or {}).get(name)
            if not median:
                return 0
            values = self.text_chars if name == "short_text" else self.ratios
            return sum(1 for v in values if v < median / 2)
        if name == "article":
            return self.articles
        return int(getattr(self, name))

    def total(self, name: str) -> int:
        return int(getattr(self, BY_NAME[name].denominator))

    def rate(self, name: str, baseline_medians: dict[str, float] | None = None) -> float | None:
        total = self.total(name)
        if not total or (name in RELATIVE and not (baseline_medians or {}).get(name)):
            return None
        return self.count(name, baseline_medians) / total

    def median(self, key: str) -> float | None:
        values = self.text_chars if key in ("text_chars", "short_text") else self.ratios
        return float(statistics.median(values)) if values else None

    def failing(self, name: str, baseline_medians: dict[str, float] | None = None) -> list[str]:
        """Example URLs of pages that count against ``name``."""
        if name in RELATIVE:
            median = (baseline_medians or {}).get(name)
            if not median:
                return []
            short = name == "short_text"
            return [
                url
                for chars, ratio, url in self.lengths
                if (chars if short else ratio) < median / 2
            ][:EXAMPLES]
        return self.examples.get(name, [])[:EXAMPLES]

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "lengths"}
        data["lengths"] = [list(x) for x in self.lengths]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteSignals:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["lengths"] = [tuple(x) for x in data.get("lengths", [])]
        return cls(**known)


class Tally:
    """Collects page observations per site during a crawl or a re-extraction.

    Most pages of a crawl hold no article (section pages, gated off-event pages): of those only
    the count, the earliest fetch and the longest URLs (the examples) are kept, so the tally's
    memory grows with the articles, not with the pages."""

    def __init__(self) -> None:
        self.pages: dict[str, list[PageObservation]] = {}  # pages with an article
        self.others: dict[str, NoArticle] = {}

    def add(self, page: PageObservation) -> None:
        if page.article:
            self.pages.setdefault(page.host, []).append(page)
        else:
            self.others.setdefault(page.host, NoArticle()).add(page)

    def __len__(self) -> int:
        return sum(len(v) for v in self.pages.values()) + sum(o.count for o in self.others.values())

    def merge(self, other: Tally) -> None:
        """Add ``other``'s observations (another worker's of the same crawl): the signals of the
        merged tally are those of one tally given every page (``sites`` sorts pages by URL)."""
        for host, pages in other.pages.items():
            self.pages.setdefault(host, []).extend(pages)
        for host, more in other.others.items():
            self.others.setdefault(host, NoArticle()).merge(more)

    def to_json(self) -> dict[str, Any]:
        return {
            "pages": {h: [asdict(p) for p in pages] for h, pages in sorted(self.pages.items())},
            "others": {h: o.to_json() for h, o in sorted(self.others.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tally:
        tally = cls()
        for host, pages in data.get("pages", {}).items():
            tally.pages[host] = [PageObservation(**p) for p in pages]
        for host, other in data.get("others", {}).items():
            tally.others[host] = NoArticle.from_json(other)
        return tally

    def sites(self, first_captures: dict[str, str] | None = None) -> dict[str, SiteSignals]:
        """Per-site signals; ``first_captures`` (host → ISO time) from earlier crawls."""
        hosts = sorted(set(self.pages) | set(self.others))
        return {
            host: site_signals(
                self.pages.get(host, []), (first_captures or {}).get(host), self.others.get(host)
            )
            for host in hosts
        }


@dataclass
class NoArticle:
    """A site's pages without an article, compacted: how many, the earliest fetch, and the
    ``EXAMPLES`` longest URLs (what ``site_signals`` would pick from the whole list)."""

    count: int = 0
    first: datetime | None = None
    longest: list[tuple[int, str]] = field(default_factory=list)  # (-len(url), url), sorted

    def add(self, page: PageObservation) -> None:
        self.count += 1
        fetched = parse_time(page.fetched_at)
        if fetched is not None and (self.first is None or fetched < self.first):
            self.first = fetched
        self.longest.append((-len(page.url), page.url))
        if len(self.longest) > 4 * EXAMPLES:
            self.longest.sort()
            del self.longest[EXAMPLES:]

    def merge(self, other: NoArticle) -> None:
        self.count += other.count
        if other.first is not None and (self.first is None or other.first < self.first):
            self.first = other.first
        self.longest = sorted(self.longest + other.longest)[:EXAMPLES]

    def to_json(self) -> dict[str, Any]:
        first = None if self.first is None else self.first.isoformat()
        return {"count": self.count, "first": first, "longest": [list(x) for x in self.longest]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NoArticle:
        first = None if data.get("first") is None else datetime.fromisoformat(data["first"])
        longest = [(int(n), str(url)) for n, url in data.get("longest", [])]
        return cls(int(data.get("count", 0)), first, longest)


def site_signals(
    pages: Iterable[PageObservation], first_capture: str | None, others: NoArticle | None = None
) -> SiteSignals:
    """One site's signals from its pages (``others``: more pages without an article, compacted
    by ``Tally``)."""
    pages = sorted(pages, key=lambda p: p.url)  # crawl order must not change the result
    s = SiteSignals()
    fetched = [t for t in (parse_time(p.fetched_at) for p in pages) if t is not None]
    if others is not None and others.first is not None:
        fetched.append(others.first)
    first = parse_time(first_capture)
    if fetched:
        first = min([*fetched, first] if first else fetched)
    s.first_capture = first.strftime("%Y-%m-%dT%H:%M:%SZ") if first else None
    bodies = Counter(p.text_sha256 for p in pages if p.article and p.text_sha256)
    extractors: Counter[str] = Counter()

    def fail(name: str, url: str) -> None:
        urls = s.examples.setdefault(name, [])
        if len(urls) < EXAMPLES:
            urls.append(url)

    # pages without an article, as examples: the longest paths first (article URLs are long
    # slugs; a home page or section page without an article is normal)
    without = [(-len(p.url), p.url) for p in pages if not p.article]
    if others is not None:
        s.pages += others.count
        without += others.longest
    for _, url in sorted(without)[:EXAMPLES]:
        fail("article", url)
    for p in pages:
        s.pages += 1
        if not p.article:
            continue
        s.articles += 1
        s.text_chars.append(p.text_chars)
        s.ratios.append(p.ratio)
        s.lengths.append((p.text_chars, p.ratio, p.url))
        extractors[p.extractor.split(" ")[0] or "unknown"] += 1
        for name, filled in (("title", p.title), ("date", bool(p.date)), ("author", p.author)):
            if filled:
                setattr(s, name, getattr(s, name) + 1)
            else:
                fail(name, p.url)
        if p.on_event:
            s.on_event += 1
            if p.language:
                s.language += 1
            else:
                fail("language", p.url)
        if bodies[p.text_sha256] > 1:
            s.identical += 1
            fail("identical", p.url)
        if not p.extractor.startswith(PRIMARY_EXTRACTOR):
            s.fallback += 1
            fail("fallback", p.url)
        when = parse_time(p.date)
        if when is not None:
            s.dated += 1
            captured = parse_time(p.fetched_at)
            if captured is not None and when > captured + FUTURE_SLACK:
                s.future_date += 1
                fail("future_date", p.url)
            if first is not None and when < first - _EARLY:
                s.early_date += 1
                fail("early_date", p.url)
    s.lengths.sort()
    del s.lengths[EXAMPLES * 4 :]
    s.extractors = dict(sorted(extractors.items()))
    return s


# An article dated before the site's first capture is normal for an event crawl (coverage that
# was published before the crawl started); a date years before it is a parsing error (a copyright
# year, a founding date, 1970-01-01).
_EARLY = timedelta(days=5 * 365)
