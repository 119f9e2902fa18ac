"""``newsarc worker`` (join whatever crawls are queued on a Redis) and ``newsarc status``
(one distributed crawl at a glance: workers, queue, pages/s, articles, errors)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from archive.errors import ClusterError, ExitCode
from crawler.cli.help import ExampleCommand

REDIS_HELP = "Redis of the distributed crawls (redis://host:port/db)."


def _connect(url: str) -> Any:
    """A client for ``url``, or exit 4 with one line naming the server (never its password)."""
    from archive.cluster.connection import connect, ping

    client = connect(url)
    try:
        ping(client, url)
    except ClusterError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.NOTHING)
    return client


@click.command(cls=ExampleCommand)
@click.option("--redis", "url", required=True, metavar="URL", envvar="NEWSARC_REDIS_URL",
              help=REDIS_HELP)  # fmt: skip
@click.option("--spool", metavar="DIR", default="./newsarc-spool", show_default=True,
              help="Local spool for crawls that store in s3://.")  # fmt: skip
@click.option("--exit-when-idle", is_flag=True, help="Exit when no crawl is under way.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between looks for work.")
@click.option("-v", "--verbose", count=True, help="Show Scrapy's logs (-vv for debug).")
def worker(url: str, spool: str, exit_when_idle: bool, poll: float, verbose: int) -> None:
    """Join the distributed crawls queued on a Redis, one after another, for as long as it runs.

    Each crawl is run as `newsarc crawl EVENT --redis URL`, with the event file and archive
    location its first worker put in Redis. Stop it with Ctrl-C or SIGTERM (the crawl under
    way ends cleanly; its unfinished requests go back to the others).

    Example:

        newsarc worker --redis redis://10.0.0.5:6379/0
    """
    from archive.cluster.connection import redacted
    from archive.cluster.registry import Registry

    registry = Registry(_connect(url))
    click.echo(f"worker waiting for crawls on {redacted(url)}", err=True)
    code: int = ExitCode.OK
    try:
        while True:
            crawls = registry.running()
            if not crawls:
                if exit_when_idle:
                    break
                time.sleep(poll)  # idle: look again (this is the worker's loop, not a test)
                continue
            crawl = crawls[0]
            with tempfile.TemporaryDirectory(prefix="newsarc-worker-") as tmp:
                event = Path(tmp) / crawl.event_name
                event.write_text(crawl.event_text, encoding="utf-8")
                out = crawl.storage or crawl.output
                args = [sys.executable, "-m", "crawler", "crawl", str(event), "--redis", url,
                        "--out", out, *(["--spool", spool] if crawl.storage else [])]  # fmt: skip
                args += ["-v"] * verbose
                click.echo(f"joining crawl {crawl.crawl_id} of {crawl.slug}", err=True)
                code = subprocess.run(args, check=False).returncode
                click.echo(f"crawl {crawl.crawl_id} of {crawl.slug}: exit {code}", err=True)
    except KeyboardInterrupt:
        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(code)


@click.command(cls=ExampleCommand)
@click.argument("event")
@click.option("--redis", "url", required=True, metavar="URL", envvar="NEWSARC_REDIS_URL",
              help=REDIS_HELP)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(event: str, url: str, as_json: bool) -> None:
    """Show an event's distributed crawl: workers, queue sizes, pages/s, articles, errors.

    EVENT is the event file or its slug. Exit 4 when the event has no crawl on that Redis.

    Example:

        newsarc status events/wang-yi-moscow-2025.toml --redis redis://10.0.0.5:6379/0
    """
    from archive.cluster.frontier import Frontier
    from archive.cluster.registry import Registry

    slug = event
    if Path(event).is_file():
        from crawler.event.spec import load_event

        slug = load_event(event).slug
    client = _connect(url)
    registry = Registry(client)
    crawl = registry.current(slug)
    if crawl is None:
        click.echo(f"error: no distributed crawl of {slug!r} on this Redis", err=True)
        sys.exit(ExitCode.NOTHING)
    report: dict[str, Any] = {"event": slug, "crawl": crawl.crawl_id, "status": crawl.status}
    if crawl.status != "done":
        frontier = Frontier(client, crawl.keys)
        queued, leased = frontier.sizes()
        workers = registry.workers(crawl.keys)
        now = time.time()
        pages = sum(int(w.get("pages", 0)) for w in workers.values())
        since = min((float(w.get("started", now)) for w in workers.values()), default=now)
        report.update(
            queued=queued,
            leased=leased,
            counters=frontier.counters(),
            workers=workers,
            pages=pages,
            pages_per_second=round(pages / max(now - since, 1e-9), 2),
            articles=sum(int(w.get("articles", 0)) for w in workers.values()),
            errors=sum(int(w.get("errors", 0)) for w in workers.values()),
        )
    else:
        raw: Any = client.hget(f"newsarc:{slug}:crawl", "summary")
        report["summary"] = json.loads(raw) if raw else {}
    if as_json:
        click.echo(json.dumps(report, sort_keys=True, default=str))
        return
    table = Table(title=f"newsarc status {slug}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for key in ("crawl", "status", "queued", "leased", "pages", "pages_per_second", "articles",
                "errors"):  # fmt: skip
        if key in report:
            table.add_row(key.replace("_", " "), str(report[key]))
    for name, value in sorted(report.get("counters", {}).items()):
        table.add_row(f"frontier {name}", str(value))
    console = Console()
    console.print(table)
    if report.get("workers"):
        workers_table = Table("worker", "host", "pid", "active", "pages", "articles", "errors")
        for wid, info in sorted(report["workers"].items()):
            workers_table.add_row(wid, str(info.get("host")), str(info.get("pid")),
                                  "yes" if info.get("active") else "no", str(info.get("pages")),
                                  str(info.get("articles")), str(info.get("errors")))  # fmt: skip
        console.print(workers_table)
