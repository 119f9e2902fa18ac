"""Running one crawl for the CLI: option parsing, the summary report, the exit code."""

from __future__ import annotations

import ipaddress
import json
import re
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from archive.errors import ExitCode
from archive.storage.lock import event_lock


def proxy_options(proxy: str | None, no_proxy: str | None) -> dict[str, str]:
    """``--proxy``/``--no-proxy`` as settings; a malformed proxy URL is a usage error (exit 2)."""
    from crawler.capture.proxy import parse_proxy

    values = {}
    if proxy is not None:
        if proxy.strip().lower() != "none":
            try:
                parse_proxy(proxy)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--proxy") from None
        values["NEWSARC_PROXY"] = proxy
    if no_proxy is not None:
        values["NEWSARC_NO_PROXY"] = no_proxy
    return values


CONNECT_TO_FORMS = "HOST=IP:PORT or curl's HOST:PORT:IP:PORT, where HOST may be *.SUFFIX"


def connect_to_option(values: tuple[str, ...]) -> dict[str, str]:
    """``--connect-to`` values as ``{host or host:port or *.suffix: "IP:PORT"}``.

    Accepted: ``globe.test=127.0.0.1:8808``; curl's ``globe.test:80:127.0.0.1:8808`` (the
    port may be left out on either side: ``globe.test::127.0.0.1:8808``, or
    ``globe.test:80:127.0.0.1:`` for the same port); ``*.test`` in place of a host. Anything
    else (a host name as the target, curl's empty "any host") is refused with a clear error.
    """
    out = {}
    for value in values:
        try:
            key, target = _connect_to(value.strip())
        except ValueError as exc:
            raise click.BadParameter(
                f"{exc} in {value!r}; expected {CONNECT_TO_FORMS}", param_hint="--connect-to"
            ) from None
        out[key] = target
    return out


def _connect_to(value: str) -> tuple[str, str]:
    if "=" in value:
        host, _, target = value.partition("=")
        ip, sep, port = target.rpartition(":")
        if not sep:
            raise ValueError("no :PORT after the address")
        host_port = ""
    else:
        # curl: HOST1:PORT1:HOST2:PORT2, HOST2 possibly an [IPv6] literal
        match = re.fullmatch(r"([^:\[\]]*):(\d*):(\[[0-9A-Fa-f:.]+\]|[^:]*):(\d*)", value)
        if match is None:
            raise ValueError("not a HOST=IP:PORT or HOST:PORT:IP:PORT mapping")
        host, host_port, ip, port = match.groups()
        port = port or host_port
        if not port:
            raise ValueError("no port to connect to")
    if not host:
        raise ValueError("no host (curl's 'any host' is not supported: name it, or *.SUFFIX)")
    if "*" in host and not re.fullmatch(r"\*(\.[^.*]+)+", host):
        raise ValueError(f"{host!r} is not a pattern of the form *.SUFFIX")
    ip = ip.strip("[]")
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise ValueError(f"{ip!r} is not an IP address") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{port!r} is not a port")
    address = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
    return (f"{host.lower()}:{host_port}" if host_port else host.lower()), address


def progress_mode(verbose: int, as_json: bool) -> str:
    """The live line on a terminal; a log line every NEWSARC_LOG_INTERVAL elsewhere (cron,
    systemd, nohup); nothing with -v (Scrapy logs its own stats) or on a terminal with --json."""
    if verbose:
        return ""
    if sys.stderr.isatty():
        return "" if as_json else "line"
    return "log"


_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
}


def parse_size(value: str) -> int:
    """``1GB``, ``500MB``, ``64MiB`` or a number of bytes."""
    text = value.strip().upper().replace(" ", "")
    number = text.rstrip("KMGIB")
    unit = text[len(number) :]
    try:
        size = int(float(number) * _UNITS[unit])
    except (KeyError, ValueError):
        raise click.BadParameter(f"expected a size like 1GB or 500MB, got {value!r}") from None
    if size < 1_000:
        raise click.BadParameter(f"a WARC size under 1 kB makes no sense: {value!r}")
    return size


def settings_option(values: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for value in values:
        name, sep, raw = value.partition("=")
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"expected NAME=VALUE, got {value!r}", param_hint="--set")
        try:
            out[name] = json.loads(raw)
        except ValueError:
            out[name] = raw
    return out


def exit_code(stats: dict[str, Any]) -> int:
    reason = stats.get("finish_reason", "")
    if reason == "warc_write_error" or "newsarc/warc/write_error" in stats:
        return ExitCode.WARC
    if reason.startswith("shutdown"):
        return ExitCode.INTERRUPTED
    if stats.get("newsarc/upload/pending"):
        return ExitCode.STORAGE
    if not stats.get("newsarc/warc/responses"):
        return ExitCode.NOTHING
    return ExitCode.OK


