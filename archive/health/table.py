"""The health table of an event: sites x signals, each with its latest value, its baseline and
its series over the last crawls, and the alarms raised. What ``newsarc health`` prints and
``newsarc report`` draws. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.health.drift import Alarm, baseline
from archive.health.signals import SIGNALS
from archive.health.store import CrawlHealth, as_history

TREND = 0.05  # a change of the rate under this (against the baseline) is shown as steady


@dataclass
class Cell:
    latest: float | None  # the site's rate in its latest crawl (None: nothing to measure)
    baseline: float | None  # pooled over the crawls before it (None: no history yet)
    series: list[float | None] = field(default_factory=list)  # one per crawl, oldest first

    @property
    def trend(self) -> str:
        if self.latest is None or self.baseline is None:
            return ""
        diff = self.latest - self.baseline
        return "↑" if diff >= TREND else "↓" if diff <= -TREND else "="

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 4)

        return {
            "latest": r(self.latest),
            "baseline": r(self.baseline),
            "trend": self.trend,
            "series": [r(v) for v in self.series],
        }


@dataclass
class SiteRow:
    site: str
    crawl_id: str  # the site's latest crawl
    pages: int
    articles: int
    median_chars: float | None
    cells: dict[str, Cell]
    alarms: list[Alarm]  # of the site's latest crawl
    extractors: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "crawl_id": self.crawl_id,
            "pages": self.pages,
            "articles": self.articles,
            "median_chars": self.median_chars,
            "extractors": self.extractors,
            "signals": {name: cell.to_json() for name, cell in self.cells.items()},
            "alarms": [a.to_json() for a in self.alarms],
        }


@dataclass
class HealthTable:
    event: str
    crawls: list[str]  # the crawls shown, oldest first
    rows: list[SiteRow]
    alarms: list[Alarm]  # every alarm of the crawls shown, newest first
    reextracts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "crawls": self.crawls,
            "reextracts": self.reextracts,
            "signals": {s.name: s.label for s in SIGNALS},
            "sites": [row.to_json() for row in self.rows],
            "alarms": [a.to_json() for a in self.alarms],
        }


def health_table(event: str, history: list[CrawlHealth], last: int = 10) -> HealthTable:
    """The table of ``history`` (every ``health.json`` of the event, oldest first)."""
    crawls = [h for h in history if h.kind == "crawl"]
    shown = crawls[-last:]
    past = as_history(crawls)
    rows = []
    for site in sorted({host for h in shown for host in h.sites}):
        index = max(i for i, (_, sites, _) in enumerate(past) if site in sites)
        crawl_id, sites, _ = past[index]
        current = sites[site]
        base = baseline(past[:index], site)
        medians = base.medians()
        cells = {}
        for signal in SIGNALS:
            pooled = base.pooled(signal.name, medians) if base.sites else (0, 0)
            cells[signal.name] = Cell(
                current.rate(signal.name, medians),
                pooled[0] / pooled[1] if pooled[1] else None,
                [h.sites[site].rate(signal.name) if site in h.sites else None for h in shown],
            )
        alarms = [a for h in crawls if h.crawl_id == crawl_id for a in h.alarms if a.site == site]
        rows.append(
            SiteRow(
                site,
                crawl_id,
                current.pages,
                current.articles,
                current.median("text_chars"),
                cells,
                alarms,
                current.extractors,
            )
        )
    alarms = [a for h in reversed(shown) for a in h.alarms]
    reextracts = [h.crawl_id for h in history if h.kind == "reextract"]
    return HealthTable(event, [h.crawl_id for h in shown], rows, alarms, reextracts)
