"""The ``newsarc`` command.

Exit codes (crawler/exitcodes.py): 0 success · 1 unexpected failure · 2 bad input ·
3 WARC write failure (crawl stopped) · 4 nothing could be fetched · 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from archive.errors import NewsarcError
from archive.repair import repair_directory
from crawler.cli_articles import extract, reextract
from crawler.exitcodes import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NOTHING,
    EXIT_OK,
    EXIT_WARC,
)


def _connect_to(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        host, sep, target = value.partition("=")
        if not sep:
            raise click.BadParameter(
                f"expected HOST=IP:PORT, got {value!r}", param_hint="--connect-to"
            )
        out[host] = target
    return out


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


def _settings(values: tuple[str, ...]) -> dict[str, Any]:
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


def _exit_code(stats: dict[str, Any]) -> int:
    reason = stats.get("finish_reason", "")
    if reason == "warc_write_error" or "newsarc/warc/write_error" in stats:
        return EXIT_WARC
    if reason == "shutdown":
        return EXIT_INTERRUPTED
    if not stats.get("newsarc/warc/responses"):
        return EXIT_NOTHING
    return EXIT_OK


def _report(stats: dict[str, Any], *, as_json: bool, title: str, extra: dict[str, Any]) -> None:
    from crawler.summary import CrawlSummary

    summary = CrawlSummary.from_stats(stats)
    if as_json:
        click.echo(json.dumps(summary.as_json(extra), default=str, sort_keys=True))
        return
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for name, value in summary.rows():
        table.add_row(name, value)
    for name, value in extra.items():
        table.add_row(name, str(value))
    Console().print(table)
    if summary.finish_reason == "warc_write_error":
        click.echo(f"error: WARC write failed: {stats.get('newsarc/warc/write_error')}", err=True)


def _run(
    event_path: str | Path, options: Any, *, as_json: bool, title: str, extra: dict[str, Any]
) -> int:
    from crawler.event import load_event
    from crawler.runner import run_crawl

    event = load_event(event_path)
    stats = run_crawl(event, options)
    out = Path(options.output) / event.slug
    extra = {"archive": str(out), **extra}
    _report(stats, as_json=as_json, title=title, extra=extra)
    return _exit_code(stats)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarc")
def main() -> None:
    """Archive news coverage of events: crawl politely, keep byte-exact WARCs."""


@main.command()
@click.argument("event_file", type=click.Path(dir_okay=False))
@click.option("--out", default="./newsarc-data", show_default=True, help="Archive directory.")
@click.option("--allow-private-addresses", is_flag=True, help="Allow loopback/private targets.")
@click.option(
    "--connect-to", multiple=True, metavar="HOST=IP:PORT", help="Connect HOST to IP:PORT."
)
@click.option("--operator", default="", help="Your contact, recorded in every warcinfo record.")
@click.option(
    "--warc-size", default="1GB", show_default=True, help="Rotate WARC files at this size."
)
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy or NEWSARC_* setting (VALUE is read as JSON if it parses).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-v", "--verbose", count=True, help="Show Scrapy's logs (-vv for debug).")
def crawl(
    event_file: str,
    out: str,
    allow_private_addresses: bool,
    connect_to: tuple[str, ...],
    operator: str,
    warc_size: str,
    overrides: tuple[str, ...],
    as_json: bool,
    verbose: int,
) -> None:
    """Crawl the coverage described by EVENT_FILE into WARC files under --out.

    Example:

        newsarc crawl events/wang-yi-moscow-2025.toml --out ./newsarc-data
    """
    from crawler.runner import CrawlOptions

    options = CrawlOptions(
        output=out,
        connect_to=_connect_to(connect_to),
        allow_private_addresses=allow_private_addresses,
        verbose=verbose,
        progress=not verbose and not as_json and sys.stderr.isatty(),
        operator=operator,
        extra={"NEWSARC_WARC_MAX_SIZE": parse_size(warc_size), **_settings(overrides)},
    )
    sys.exit(_run(event_file, options, as_json=as_json, title="newsarc crawl", extra={}))


@main.command()
@click.option("--out", default="./newsarc-data", show_default=True, help="Archive directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-v", "--verbose", count=True, help="Show Scrapy's logs (-vv for debug).")
def demo(out: str, as_json: bool, verbose: int) -> None:
    """Serve the bundled news web on 127.0.0.1 and crawl it with the demo event.

    Example:

        newsarc demo --out ./newsarc-data
    """
    from crawler.demoweb import DemoWeb, demo_event_path
    from crawler.runner import CrawlOptions

    with DemoWeb() as web:
        options = CrawlOptions(
            output=out,
            connect_to=web.connect_to(),
            verbose=verbose,
            progress=not verbose and not as_json and sys.stderr.isatty(),
            operator="newsarc demo",
        )
        code = _run(
            demo_event_path(),
            options,
            as_json=as_json,
            title="newsarc demo",
            extra={"demo web": f"127.0.0.1:{web.port}"},
        )
    if not as_json:
        warcs = Path(out) / "demo-wang-yi-moscow" / "warc"
        click.echo("\nNext:")
        click.echo(f"  warcio check {warcs}/*.warc.gz       # verify every digest")
        click.echo(f"  cdxj-indexer {warcs}/*.warc.gz       # index for replay")
        click.echo(
            "  newsarc crawl events/wang-yi-moscow-2025.toml   # the real event (needs internet)"
        )
    sys.exit(code)


@main.command()
@click.argument("directory", default="./newsarc-data", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON lines.")
def repair(directory: str, as_json: bool) -> None:
    """Repair WARC files left open by a killed crawl (keeps every complete record).

    Example:

        newsarc repair ./newsarc-data
    """
    results = repair_directory(directory)
    for r in results:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "source": str(r.source),
                        "repaired": str(r.repaired or ""),
                        "records": r.records,
                        "bytes_dropped": r.bytes_dropped,
                    }
                )
            )
        else:
            click.echo(
                f"{r.source.name}: kept {r.records} records, dropped {r.bytes_dropped} bytes"
            )
    if not results and not as_json:
        click.echo("nothing to repair")


main.add_command(extract)
main.add_command(reextract)


def run() -> None:
    try:
        main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_INPUT)
    except NewsarcError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
