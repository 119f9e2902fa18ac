"""The ``newsarc`` command.

Exit codes (crawler/cli/exitcodes.py): 0 success · 1 unexpected failure · 2 bad input ·
3 WARC write failure (crawl stopped) · 4 nothing could be fetched · 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from archive.cdxj.indexing import index_warc_file
from archive.errors import ExitCode, NewsarcError, NotInArchive
from archive.warc.repair import repair_directory
from crawler.cli.analysis import export, search, wacz
from crawler.cli.archive import get, history, index, list_crawls
from crawler.cli.articles import extract, reextract
from crawler.cli.check import check
from crawler.cli.cluster import status, worker
from crawler.cli.health import health
from crawler.cli.help import ExampleCommand, ExampleGroup
from crawler.cli.replay import replay
from crawler.cli.report import report
from crawler.cli.run import (
    connect_to_option,
    parse_size,
    progress_mode,
    proxy_options,
    run_event,
    settings_option,
)
from crawler.cli.schedule import schedule
from crawler.cli.storage import archive_location, upload


def archive_options(command: Any) -> Any:
    """``--out`` (a directory or s3://) and ``--spool``, shared by crawl and demo."""
    command = click.option(
        "--spool",
        default="./newsarc-spool",
        show_default=True,
        help="Local working directory when --out is s3://.",
    )(command)
    return click.option(
        "--out",
        default="./newsarc-data",
        show_default=True,
        help="Archive: a directory or s3://bucket/prefix.",
    )(command)


@click.group(cls=ExampleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarc")
def main() -> None:
    """Archive news coverage of events: crawl politely, keep byte-exact WARCs, extract and
    deduplicate the articles, then get them back out (get, search, export, wacz, replay).

    \b
    Examples:
        newsarc demo
        newsarc crawl events/wang-yi-moscow-2025.toml --out ./newsarc-data
        newsarc search "Lavrov" --archive ./newsarc-data
    """


@main.command(cls=ExampleCommand)
@click.argument("event_file", type=click.Path(dir_okay=False))
@archive_options
@click.option("--keep-local", is_flag=True, help="Keep spooled files after a verified upload.")
@click.option("--allow-private-addresses", is_flag=True, help="Allow loopback/private targets.")
@click.option(
    "--connect-to",
    multiple=True,
    metavar="HOST=IP:PORT",
    help="Connect HOST to IP:PORT (also curl's HOST:PORT:IP:PORT; HOST may be *.SUFFIX).",
)
@click.option(
    "--proxy",
    metavar="URL",
    help="HTTP proxy for http and https (http://[user:pass@]host:port, or none); "
    "default: $http_proxy/$https_proxy.",
)
@click.option(
    "--no-proxy",
    metavar="HOSTS",
    help="Hosts fetched directly, comma-separated (default: $no_proxy).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Fetch every known URL now, not only those due (still conditionally: revisits).",
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
@click.option(
    "--redis",
    metavar="URL",
    envvar="NEWSARC_REDIS_URL",
    help="Be one worker of the event's distributed crawl on this Redis (redis://host:port/db).",
)
@click.option(
    "--fail-on-drift", is_flag=True, help="Exit 7 when extraction drift alarms were raised."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-v", "--verbose", count=True, help="Show Scrapy's logs (-vv for debug).")
def crawl(
    event_file: str,
    out: str,
    spool: str,
    keep_local: bool,
    allow_private_addresses: bool,
    connect_to: tuple[str, ...],
    proxy: str | None,
    no_proxy: str | None,
    full: bool,
    operator: str,
    warc_size: str,
    overrides: tuple[str, ...],
    redis: str | None,
    fail_on_drift: bool,
    as_json: bool,
    verbose: int,
) -> None:
    """Crawl the coverage described by EVENT_FILE into WARC files under --out.

    With --redis, this process is one worker of the event's crawl on that Redis: start as many
    as you like, on one machine or many (see also newsarc worker and newsarc status).

    Example:

        newsarc crawl events/wang-yi-moscow-2025.toml --out ./newsarc-data
    """
    from crawler.runner import CrawlOptions

    output, storage = archive_location(out, spool)
    options = CrawlOptions(
        output=output,
        storage=storage,
        keep_local=keep_local,
        connect_to=connect_to_option(connect_to),
        allow_private_addresses=allow_private_addresses,
        verbose=verbose,
        progress=progress_mode(verbose, as_json),
        operator=operator,
        extra={
            "NEWSARC_WARC_MAX_SIZE": parse_size(warc_size),
            "NEWSARC_FULL": full,
            **proxy_options(proxy, no_proxy),
            **settings_option(overrides),
        },
    )
    sys.exit(
        run_event(
            event_file,
            options,
            as_json=as_json,
            title="newsarc crawl",
            extra={},
            redis=redis,
            fail_on_drift=fail_on_drift,
        )
    )


@main.command(cls=ExampleCommand)
@archive_options
@click.option(
    "--serve",
    is_flag=True,
    help="Only serve the demo web (until Ctrl-C) and print the flags to crawl it.",
)
@click.option(
    "--port", type=int, default=0, help="With --serve: the port on 127.0.0.1 (default: any)."
)
@click.option(
    "--again",
    is_flag=True,
    help="Serve the web as it is later (an article updated, one added) and crawl it again.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-v", "--verbose", count=True, help="Show Scrapy's logs (-vv for debug).")
def demo(
    out: str, spool: str, serve: bool, port: int, again: bool, as_json: bool, verbose: int
) -> None:
    """Serve the bundled news web on 127.0.0.1 and crawl it with the demo event. With --again,
    the web has moved on and the crawl is a recurring one: every known page is asked for
    conditionally (--full), unchanged ones become WARC revisit records. With --serve, only
    serve it, to crawl it with your own event file (see the README's recipe).

    Example:

        newsarc demo --out ./newsarc-data
        newsarc demo --again --out ./newsarc-data
        newsarc demo --serve --port 8808
    """
    from crawler.demoweb import DemoWeb, demo_event_path
    from crawler.runner import CrawlOptions

    if serve:
        sys.exit(serve_demo(port, edition=1 if again else 0, as_json=as_json))

    output, storage = archive_location(out, spool)
    with DemoWeb(edition=1 if again else 0) as web:
        options = CrawlOptions(
            output=output,
            storage=storage,
            connect_to=web.connect_to(),
            verbose=verbose,
            progress=progress_mode(verbose, as_json),
            operator="newsarc demo",
            extra={"NEWSARC_FULL": True} if again else None,
        )
        code = run_event(
            demo_event_path(),
            options,
            as_json=as_json,
            title="newsarc demo",
            extra={"demo web": f"127.0.0.1:{web.port}"},
        )
    if not as_json:
        archive = "" if out == "./newsarc-data" else f" --archive {out}"
        me = command_name()
        hints = [
            (f"{me} demo --again{' --out ' + out if archive else ''}", "the web a day later"),
            (f"{me} list{archive}", "the crawl and its stats"),
            (f'{me} search "Lavrov"{archive}', "full-text search of the articles"),
            (f"{me} export -o articles.parquet{archive}", "for pandas/DuckDB"),
            (f"{me} replay{archive}", "browse the archive in pywb"),
            (f"{me} demo --serve", "keep the demo web up to crawl your own event (README)"),
            (f"{me} crawl events/wang-yi-moscow-2025.toml", "the real event (needs internet)"),
        ]
        width = max(len(cmd) for cmd, _ in hints)
        click.echo("\nNext:")
        for cmd, why in hints:
            click.echo(f"  {cmd.ljust(width)}  # {why}")
        if me != "newsarc":
            click.echo(f"  (or `. {Path(me).parent}/activate` once, then just `newsarc`)")
    sys.exit(code)


def command_name() -> str:
    """How to run newsarc again from here: ``newsarc`` when that is what the shell finds,
    else the path this process was started by (e.g. ``.venv/bin/newsarc`` after make demo)."""
    started = Path(sys.argv[0])
    if started.name != "newsarc":
        return "newsarc"  # python -m crawler, or embedded
    found = shutil.which("newsarc")
    if found and Path(found).resolve() == started.resolve():
        return "newsarc"
    with contextlib.suppress(ValueError):
        return str(started.resolve().relative_to(Path.cwd().resolve()))
    return str(started)


def serve_demo(port: int, *, edition: int, as_json: bool) -> int:
    """``newsarc demo --serve``: the demo web until Ctrl-C or SIGTERM, and how to crawl it."""
    import signal
    import threading

    from crawler.demoweb import DemoWeb, demo_event_path

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with DemoWeb(port=port, edition=edition) as web:
        address = f"127.0.0.1:{web.port}"
        flag = f"--connect-to '*.test={address}'"
        if as_json:
            info = {"address": address, "hosts": list(web.hosts), "connect_to": f"*.test={address}"}
            click.echo(json.dumps(info), nl=True)
        else:
            click.echo(f"demo web on {address}: http://{'/, http://'.join(web.hosts)}/")
            click.echo("Crawl it with your own event file (sources on these hosts):")
            click.echo(f"  newsarc crawl EVENT_FILE {flag}")
            click.echo("or with the demo event:")
            click.echo(f"  newsarc crawl {demo_event_path()} {flag}")
            click.echo(f"or look: curl --connect-to globe.test:80:{address} http://globe.test/")
            click.echo("Ctrl-C to stop.")
        sys.stdout.flush()
        stop.wait()
    return int(ExitCode.OK)


@main.command(cls=ExampleCommand)
@click.argument("directory", default="./newsarc-data", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON lines.")
def repair(directory: str, as_json: bool) -> None:
    """Repair WARC files left open by a killed crawl (keeps every complete record) and write
    their CDXJ indexes.

    Example:

        newsarc repair ./newsarc-data
    """
    if not Path(directory).is_dir():
        raise NotInArchive(f"no directory {directory}")
    results = repair_directory(directory, on_repaired=index_warc_file)
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


main.add_command(check)
main.add_command(extract)
main.add_command(worker)
main.add_command(status)
main.add_command(reextract)
main.add_command(upload)
main.add_command(get)
main.add_command(list_crawls)
main.add_command(index)
main.add_command(history)
main.add_command(schedule)
main.add_command(search)
main.add_command(export)
main.add_command(wacz)
main.add_command(replay)
main.add_command(health)
main.add_command(report)


def run() -> None:
    try:
        main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.INPUT)
    except NewsarcError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
