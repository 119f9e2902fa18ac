"""``newsarc report``: an event's coverage, stories and extraction health as one HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from archive.errors import NotInArchive
from crawler.cli.archive import archive_option, only_event
from crawler.cli.help import command


@command()
@click.argument("event", required=False)
@archive_option
@click.option("-o", "--output", required=True, help="The .html file to write.")
@click.option(
    "--replay-url",
    default="http://127.0.0.1:8080",
    show_default=True,
    help="Where `newsarc replay` serves the archive (the articles' page links).",
)
@click.option(
    "--text-url",
    default=None,
    metavar="URL",
    help="Base URL of the event's text/ files (default: the archive's, when it is a directory).",
)
def report(
    event: str | None, archive_uri: str, output: str, replay_url: str, text_url: str | None
) -> None:
    """Write a report of EVENT (default: the archive's only event) as one self-contained HTML file
    (opens without a network): coverage over time per outlet with the event's window shaded,
    outlets and languages, the crawls, extraction health per site with its alarms, story
    clusters with their members and duplicate kinds, revisions, and every article with links to
    its archived page (through `newsarc replay`) and its text. Exit 4 when the event is not in
    the archive.

    \b
    Example:
        newsarc report demo-wang-yi-moscow --archive ./newsarc-data -o report.html
    """
    from archive.access.api import open_archive
    from archive.report.data import gather
    from archive.report.render import render
    from archive.storage.atomicfile import atomic_write
    from archive.storage.local import LocalStorage
    from crawler.cli.analysis import cache_dir, check_output_dir
    from crawler.cli.archive import crawl_row

    target = Path(output)
    check_output_dir(target)
    arc = open_archive(archive_uri)
    event = only_event(arc, event)  # default: the archive's only event
    crawls = [crawl_row(c) for c in arc.crawls(event)]  # NotInArchive (exit 4) if no such event
    if not crawls:
        raise NotInArchive(f"event {event!r} has no crawls in {arc.uri}")
    name, window = _event_info(arc, event)
    if text_url is None and isinstance(arc.storage, LocalStorage):
        text_url = (arc.storage.root / event / "text").resolve().as_uri()
    data = gather(
        arc,
        event,
        crawls=crawls,
        name=name,
        window=window,
        replay_base=replay_url,
        text_base=text_url,
    )
    html = render(data, cache_dir=cache_dir()).encode("utf-8")
    with atomic_write(target) as out:
        out.write(html)
    click.echo(
        f"wrote {output}: {data.totals['articles']} articles, {data.totals['stories']} stories, "
        f"{data.totals['alarms']} alarms, {len(html):,} bytes",
        err=True,
    )


def _event_info(arc: Any, event: str) -> tuple[str, tuple[str | None, str | None]]:
    """The event's name and window, from the newest event file kept with its crawls."""
    import tomllib

    keys = sorted(
        i.key for i in arc.storage.iter(f"{event}/crawls/") if i.key.endswith("/event.toml")
    )
    if not keys:
        return event, (None, None)
    try:
        doc = tomllib.loads(arc.storage.get_bytes(keys[-1]).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return event, (None, None)
    info = doc.get("event", {})
    start, end = info.get("start"), info.get("end")
    return str(info.get("name") or event), (
        str(start) if start else None,
        str(end) if end else None,
    )
