"""``newsarc check``: validate event files without fetching anything, and print the crawl each
one describes (its plan) or every problem it has.

``plan(event)`` is what a crawl of the file would do, as plain values (the ``--json`` "plan");
``advice(event, text, today)`` the warnings: things that are valid but probably not meant (a
placeholder contact in the User-Agent, robots.txt ignored, a GDELT query for a window GDELT no
longer covers, a seed outside ``allowed_domains``, a schedule already over). Both are pure.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from archive.errors import EventFileError, EventFileProblem, ExitCode
from crawler.cli.help import command
from crawler.event.fields import contact
from crawler.event.spec import DEFAULT_GDELT_ENDPOINT, EventSpec, load_event
from crawler.event.tomllines import Path as KeyPath
from crawler.event.tomllines import dotted, key_lines, line_of

FIRST_FEW = 3  # URLs of each kind shown in the text plan (--json lists them all)
GDELT_REACH_DAYS = 90  # GDELT's DOC API searches a rolling window of about three months
# RFC 2606 / 6761 names that never reach anyone, and the placeholders people leave in
_PLACEHOLDER_HOST = re.compile(r"(^|\.)(example(\.(com|org|net))?|test|invalid|localhost)$")
_PLACEHOLDER_USER = re.compile(r"^(change-?me|you|your[-_.]?\w*|someone|user|name)$", re.I)


@command(name="check")
@click.argument(
    "event_files", nargs=-1, required=True, metavar="EVENT_FILE...", type=click.Path(dir_okay=False)
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per file: valid, problems, warnings, plan.",
)
def check(event_files: tuple[str, ...], as_json: bool) -> None:
    """Check EVENT_FILEs without fetching anything. A valid file prints the crawl it describes:
    window, languages, match terms, sources by kind, scope, limits, politeness, recrawl, schedule
    and cluster; warnings (valid, but probably not meant) go to stderr. A file with problems
    prints all of them, each as FILE:LINE: FIELD: MESSAGE. Exit 0 when every file is valid
    (warnings or not), 2 when one is not.

    \b
    Examples:
        newsarc check events/wang-yi-moscow-2025.toml
        newsarc check events/*.toml --json
    """
    code = ExitCode.OK
    today = datetime.now(UTC).date()
    for i, path in enumerate(event_files):
        try:
            event = load_event(path)
        except EventFileError as exc:
            code = ExitCode.INPUT
            if as_json:
                click.echo(json.dumps(result(path, exc.problems, (), None), sort_keys=True))
            else:
                click.echo(f"error: {exc}", err=True)
            continue
        text = Path(path).read_text(encoding="utf-8").removeprefix("\ufeff")
        warnings = advice(event, text, today)
        if as_json:
            click.echo(json.dumps(result(path, (), warnings, plan(event)), sort_keys=True))
            continue
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
        if i:
            click.echo()
        click.echo(render(event, len(warnings)))
    sys.exit(code)


def result(
    path: str,
    problems: Sequence[EventFileProblem],
    warnings: Sequence[EventFileProblem],
    the_plan: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "file": path,
        "valid": not problems,
        "problems": [p.as_json() for p in problems],
        "warnings": [w.as_json() for w in warnings],
        "plan": the_plan,
    }


# -- the plan ----------------------------------------------------------------------------------


def plan(event: EventSpec) -> dict[str, Any]:
    """What a crawl of ``event`` would do, as JSON-ready values."""
    from archive.state.schedule import policy_for
    from crawler.discovery.gdelt import gdelt_query_url

    src, lim, pol = event.sources, event.limits, event.politeness
    first, last = event.window()
    gdelt = None
    if src.gdelt:
        url = gdelt_query_url(
            src.gdelt, first, last, endpoint=src.gdelt_endpoint, languages=event.languages
        )
        gdelt = {"query": src.gdelt, "url": url, "endpoint": src.gdelt_endpoint}
    recrawl = policy_for(event.recrawl)
    schedule = None
    if event.schedule is not None:
        schedule = dataclasses.asdict(event.schedule)
        schedule["until"] = event.schedule.until.isoformat() if event.schedule.until else None
    return {
        "name": event.name,
        "slug": event.slug,
        "description": event.description,
        "window": {
            "start": event.start.isoformat(),
            "end": event.end.isoformat(),
            "days": (event.end - event.start).days + 1,
            "timezone": event.timezone,
            "slack_days": src.window_slack_days,
            "dated_from": first.isoformat(),
            "dated_until": last.isoformat(),
            "undated": "fetched",
        },
        "languages": list(event.languages),
        "match": {
            "all": [list(g) for g in event.match.all],
            "any": list(event.match.any),
            "none": list(event.match.none),
        },
        "sources": {
            "seeds": list(src.seeds),
            "feeds": list(src.feeds),
            "sitemaps": list(src.sitemaps),
            "robots_sitemaps": pol.obey_robots,
            "gdelt": gdelt,
        },
        "scope": {
            "allowed_domains": list(src.allowed_domains),
            "follow_links": src.follow_links,
            "max_depth": src.max_depth,
        },
        "limits": dataclasses.asdict(lim),
        "politeness": {
            "user_agent": pol.user_agent,
            "contact": contact(pol.user_agent),
            "obey_robots": pol.obey_robots,
        },
        "network": {
            "proxy": event.network.proxy,
            "no_proxy": None if event.network.no_proxy is None else list(event.network.no_proxy),
        },
        "recrawl": {
            **{kind: bounds.first for kind, bounds in recrawl.sources.items()},
            "tail_days": recrawl.tail_days,
        },
        "schedule": schedule,
        "cluster": {"redis": event.cluster.redis} if event.cluster.redis else None,
    }


def render(event: EventSpec, warnings: int) -> str:
    """The plan as aligned text, one topic per block."""
    p = plan(event)
    w, src, lim = p["window"], p["sources"], event.limits
    rows: list[tuple[str, str]] = []

    def add(topic: str, *lines: str) -> None:
        rows.extend((topic if i == 0 else "", line) for i, line in enumerate(lines))

    status = "valid" + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else "")
    add("file", f"{event.path}: {status}")
    add("event", f"{event.name} [{event.slug}]")
    add(
        "window",
        f"{w['start']} to {w['end']} ({w['days']} days, {w['timezone']})",
        f"dated entries and articles: {w['dated_from']} to {w['dated_until']} "
        f"(window_slack_days = {w['slack_days']}); undated ones are fetched",
    )
    add("languages", ", ".join(p["languages"]))
    groups = " and ".join("(" + " | ".join(g) + ")" for g in p["match"]["all"])
    add(
        "match",
        f"all:  {groups}",
        f"any:  {', '.join(p['match']['any']) or '-'}",
        f"none: {', '.join(p['match']['none']) or '-'}",
    )
    lines = [_listed(len(src[kind]), kind, src[kind]) for kind in ("seeds", "feeds", "sitemaps")]
    if src["robots_sitemaps"]:
        lines.append("  + sitemaps named in the robots.txt of allowed hosts")
    if src["gdelt"]:
        lines.append(f"GDELT: {src['gdelt']['query']} ({w['dated_from']} to {w['dated_until']})")
        lines.append(f"  {src['gdelt']['url']}")
    add("sources", *lines)
    domains = event.sources.allowed_domains
    follow = (
        f"follows links up to {event.sources.max_depth} hops from a source"
        if event.sources.follow_links and event.sources.max_depth
        else "follows no links: fetches only what the sources list"
    )
    add(
        "scope",
        _listed(len(domains), "allowed domains", domains) if domains else "every host",
        follow,
    )
    per_host = f"{lim.max_pages_per_host:,} per host" if lim.max_pages_per_host else "no per-host"
    add(
        "limits",
        f"{lim.max_pages:,} pages ({per_host} limit), pages up to {lim.max_page_bytes:,} bytes",
        f"{lim.per_host_concurrency} requests at a time per host, {lim.download_delay:g} s "
        f"between them (robots.txt Crawl-delay up to {lim.max_crawl_delay:g} s)",
        f"timeout {lim.download_timeout:g} s, {lim.max_redirects} redirects, "
        f"URLs up to {lim.max_url_length:,} characters",
    )
    pol = p["politeness"]
    add(
        "politeness",
        f"User-Agent: {pol['user_agent']}",
        f"contact: {pol['contact']}",
        "robots.txt: " + ("obeyed" if pol["obey_robots"] else "IGNORED"),
    )
    net = event.network
    proxy = {None: "from the environment", "none": "none"}.get(net.proxy, net.proxy or "")
    bypass = "" if net.no_proxy is None else f"; direct: {', '.join(net.no_proxy) or 'none'}"
    add("network", f"proxy: {proxy}{bypass}")
    recrawl = p["recrawl"]
    kinds = ("feed", "sitemap", "seed", "page", "search")
    intervals = ", ".join(f"{kind} {_duration(recrawl[kind])}" for kind in kinds)
    add(
        "recrawl",
        f"first intervals: {intervals}",
        f"articles re-checked until {recrawl['tail_days']} days after the window",
    )
    if event.schedule is None:
        add("schedule", "none (newsarc schedule needs a [schedule] table)")
    else:
        s = event.schedule
        when = f"every {_duration(s.every)}" if s.every else f"cron {s.cron} (UTC)"
        until = f", until {s.until.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if s.until else ""
        jitter = f", jitter up to {_duration(s.jitter)}" if s.jitter else ""
        add("schedule", f"{when}{until}{jitter}")
    add("cluster", f"redis: {event.cluster.redis}" if event.cluster.redis else "none (embedded)")
    width = max(len(topic) for topic, _ in rows)
    return "\n".join(f"{topic.ljust(width)}  {line}".rstrip() for topic, line in rows)


def _listed(count: int, kind: str, items: Sequence[str]) -> str:
    name = kind if count != 1 else kind.removesuffix("s")
    shown = ", ".join(items[:FIRST_FEW])
    more = f" (+{count - FIRST_FEW} more)" if count > FIRST_FEW else ""
    return f"{count} {name}" + (f": {shown}{more}" if count else "")


def _duration(seconds: float) -> str:
    out = ""
    rest = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out or f"{seconds:g}s"


# -- warnings ----------------------------------------------------------------------------------


def advice(event: EventSpec, text: str, today: date) -> list[EventFileProblem]:
    """Warnings about a valid event (``text`` is its file, for line numbers), in line order."""
    lines = key_lines(text)
    out: list[EventFileProblem] = []

    def warn(where: KeyPath, message: str) -> None:
        out.append(EventFileProblem(event.path, message, line_of(lines, where), dotted(where)))

    pol, src = event.politeness, event.sources
    reach = contact(pol.user_agent) or ""
    parts = urlsplit(reach.replace("mailto:", "mailto://", 1))
    user = parts.username or ""
    if _PLACEHOLDER_HOST.search(parts.hostname or "") or _PLACEHOLDER_USER.match(user):
        warn(
            ("politeness", "user_agent"),
            f"the contact {reach} looks like a placeholder: put your own before crawling, "
            "so site owners can reach you",
        )
    if not pol.obey_robots:
        warn(("politeness", "obey_robots"), "robots.txt is ignored: only with the sites' consent")
    if (
        src.gdelt
        and src.gdelt_endpoint == DEFAULT_GDELT_ENDPOINT
        and (today - event.window()[1]).days > GDELT_REACH_DAYS
    ):
        warn(
            ("sources", "gdelt"),
            f"the window ended {(today - event.end).days} days ago; GDELT's DOC API searches "
            f"only about the last {GDELT_REACH_DAYS} days, so the query will likely find nothing",
        )
    for i, url in enumerate(src.seeds if src.allowed_domains else ()):
        host = (urlsplit(url).hostname or "").lower()
        if not any(host == d or host.endswith("." + d) for d in src.allowed_domains):
            warn(
                ("sources", "seeds", i),
                f"{host} is not in allowed_domains: the seed is fetched, "
                f"but no link to {host} is followed",
            )
    until = event.schedule.until if event.schedule is not None else None
    if until is not None and until.date() < today:
        warn(("schedule", "until"), "is past: newsarc schedule will start no crawl")
    return sorted(out, key=lambda p: p.line or 0)