def report(
    stats: dict[str, Any],
    *,
    as_json: bool,
    title: str,
    extra: dict[str, Any],
    verdict: bool = True,
) -> None:
    """The summary (table or JSON), the failing hosts, drift alarms and, with ``verdict``, why
    nothing could be fetched (a worker of a distributed crawl may rightly fetch nothing)."""
    from crawler.cli.health import alarms_of, echo_alarms
    from crawler.cli.summary import CrawlSummary

    summary = CrawlSummary.from_stats(stats)
    alarms = alarms_of(stats)
    if as_json:
        data = {**summary.as_json(extra), "alarms": alarms}
        click.echo(json.dumps(data, default=str, sort_keys=True))
        if verdict and (why := summary.verdict()):
            click.echo(f"error: {why}", err=True)
        return
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for name, value in summary.rows():
        table.add_row(name, value)
    for name, value in extra.items():
        table.add_row(name, str(value))
    console = Console()
    console.print(table)
    if hosts := summary.host_rows():
        failing = Table(title="failing hosts", title_justify="left")
        failing.add_column("host")
        failing.add_column("failures", justify="right")
        failing.add_column("reasons")
        for row in hosts:
            failing.add_row(*row)
        console.print(failing)
    echo_alarms(alarms)
    if verdict and (why := summary.verdict()):
        click.echo(f"error: {why}", err=True)
    if summary.finish_reason == "warc_write_error":
        click.echo(f"error: WARC write failed: {stats.get('newsarc/warc/write_error')}", err=True)


def run_event(
    event_path: str | Path,
    options: Any,
    *,
    as_json: bool,
    title: str,
    extra: dict[str, Any],
    redis: str | None = None,
    fail_on_drift: bool = False,
) -> int:
    from crawler.event.spec import load_event
    from crawler.runner import run_crawl

    event = load_event(event_path)
    redis = redis or event.cluster.redis  # --redis and NEWSARC_REDIS_URL win over [cluster]
    if redis:
        return run_worker(event, options, redis, as_json=as_json, title=title, extra=extra,
                          fail_on_drift=fail_on_drift)  # fmt: skip
    storage = None
    if options.storage:
        from archive.storage import open_storage

        storage = open_storage(options.storage)
    # before anything of the event is touched: a second crawl of it exits here (ExitCode.LOCKED)
    with event_lock(Path(options.output) / event.slug, slug=event.slug, storage=storage) as lease:
        stats = run_crawl(event, options)
    if lease is not None and lease.lost:
        click.echo(
            f"warning: the lease on event {event.slug!r} was taken over during the crawl", err=True
        )
    where = f"{options.storage.rstrip('/')}/{event.slug}" if options.storage else None
    extra = {"archive": where or str(Path(options.output) / event.slug), **extra}
    report(stats, as_json=as_json, title=title, extra=extra)
    code = exit_code(stats)
    if code == ExitCode.OK and fail_on_drift and stats.get("newsarc/health/alarms"):
        code = ExitCode.DRIFT
    if code == ExitCode.STORAGE:
        click.echo(
            f"error: {stats['newsarc/upload/pending']} objects are still in the spool "
            f"{options.output}; when the store is back, run:\n"
            f"  newsarc upload --resume --out {options.storage} --spool {options.output}",
            err=True,
        )
    return code


def run_worker(
    event: Any,
    options: Any,
    url: str,
    *,
    as_json: bool,
    title: str,
    extra: dict[str, Any],
    fail_on_drift: bool = False,
) -> int:
    """This process as one worker of the event's distributed crawl (``--redis``). The worker
    that finishes the crawl reports its drift alarms (of every worker's pages)."""
    from archive.cluster.connection import redacted
    from crawler.cluster.join import join
    from crawler.runner import run_crawl

    crawl, options = join(url, event, options)
    role = "started" if crawl.created else "joined"
    if not as_json:
        click.echo(
            f"{role} crawl {crawl.crawl_id} of {event.slug} on {redacted(url)} "
            f"as worker {options.extra['NEWSARC_WORKER_ID']}",
            err=True,
        )
    stats = run_crawl(event, options)
    where = f"{options.storage.rstrip('/')}/{event.slug}" if options.storage else None
    extra = {
        "archive": where or str(Path(options.output) / event.slug),
        "crawl": crawl.crawl_id,
        "worker": options.extra["NEWSARC_WORKER_ID"],
        "finished the crawl": "yes" if stats.get("newsarc/cluster/finisher") else "no",
        **extra,
    }
    report(stats, as_json=as_json, title=title, extra=extra, verdict=False)
    code = exit_code(stats)
    if code == ExitCode.NOTHING and not stats.get("newsarc/warc/responses"):
        code = ExitCode.OK  # others fetched everything: a worker with nothing to do is fine
    if code == ExitCode.OK and fail_on_drift and stats.get("newsarc/health/alarms"):
        code = ExitCode.DRIFT
    return code
