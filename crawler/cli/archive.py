"""``newsarc get``, ``newsarc list``, ``newsarc index`` and ``newsarc history``: getting captures
and article revisions out of an archive."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from crawler.cli.help import command

if TYPE_CHECKING:
    from archive.access.api import Archive, Capture, Crawl

ARCHIVE_HELP = "The archive: a directory or s3://bucket/prefix."


def only_event(archive: Archive, event: str | None) -> str:
    """--event, checked (exit 4 when the archive has no such event), or the archive's only
    event; with several, a usage error that names them."""
    try:
        return archive.event(event)
    except ValueError as exc:
        raise click.UsageError(f"{exc}: choose one with --event") from None


def archive_option(command: Any) -> Any:
    return click.option(
        "--archive", "archive_uri", default="./newsarc-data", show_default=True, help=ARCHIVE_HELP
    )(command)


@command()
@click.argument("url")
@archive_option
@click.option("--at", default=None, metavar="TIMESTAMP", help="1-14 digits, e.g. 20250401.")
@click.option("--event", default=None, help="Only this event's captures.")
@click.option("--text", "mode", flag_value="text", help="Print the extracted article text.")
@click.option(
    "--html", "mode", flag_value="html", default=True, help="Print the body, decoded (default)."
)
@click.option("--raw", "mode", flag_value="raw", help="Print the HTTP response as stored.")
@click.option("--headers", "mode", flag_value="headers", help="Print status line and headers.")
@click.option("--json", "mode", flag_value="json", help="Print the capture's metadata as JSON.")
def get(url: str, archive_uri: str, at: str | None, event: str | None, mode: str) -> None:
    """Print the capture of URL closest to --at (default: the latest).

    The capture is found by binary search in the event's CDXJ index and read with one ranged
    read, from a local or an S3 archive. Exit 4 when the archive has no capture of URL.

    \b
    Example:
        newsarc get http://wire.test/story/2025-04-01/gw-20250401-0087/ --at 20250401 --text
    """
    if at is not None and not (at.isdigit() and 1 <= len(at) <= 14):
        raise click.BadParameter("expected 1-14 digits (YYYYMMDDhhmmss)", param_hint="--at")
    from archive.access.api import open_archive

    arc = open_archive(archive_uri)
    capture = arc.get(url, at=at, event=event)
    out = sys.stdout.buffer
    if mode == "json":
        data = {**capture.as_dict(), "headers": [list(h) for h in capture.headers]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
    elif mode == "headers":
        out.write(capture.head)
    elif mode == "raw":
        out.write(capture.record.block)
    elif mode == "text":
        click.echo(article_text(arc, capture))
    else:
        out.write(capture.body)
    out.flush()


def article_text(archive: Archive, capture: Capture) -> str:
    """The capture's article text: the stored text, the article set's, or extracted now."""
    text = archive.text(capture.event, capture.article_id)
    if text is not None:
        return text
    for article in archive.stored_articles(event=capture.event, all_captures=True):
        if article.get("id") == capture.article_id:
            return str(article.get("text") or "")
    from pipelines.extract.extractor import extract

    extracted = extract(capture.url, capture.http.header_dict(), capture.body)
    if extracted is None:
        click.echo(f"no article text in {capture.url}", err=True)
        sys.exit(4)
    click.echo("(not in the event's article set; extracted now)", err=True)
    return extracted.text


@command(name="list")
@archive_option
@click.option("--event", default=None, help="Only this event.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per crawl.")
def list_crawls(archive_uri: str, event: str | None, as_json: bool) -> None:
    """List the archive's crawls with their stats (from their manifests).

    \b
    Example:
        newsarc list --archive ./newsarc-data --event demo-wang-yi-moscow
    """
    from archive.access.api import open_archive

    crawls = open_archive(archive_uri).crawls(event)
    rows = [crawl_row(c) for c in crawls]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    if not rows:
        click.echo("no crawls", err=True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    columns = ["event", "crawl_id", "status", "pages", "articles", "duplicates", "errors", "bytes"]
    for name in columns:
        table.add_column(name, justify="right" if name in columns[3:] else "left")
    for row in rows:
        table.add_row(*(human(row[c]) if c == "bytes" else str(row[c]) for c in columns))
    console = Console()
    if not console.is_terminal:  # a pipe or file: never truncate cells
        console = Console(width=1000)
    console.print(table)


def crawl_row(crawl: Crawl) -> dict[str, Any]:
    from crawler.cli.summary import CrawlSummary

    summary = CrawlSummary.from_stats(crawl.stats)
    return {
        "event": crawl.event,
        "crawl_id": crawl.crawl_id,
        "status": (crawl.finish_reason or "finished") if crawl.complete else "incomplete",
        "pages": summary.pages,
        "articles": summary.articles,
        "duplicates": summary.duplicates,
        "stories": summary.stories,
        "errors": summary.errors,
        "objects": crawl.objects,
        "bytes": crawl.bytes,
    }


def human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return str(size)


@command()
@archive_option
@click.option("--event", default=None, help="Only this event (default: every event).")
@click.option("--work", default="./newsarc-spool", show_default=True, help="Scratch directory.")
def index(archive_uri: str, event: str | None, work: str) -> None:
    """Rebuild CDXJ indexes: index WARCs that have none, then each event's merged index.

    Crawls index as they write; use this for WARCs from elsewhere or after `newsarc repair`.

    \b
    Example:
        newsarc index --archive ./newsarc-data --event demo-wang-yi-moscow
    """
    from pathlib import Path

    from archive.access.api import open_archive
    from archive.cdxj.indexing import rebuild_event_index
    from archive.errors import NotInArchive

    arc = open_archive(archive_uri)
    slugs = [only_event(arc, event)] if event else arc.events()
    if not slugs:
        raise NotInArchive(f"no events in {arc.uri}")
    for slug in slugs:
        try:
            indexed, lines = rebuild_event_index(arc.storage, slug, Path(work))
        except NotInArchive as exc:
            hint = arc.repair_hint(slug)
            raise NotInArchive(f"{exc}; {hint}" if hint else str(exc)) from None
        click.echo(f"{slug}: indexed {indexed} WARC files; event index has {lines} captures")
    hint = arc.repair_hint(event)
    if hint:  # their captures are not in the index until repaired
        click.echo(f"not indexed: {hint}", err=True)


@command()
@click.argument("url")
@archive_option
@click.option("--event", default=None, help="Only this event's articles.")
@click.option("--diff", "diff", type=int, default=None, metavar="N", help="Word diff N-1 → N.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per revision.")
def history(url: str, archive_uri: str, event: str | None, diff: int | None, as_json: bool) -> None:
    """List the revisions of the article at URL: when each was fetched, how many words it
    added and removed, and where its WARC record is. --diff N prints what revision N changed,
    in wdiff's notation ([-removed-] {+added+}). Exit 4 when the archive has no article at URL.
    (In the demo archive, the article below has a second revision after newsarc demo --again.)

    \b
    Example:
        newsarc history http://globe.test/world/2025/04/01/putin-hosts-chinese-foreign-minister-wang-for-talks-in-moscow/ --diff 2
    """  # noqa: E501 (the example is one line to copy)
    from archive.access.api import open_archive
    from archive.errors import NotInArchive

    revisions = sorted(
        (
            a
            for a in open_archive(archive_uri).stored_articles(event, all_captures=True)
            if a.get("url") == url
        ),
        key=lambda a: (int(a.get("revision") or 1), str(a.get("fetched_at") or "")),
    )
    if not revisions:
        raise NotInArchive(f"no article at {url} in {archive_uri}")
    if diff is not None:
        from pipelines.dedup.revision import word_diff

        by_number = {int(a.get("revision") or 1): a for a in revisions}
        if diff not in by_number or diff - 1 not in by_number:
            known = ", ".join(str(n) for n in sorted(by_number))
            raise click.BadParameter(f"revisions of {url}: {known}", param_hint="--diff")
        old, new = by_number[diff - 1], by_number[diff]
        click.echo(word_diff(str(old.get("text") or ""), str(new.get("text") or "")))
        return
    for a in revisions:
        warc = a.get("warc") or {}
        row = {
            "revision": int(a.get("revision") or 1),
            "fetched_at": a.get("fetched_at"),
            "id": a.get("id"),
            "words": a.get("word_count"),
            "words_added": a.get("words_added"),
            "words_removed": a.get("words_removed"),
            "warc": f"{warc.get('filename')}:{warc.get('offset')}",
        }
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            change = (
                f"+{row['words_added']} -{row['words_removed']}"
                if row["words_added"] is not None
                else "first"
            )
            click.echo(
                f"{row['revision']:>3}  {row['fetched_at']}  {row['words']:>5} words  "
                f"{change:<12} {row['warc']}"
            )
