"""Drift of a site's extraction signals against its own history: a one-sided Fisher exact test.

For each site and signal, the baseline pools the site's counts over its most recent earlier
crawls, back until it holds at least ``min_crawls`` crawls *and* ``min_pages`` pages (the larger
of the two windows); crawls in which the site raised an alarm are left out of the baseline, so
that a broken template does not become the new normal. The current crawl's ``x`` of ``n`` is
compared with the baseline's ``X`` of ``N`` by Fisher's exact test (the 2x2 table of the two
samples; the baseline is a sample too, so a plain binomial test against its rate would be
overconfident on small baselines), one-sided in the signal's bad direction. An alarm needs
``p < alpha`` and a change of at least ``min_change`` in the rate: significance alone would flag
a 1 % dip on a large site, size alone any dip on a tiny one.

The tail is summed exactly from the hypergeometric terms (``math.lgamma``), no SciPy needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from archive.health.signals import RELATIVE, SIGNALS, SiteSignals

ALPHA = 1e-3
MIN_CHANGE = 0.1
MIN_CRAWLS = 3
MIN_PAGES = 200
MIN_SAMPLE = 5  # fewer pages/articles than this on either side: no test


@dataclass(frozen=True)
class Alarm:
    site: str
    signal: str
    before: float  # the baseline's rate
    after: float  # this crawl's rate
    count: int  # this crawl's numerator and denominator
    total: int
    p_value: float
    crawl_id: str
    baseline: tuple[str, ...]  # the crawls pooled
    examples: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["before"], data["after"] = round(self.before, 4), round(self.after, 4)
        data["p_value"] = float(f"{self.p_value:.3g}")
        data["baseline"], data["examples"] = list(self.baseline), list(self.examples)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alarm:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["baseline"] = tuple(known.get("baseline", ()))
        known["examples"] = tuple(known.get("examples", ()))
        return cls(**known)

    def line(self) -> str:
        example = f" e.g. {self.examples[0]}" if self.examples else ""
        return (
            f"{self.site}: {self.signal} {self.before:.0%} -> {self.after:.0%} "
            f"({self.count}/{self.total}, p={self.p_value:.2g}){example}"
        )


@dataclass
class Baseline:
    crawls: list[str] = field(default_factory=list)
    sites: list[SiteSignals] = field(default_factory=list)

    def pooled(self, name: str, medians: dict[str, float]) -> tuple[int, int]:
        return (
            sum(s.count(name, medians) for s in self.sites),
            sum(s.total(name) for s in self.sites),
        )

    def medians(self) -> dict[str, float]:
        """Baseline medians of text length and text/HTML ratio (for the relative signals)."""
        out = {}
        for name, key in RELATIVE.items():
            values = sorted(v for s in self.sites for v in getattr(s, key))
            if values:
                out[name] = float(values[len(values) // 2])
        return out


def baseline(
    history: list[tuple[str, dict[str, SiteSignals], set[str]]],
    site: str,
    *,
    min_crawls: int = MIN_CRAWLS,
    min_pages: int = MIN_PAGES,
) -> Baseline:
    """The site's baseline from ``history`` (crawl id, sites, alarmed sites; oldest first)."""
    base = Baseline()
    pages = 0
    for crawl_id, sites, alarmed in reversed(history):
        signals = sites.get(site)
        if signals is None or site in alarmed or not signals.pages:
            continue
        base.crawls.append(crawl_id)
        base.sites.append(signals)
        pages += signals.pages
        if len(base.crawls) >= min_crawls and pages >= min_pages:
            break
    return base


def detect(
    crawl_id: str,
    sites: dict[str, SiteSignals],
    history: list[tuple[str, dict[str, SiteSignals], set[str]]],
    *,
    alpha: float = ALPHA,
    min_change: float = MIN_CHANGE,
    min_crawls: int = MIN_CRAWLS,
    min_pages: int = MIN_PAGES,
) -> list[Alarm]:
    """Alarms of this crawl's ``sites`` against their history (sorted by site, signal)."""
    alarms = []
    for site, current in sorted(sites.items()):
        base = baseline(history, site, min_crawls=min_crawls, min_pages=min_pages)
        if not base.sites:
            continue
        medians = base.medians()
        for signal in SIGNALS:
            x, n = current.count(signal.name, medians), current.total(signal.name)
            big_x, big_n = base.pooled(signal.name, medians)
            if n < MIN_SAMPLE or big_n < MIN_SAMPLE:
                continue
            if signal.name in RELATIVE and signal.name not in medians:
                continue
            before, after = big_x / big_n, x / n
            change = after - before if signal.bad == "up" else before - after
            if change < min_change:
                continue
            p = fisher_tail(x, n, big_x, big_n, signal.bad)
            if p < alpha:
                alarms.append(
                    Alarm(
                        site,
                        signal.name,
                        before,
                        after,
                        x,
                        n,
                        p,
                        crawl_id,
                        tuple(base.crawls),
                        tuple(current.failing(signal.name, medians)),
                    )
                )
    return alarms


def fisher_tail(x: int, n: int, big_x: int, big_n: int, bad: str) -> float:
    """One-sided Fisher exact p-value that this sample's ``x/n`` is this low ("down") or this
    high ("up") when both samples share one rate (hypergeometric tail, given ``x + X``)."""
    total, successes = n + big_n, x + big_x
    low, high = max(0, successes - big_n), min(n, successes)
    ks = range(low, x + 1) if bad == "down" else range(x, high + 1)
    logs = [_log_hypergeom(k, n, successes, total) for k in ks]
    if not logs:
        return 1.0
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


def _log_hypergeom(k: int, draws: int, successes: int, total: int) -> float:
    return (
        _log_comb(successes, k) + _log_comb(total - successes, draws - k) - _log_comb(total, draws)
    )


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
