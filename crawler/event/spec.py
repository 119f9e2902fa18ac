"""The event file: ``events/<slug>.toml`` → ``EventSpec``. No Scrapy here.

``load_event(path)`` / ``parse_event(text, path)`` return a frozen ``EventSpec`` or raise one
``EventFileError`` listing every problem of the file, each naming the file, the line and the
field, e.g. ``events/x.toml:7: limits.max_pages: expected a positive integer, got "ten"`` (a
TOML syntax error is reported alone: nothing after it can be read).
The format is documented field by field in docs/event-file.md; value checks
live in ``crawler.event.fields``, matching in ``pipelines.relevance.matching``, line lookup in
``crawler.event.tomllines``.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit

from archive.errors import EventFileError, EventFileProblem
from crawler.event import fields as F
from crawler.event.tomllines import Path, dotted, key_lines, line_of, syntax_error
from pipelines.relevance.matching import MatchSpec, normalize

__all__ = [
    "DEFAULT_GDELT_ENDPOINT",
    "EventSpec",
    "LimitsSpec",
    "MatchSpec",
    "PolitenessSpec",
    "SourcesSpec",
    "load_event",
    "parse_event",
]

DEFAULT_GDELT_ENDPOINT = "https://api.gdeltproject.org/api/v2/doc/doc"


@dataclass(frozen=True, kw_only=True)
class SourcesSpec:
    """Where discovery starts (``[sources]``)."""

    seeds: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    gdelt: str | None = None
    gdelt_endpoint: str = DEFAULT_GDELT_ENDPOINT
    follow_links: bool = True
    max_depth: int = 2
    allowed_domains: tuple[str, ...] = ()
    window_slack_days: int = 1


@dataclass(frozen=True, kw_only=True)
class LimitsSpec:
    """How much and how fast (``[limits]``); sizes in bytes, times in seconds."""

    max_pages: int = 5000
    max_page_bytes: int = 10_000_000
    per_host_concurrency: int = 2
    download_delay: float = 1.0
    max_pages_per_host: int | None = None
    max_redirects: int = 5
    max_url_length: int = 2000
    download_timeout: float = 30.0
    max_crawl_delay: float = 30.0


@dataclass(frozen=True, kw_only=True)
class PolitenessSpec:
    """How the crawler presents itself (``[politeness]``)."""

    user_agent: str
    obey_robots: bool = True


@dataclass(frozen=True, kw_only=True)
class NetworkSpec:
    """How requests leave this machine (``[network]``): a forward proxy, and hosts that bypass it.

    ``proxy`` None means the environment's ``http_proxy``/``https_proxy`` (if any); "none" means
    no proxy whatever the environment says.
    """

    proxy: str | None = None
    no_proxy: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class ClusterSpec:
    """Where the event's distributed crawl is coordinated (``[cluster]``): a Redis URL without
    a password (``--redis`` and ``NEWSARC_REDIS_URL`` win over it). None: an embedded crawl."""

    redis: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecrawlSpec:
    """How often a recurring crawl re-fetches each kind of URL (``[recrawl]``), in seconds:
    the first interval of each source kind (it then adapts), and how many days after the event
    window articles are still checked for revisions. None: the built-in default."""

    feed: float | None = None
    sitemap: float | None = None
    seed: float | None = None
    page: float | None = None
    search: float | None = None
    tail_days: int | None = None


@dataclass(frozen=True, kw_only=True)
class ScheduleSpec:
    """When ``newsarc schedule`` crawls the event again (``[schedule]``): ``every`` seconds or on
    a ``cron`` expression (exactly one), until ``until`` (if set), each start delayed by up to
    ``jitter`` seconds (spreads the load of many events)."""

    every: float | None = None
    cron: str | None = None
    until: datetime | None = None
    jitter: float = 0.0


@dataclass(frozen=True, kw_only=True)
class EventSpec:
    """One event: its coverage window, what is relevant, where to look, and the crawl's limits."""

    name: str
    slug: str
    start: date
    end: date
    languages: tuple[str, ...]
    description: str = ""
    match: MatchSpec
    sources: SourcesSpec
    limits: LimitsSpec = field(default_factory=LimitsSpec)
    politeness: PolitenessSpec
    network: NetworkSpec = field(default_factory=NetworkSpec)
    cluster: ClusterSpec = field(default_factory=ClusterSpec)
    schedule: ScheduleSpec | None = None
    recrawl: RecrawlSpec = field(default_factory=RecrawlSpec)
    timezone: str = "UTC"
    path: str = "<string>"

    @property
    def tzinfo(self) -> tzinfo:
        """The event's time zone: naive datetimes are read in it, aware ones converted to it."""
        return F.zone(self.timezone)

    def window(self, *, slack_days: int | None = None) -> tuple[date, date]:
        """First and last day (inclusive), widened by ``slack_days``.

        ``slack_days=None`` uses ``sources.window_slack_days``.
        """
        slack = timedelta(days=self.sources.window_slack_days if slack_days is None else slack_days)
        return self.start - slack, self.end + slack

    def in_window(self, d: date | datetime | None, *, slack_days: int | None = None) -> bool:
        """Whether ``d`` falls in [start, end] widened by the slack; undated (None) is always in.

        ``slack_days=None`` uses ``sources.window_slack_days``; pass 0 for the strict window.
        """
        if d is None:
            return True
        if isinstance(d, datetime):
            d = (d.astimezone(self.tzinfo) if d.tzinfo is not None else d).date()
        first, last = self.window(slack_days=slack_days)
        return first <= d <= last


