"""``newsarc health``: per-site extraction signals across crawls, with trends and drift alarms;
and the alarms' lines in a crawl's summary."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from archive.errors import ExitCode, NotInArchive
from crawler.cli.archive import archive_option, only_event
from crawler.cli.help import command

COLUMNS = (  # (signal, header) shown in the text table; --json has them all
    ("article", "article"),
    ("title", "title"),
    ("date", "date"),
    ("author", "author"),
    ("language", "lang"),
    ("short_text", "short"),
    ("identical", "walls"),
    ("fallback", "fallback"),
    ("future_date", "future"),
)


def alarms_of(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """A crawl's drift alarms, from its stats (``pipelines/health.py``)."""
    return list(stats.get("newsarc/health/alarm_list") or [])


def echo_alarms(alarms: list[dict[str, Any]]) -> None:
    from archive.health.drift import Alarm

    for alarm in alarms:
        click.echo(f"drift: {Alarm.from_json(alarm).line()}", err=True)


@command()
@click.argument("event", required=False)
@archive_option
@click.option("--crawls", "last", default=10, show_default=True, help="Show the last N crawls.")
@click.option("--fail-on-drift", is_flag=True, help="Exit 7 if the latest crawl raised alarms.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as one JSON object.")
def health(
    event: str | None, archive_uri: str, last: int, fail_on_drift: bool, as_json: bool
) -> None:
    """Extraction health of EVENT (default: the archive's only event) per site: the share of pages
    that yield an article, title, date, author and language fill rates, short texts, identical
    bodies (walls), the fallback extractor and implausible dates, each with its trend against
    the site's own baseline (↑ ↓ =), and the drift alarms of the crawls. Exit 4 when the event
    has no health data.

    \b
    Example:
        newsarc health demo-wang-yi-moscow --archive ./newsarc-data
    """
    from archive.access.api import open_archive
    from archive.health.store import read_history
    from archive.health.table import health_table

    arc = open_archive(archive_uri)
    event = only_event(arc, event)  # default: the archive's only event
    history = read_history(arc.storage, event)
    if not any(h.kind == "crawl" for h in history):
        raise NotInArchive(f"no extraction health for event {event!r} in {arc.uri}")
    table = health_table(event, history, last=max(1, last))
    latest = table.crawls[-1]
    drifted = any(a.crawl_id == latest for a in table.alarms)
    if as_json:
        click.echo(json.dumps(table.to_json(), ensure_ascii=False, sort_keys=True))
    else:
        _print_table(table)
    if fail_on_drift and drifted:
        sys.exit(ExitCode.DRIFT)


def _print_table(table: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Table(
        title=f"{table.event}: extraction health, {len(table.crawls)} crawls "
        f"({table.crawls[0]} … {table.crawls[-1]})",
        title_justify="left",
    )
    out.add_column("site", style="bold")
    out.add_column("pages", justify="right")
    out.add_column("chars", justify="right")
    for _, header in COLUMNS:
        out.add_column(header, justify="right")
    for row in table.rows:
        alarmed = {a.signal for a in row.alarms}
        cells = []
        for name, _ in COLUMNS:
            cell = row.cells[name]
            text = "-" if cell.latest is None else f"{cell.latest:.0%}{cell.trend}"
            cells.append(f"[red]{text}![/red]" if name in alarmed else text)
        chars = "-" if row.median_chars is None else f"{row.median_chars:.0f}"
        out.add_row(row.site, str(row.pages), chars, *cells)
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(out)
    if table.alarms:
        console.print("alarms:")
        for alarm in table.alarms:
            console.print(f"  {alarm.crawl_id}  {alarm.line()}", highlight=False)
            for url in alarm.examples[1:3]:
                console.print(f"      {url}", highlight=False)
    else:
        console.print("no alarms")
