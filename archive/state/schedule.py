"""When a URL is due again: adaptive re-fetch intervals (pure, no Scrapy).

Sources (seeds, feeds, sitemaps, search answers, listing pages) start at a default interval per
kind; each fetch that finds them unchanged (304, an identical payload) stretches the interval by
``grow`` up to a cap, each change shrinks it by ``shrink`` down to a floor — the scheme of
adaptive web schedulers (Heritrix's WaitEvaluator, news-crawl's adaptive fetch schedule).

Articles are re-checked for revisions on a decaying schedule after publication (their first
fetch when the page gives no date): every 15 minutes while under 3 hours old, hourly under a
day, every 3 hours under a week, then daily, until the event window plus ``tail_days`` has
ended; after that they are not fetched again (``None``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from archive.state import UrlState

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0

SOURCE_KINDS = ("seed", "feed", "sitemap", "search", "page")


@dataclass(frozen=True)
class Bounds:
    first: float
    floor: float
    cap: float


@dataclass(frozen=True)
class RefetchPolicy:
    sources: dict[str, Bounds] = field(
        default_factory=lambda: {
            "feed": Bounds(30 * MINUTE, 5 * MINUTE, 6 * HOUR),
            "sitemap": Bounds(HOUR, 10 * MINUTE, DAY),
            "seed": Bounds(HOUR, 10 * MINUTE, DAY),
            "search": Bounds(HOUR, 15 * MINUTE, DAY),
            "page": Bounds(HOUR, 10 * MINUTE, DAY),
        }
    )
    other: float = 7 * DAY  # robots-less odds and ends: images, PDFs, error pages
    grow: float = 1.5
    shrink: float = 0.5
    # (age under, interval) for articles, then ``article_after`` until the window's tail ends
    article_ages: tuple[tuple[float, float], ...] = (
        (3 * HOUR, 15 * MINUTE),
        (DAY, HOUR),
        (7 * DAY, 3 * HOUR),
    )
    article_after: float = DAY
    tail_days: int = 7


def policy_for(recrawl: object | None) -> RefetchPolicy:
    """The default policy with an event's ``[recrawl]`` values (first intervals, tail days)."""
    policy = RefetchPolicy()
    if recrawl is None:
        return policy
    sources = dict(policy.sources)
    for kind, bounds in policy.sources.items():
        first = getattr(recrawl, kind, None)
        if first:
            sources[kind] = Bounds(first, min(bounds.floor, first), max(bounds.cap, first))
    tail = getattr(recrawl, "tail_days", None)
    return RefetchPolicy(sources=sources, tail_days=policy.tail_days if tail is None else int(tail))


def next_interval(
    policy: RefetchPolicy,
    kind: str,
    previous: float,
    *,
    changed: bool,
    now: datetime,
    published: datetime | None = None,
    window_end: date | None = None,
) -> float | None:
    """Seconds until the URL is due again, or None when it need not be fetched again."""
    if kind == "article":
        return _article_interval(policy, now, published, window_end)
    bounds = policy.sources.get(kind)
    if bounds is None:
        return policy.other
    if previous <= 0:
        return bounds.first
    step = policy.shrink if changed else policy.grow
    return min(bounds.cap, max(bounds.floor, previous * step))


def _article_interval(
    policy: RefetchPolicy, now: datetime, published: datetime | None, window_end: date | None
) -> float | None:
    if window_end is not None:
        tail = datetime.combine(window_end, datetime.min.time(), now.tzinfo)
        if now >= tail + timedelta(days=1 + policy.tail_days):
            return None
    age = (now - published).total_seconds() if published is not None else 0.0
    for under, interval in policy.article_ages:
        if age < under:
            return interval
    return policy.article_after


def reschedule(
    known: UrlState,
    *,
    changed: bool,
    now: float,
    policy: RefetchPolicy,
    window_end: date | None = None,
) -> None:
    """Set ``known``'s interval and next due time after a fetch at ``now`` (epoch seconds);
    ``next_due`` is infinite when it need not be fetched again."""
    published = _when(known.published) or _when(known.first_fetch)
    interval = next_interval(
        policy,
        known.kind,
        known.interval,
        changed=changed,
        now=datetime.fromtimestamp(now, UTC),
        published=published,
        window_end=window_end,
    )
    known.interval = interval if interval is not None else 0.0
    known.next_due = now + interval if interval is not None else float("inf")


def _when(value: str | None) -> datetime | None:
    """An ISO 8601 date or time as an aware datetime (UTC when no zone is given)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