Check = Callable[[Any], Any]
# table -> (required?, {key: (check, required?)}); absent optional keys take the dataclass defaults.
_LAYOUT: dict[str, tuple[bool, dict[str, tuple[Check, bool]]]] = {
    "event": (
        True,
        {
            "name": (F.text, True),
            "slug": (F.slug, True),
            "start": (F.a_date, True),
            "end": (F.a_date, True),
            "languages": (F.languages, True),
            "description": (F.any_text, False),
            "timezone": (F.timezone_name, False),
        },
    ),
    "match": (True, {"all": (F.groups, True), "any": (F.terms, False), "none": (F.terms, False)}),
    "sources": (
        True,
        {
            "seeds": (F.urls, False),
            "feeds": (F.urls, False),
            "sitemaps": (F.urls, False),
            "gdelt": (F.text, False),
            "gdelt_endpoint": (F.url, False),
            "follow_links": (F.boolean, False),
            "max_depth": (F.non_negative_int, False),
            "allowed_domains": (F.domains, False),
            "window_slack_days": (F.non_negative_int, False),
        },
    ),
    "limits": (
        False,
        {
            "max_pages": (F.positive_int, False),
            "max_page_bytes": (F.positive_int, False),
            "per_host_concurrency": (F.positive_int, False),
            "download_delay": (F.non_negative_number, False),
            "max_pages_per_host": (F.positive_int, False),
            "max_redirects": (F.non_negative_int, False),
            "max_url_length": (F.positive_int, False),
            "download_timeout": (F.positive_number, False),
            "max_crawl_delay": (F.non_negative_number, False),
        },
    ),
    "politeness": (True, {"user_agent": (F.user_agent, True), "obey_robots": (F.boolean, False)}),
    "network": (False, {"proxy": (F.proxy_url, False), "no_proxy": (F.no_proxy_hosts, False)}),
    "cluster": (False, {"redis": (F.redis_url, False)}),
    "recrawl": (
        False,
        {
            **{kind: (F.duration, False) for kind in ("feed", "sitemap", "seed", "page", "search")},
            "tail_days": (F.non_negative_int, False),
        },
    ),
    "schedule": (
        False,
        {
            "every": (F.duration, False),
            "cron": (F.cron, False),
            "until": (F.moment, False),
            "jitter": (F.duration, False),
        },
    ),
}


class _Reader:
    """Checks one parsed document against ``_LAYOUT``, collecting every problem with its line.

    One mistake gives one problem: what an earlier problem already explains is not reported
    again (a key typo'd or written in the wrong table is not also "missing"; a table written as
    ``[[t]]`` or moved into another table is not also a "missing table"; a rule across fields is
    checked only when the fields it reads passed their own checks).
    """

    def __init__(self, path: str, text: str, doc: dict[str, Any]) -> None:
        self.path = path
        self.doc = doc
        self.lines = key_lines(text)
        self.problems: list[EventFileProblem] = []
        self.explained: set[Path] = set()  # tables and keys an earlier problem accounts for
        self.failed: set[Path] = set()  # keys whose value failed its check

    def problem(self, where: Path, message: str) -> None:
        line = line_of(self.lines, where)
        self.problems.append(EventFileProblem(self.path, message, line, dotted(where) or None))

    def suggest(self, name: str, choices: list[str], table: Path) -> str:
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        if not close:
            return ""
        self.explained.add((*table, close[0]))
        return f"; did you mean '{close[0]}'?"

    def home(self, key: str) -> str:
        """``; it belongs in [t]`` when ``key`` is a key of another table ``t``."""
        for table, (_, keys) in _LAYOUT.items():
            if key in keys:
                self.explained |= {(table,), (table, key)}  # not also "missing table [t]"
                return f"; it belongs in [{table}]"
        return ""

    def check_names(self) -> None:
        """Unknown, misplaced or missing tables and keys."""
        for name, value in self.doc.items():
            if name not in _LAYOUT:
                hint = self.home(name) or self.suggest(name, list(_LAYOUT), ())
                self.problem((name,), f"unknown table or key{hint}")
                continue
            if not isinstance(value, dict):
                self.explained.add((name,))
                if isinstance(value, list):
                    self.problem((name,), f"write [{name}] (one table), not [[{name}]]")
                else:
                    self.problem((name,), f"expected a table [{name}], got {F.show(value)}")
                continue
            keys = _LAYOUT[name][1]
            for key in value:
                if key in _LAYOUT:
                    self.explained.add((key,))
                    hint = f"; [{key}] is a table: move it above the [{name}] header"
                    self.problem((name, key), f"unknown key{hint}")
                elif key not in keys:
                    hint = self.suggest(key, list(keys), (name,)) or self.home(key)
                    self.problem((name, key), f"unknown key{hint}")
        for name, (required, _) in _LAYOUT.items():
            if required and name not in self.doc and (name,) not in self.explained:
                self.problem((name,), f"missing table [{name}]")

    def table(self, name: str) -> dict[str, Any]:
        """The table's keys that passed their checks (an absent or unusable table: none)."""
        raw = self.doc.get(name, {})
        if not isinstance(raw, dict):
            return {}  # reported by check_names
        keys = _LAYOUT[name][1]
        out: dict[str, Any] = {}
        for key, (check, required) in keys.items():
            if key not in raw:
                if required and name in self.doc and (name, key) not in self.explained:
                    self.problem((name, key), f"missing (required in [{name}])")
                continue
            try:
                out[key] = check(raw[key])
            except F.Bad as bad:
                self.failed.add((name, key))
                for one in bad.each():
                    self.problem((name, key, *one.at), one.message)
        return out

    def unsure(self, table: str, keys: tuple[str, ...]) -> bool:
        """Whether a problem already touches one of these keys (a rule about them may mislead)."""
        return any((table, k) in self.failed or (table, k) in self.explained for k in keys)

    def spec(self) -> EventSpec:
        self.check_names()
        tables = {name: self.table(name) for name in _LAYOUT}
        event, match, sources = tables["event"], tables["match"], tables["sources"]
        if "start" in event and "end" in event and event["end"] < event["start"]:
            message = f"end {event['end']} is before start {event['start']}"
            self.problem(("event", "end"), message)
        self.check_match(match)
        self.check_sources(sources)
        schedule = self.schedule(tables["schedule"])
        if self.problems:
            # in line order; on one line, in the order found (sorted() is stable)
            problems = sorted(self.problems, key=lambda p: p.line or 0)
            raise EventFileError(self.path, problems=problems)
        return EventSpec(
            **event,
            match=MatchSpec(**match),
            sources=SourcesSpec(**sources),
            limits=LimitsSpec(**tables["limits"]),
            politeness=PolitenessSpec(**tables["politeness"]),
            network=NetworkSpec(**tables["network"]),
            cluster=ClusterSpec(**tables["cluster"]),
            schedule=schedule,
            recrawl=RecrawlSpec(**tables["recrawl"]),
            path=self.path,
        )

    def schedule(self, values: dict[str, Any]) -> ScheduleSpec | None:
        if not isinstance(self.doc.get("schedule"), dict):
            return None
        if ("every" in values) == ("cron" in values) and not self.unsure(
            "schedule", ("every", "cron")
        ):
            self.problem(("schedule",), "needs exactly one of every or cron")
        return ScheduleSpec(**values)

    def check_match(self, match: dict[str, Any]) -> None:
        required = {normalize(t) for group in match.get("all", ()) for t in group}
        for i, term in enumerate(match.get("none", ())):
            if normalize(term) in required:
                self.problem(("match", "none", i), f"{F.show(term)} is also an `all` term")

    def check_sources(self, sources: dict[str, Any]) -> None:
        listed = [u for key in ("seeds", "feeds", "sitemaps") for u in sources.get(key, ())]
        kinds = ("seeds", "feeds", "sitemaps", "gdelt")
        present = isinstance(self.doc.get("sources"), dict)
        if present and not listed and "gdelt" not in sources and not self.unsure("sources", kinds):
            self.problem(("sources",), "needs at least one of seeds, feeds, sitemaps or gdelt")
        if "allowed_domains" not in sources:
            hosts = (urlsplit(u).hostname or "" for u in listed)
            domains = (h.removeprefix("www.") for h in hosts if h)
            sources["allowed_domains"] = tuple(dict.fromkeys(domains))


def parse_event(text: str, path: str = "<string>") -> EventSpec:
    """Parse and check an event file's text; ``path`` is used in error messages and ``.path``."""
    text = text.removeprefix("\ufeff")
    try:
        doc = tomllib.loads(text)
    except RecursionError:
        raise EventFileError(path, "TOML syntax error: values nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        line, message, where = syntax_error(text, str(exc))
        message = f"TOML syntax error: {message}"
        raise EventFileError(path, message, line=line, field=where) from None
    return _Reader(path, text, doc).spec()


def load_event(path: str | os.PathLike[str]) -> EventSpec:
    """Read ``path`` (UTF-8 TOML) and return its ``EventSpec``; else raise ``EventFileError``."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise EventFileError(name, f"cannot read the event file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EventFileError(name, "not valid UTF-8 (TOML files are UTF-8)", line=line) from None
    return parse_event(text, name)
