"""``newsarc search``, ``newsarc export`` and ``newsarc wacz``: the article set for analysis."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from archive.errors import ExitCode
from crawler.cli.archive import archive_option, only_event
from crawler.cli.help import command

if TYPE_CHECKING:
    from archive.access.api import Archive


UNIQUE_HELP = (
    "Only articles with an original text (a capture judged unique or revision); leaves out "
    "copies of another article (url, exact, near, rewrite)."
)
ALL_CAPTURES_HELP = (
    "Every capture of each article (each crawl, each revision), not only the latest."
)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsarc"


def default_index_path(uri: str) -> Path:
    """One search index per archive, in the user's cache (it is rebuilt from the archive)."""
    return cache_dir() / f"search-{hashlib.sha1(uri.encode()).hexdigest()[:16]}.sqlite"


def day(value: str | None, name: str) -> str | None:
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter("expected a date YYYY-MM-DD", param_hint=name) from None


@command()
@click.argument("query")
@archive_option
@click.option("--since", default=None, metavar="DATE", help="Published on or after (YYYY-MM-DD).")
@click.option("--until", default=None, metavar="DATE", help="Published on or before (YYYY-MM-DD).")
@click.option("--site", default=None, metavar="HOST", help="A host (and subdomains) or site name.")
@click.option("--lang", default=None, metavar="L", help="Language, ISO 639-1 (e.g. en).")
@click.option("--event", default=None, help="Only this event.")
@click.option("--unique-only", is_flag=True, help=UNIQUE_HELP)
@click.option("--all-captures", is_flag=True, help=ALL_CAPTURES_HELP)
@click.option("--limit", default=20, show_default=True, help="At most this many hits.")
@click.option("--index", "index_path", default=None, help="Search index file (default: a cache).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per hit.")
def search(
    query: str,
    archive_uri: str,
    since: str | None,
    until: str | None,
    site: str | None,
    lang: str | None,
    event: str | None,
    unique_only: bool,
    all_captures: bool,
    limit: int,
    index_path: str | None,
    as_json: bool,
) -> None:
    """Full-text search over the archive's articles: each article once (its latest capture),
    best first. When there are more than --limit, says how many ("20 of 22") on stderr.

    QUERY: words (all must match), "exact phrases", OR, -excluded, prefix*. The index is an
    embedded SQLite FTS5 file built from the article sets and brought up to date on each search
    (only new or changed sets are read). Exit 4 when nothing matches.

    \b
    Example:
        newsarc search '"Wang Yi" Lavrov -Ukraine' --since 2025-04-01 --site globe.test
    """
    from archive.access.api import open_archive
    from archive.articles.search import SearchIndex

    since, until = day(since, "--since"), day(until, "--until")
    arc = open_archive(archive_uri)
    if event is not None:
        arc.event(event)  # exit 4 for an event the archive does not have
    path = Path(index_path) if index_path else default_index_path(arc.uri)
    with SearchIndex(path) as index:
        index.sync(arc.article_sources())
        filters: dict[str, Any] = {
            "since": since,
            "until": until,
            "site": site,
            "lang": lang,
            "event": event,
            "unique_only": unique_only,
            "all_captures": all_captures,
        }
        hits = index.search(query, limit=limit, **filters)
        total = index.matches(query, **filters) if len(hits) == limit else len(hits)
    for hit in hits:
        if as_json:
            click.echo(json.dumps(hit.__dict__, ensure_ascii=False))
        else:
            click.secho(hit.title or "(no title)", bold=True)
            click.echo(f"  {hit.sitename or hit.site or ''} · {hit.date or 'no date'} · {hit.url}")
            click.echo(f"  {hit.snippet}\n")
    if not hits:
        click.echo("no matches", err=True)
        sys.exit(ExitCode.NOTHING)
    if total > len(hits):
        click.echo(f"{len(hits)} of {total} matches (--limit {total} to see all)", err=True)


@command()
@archive_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "parquet", "csv"]),
    default=None,
    help="jsonl: the stored records; parquet/csv: flat columns (README). "
    "Default: from the -o extension (.jsonl, .parquet, .csv); jsonl for -o -.",
)
@click.option("--event", default=None, help="Only this event.")
@click.option("--unique-only", is_flag=True, help=UNIQUE_HELP)
@click.option("--all-captures", is_flag=True, help=ALL_CAPTURES_HELP)
@click.option("-o", "--output", required=True, help="Output file, or - for stdout.")
def export(
    archive_uri: str,
    fmt: str | None,
    event: str | None,
    unique_only: bool,
    all_captures: bool,
    output: str,
) -> None:
    """Export the on-event articles for downstream tools (pandas, DuckDB, spreadsheets): each
    article once, its latest capture (--all-captures: every capture). The format follows the
    -o extension unless --format says otherwise; -o - writes JSONL to stdout by default.

    \b
    Examples:
        newsarc export --unique-only -o articles.parquet
        newsarc export --all-captures --format csv -o captures.csv
    """
    from archive.access.api import open_archive
    from archive.articles.export import EXTENSIONS, format_of, write_export

    if fmt is None:
        fmt = "jsonl" if output == "-" else format_of(output)
        if fmt is None:
            known = ", ".join(EXTENSIONS)
            raise click.BadParameter(
                f"cannot tell the format of {output!r}: name it {known}, or give --format",
                param_hint="-o/--output",
            )
    articles = open_archive(archive_uri).stored_articles(
        event, unique=unique_only, all_captures=all_captures
    )
    with output_stream(output) as out:
        rows = write_export(articles, fmt, out)  # type: ignore[arg-type]
    what = "captures" if all_captures else "articles"
    click.echo(f"exported {rows} {what} to {output} ({fmt})", err=True)
    if rows == 0:
        sys.exit(ExitCode.NOTHING)


def check_output_dir(target: Path) -> None:
    if not target.parent.is_dir():
        raise click.BadParameter(f"no directory {target.parent}", param_hint="-o/--output")


@contextlib.contextmanager
def output_stream(output: str) -> Iterator[IO[bytes]]:
    """stdout for ``-``; else a temp file beside ``output``, renamed into place on success."""
    if output == "-":
        stdout = sys.stdout.buffer
        yield stdout
        stdout.flush()
        return
    from archive.storage.atomicfile import atomic_write

    target = Path(output)
    check_output_dir(target)
    with atomic_write(target) as out:
        yield out


@command()
@archive_option
@click.option("--event", default=None, help="The event to package (default: the only one).")
@click.option("-o", "--output", required=True, help="The .wacz file to write.")
@click.option("--title", default=None, help="Package title (default: the event's name).")
def wacz(archive_uri: str, event: str | None, output: str, title: str | None) -> None:
    """Package an event as WACZ: its WARCs, CDXJ index, pages (titles and text) and
    datapackage.json with digests; opens in ReplayWeb.page and pywb.

    \b
    Example:
        newsarc wacz --event demo-wang-yi-moscow -o demo.wacz
    """
    from archive.access.api import open_archive
    from archive.access.wacz import write_wacz

    check_output_dir(Path(output))
    arc = open_archive(archive_uri)
    event = only_event(arc, event)
    inputs = wacz_inputs(arc, event)
    result = write_wacz(Path(output), title=title or event, **inputs)
    click.echo(
        f"wrote {output}: {result.warcs} WARC files, {result.pages} pages, {result.bytes} bytes",
        err=True,
    )


def wacz_inputs(archive: Archive, event: str) -> dict[str, Any]:
    from archive.access.wacz import Page, WarcInput
    from archive.cdxj.indexing import event_index_key, stored_lines, warc_key
    from archive.errors import NotInArchive
    from archive.storage import open_object

    storage = archive.storage
    warcs = []
    for slug, name in archive.warc_files(event):
        key = warc_key(slug, name)
        info = storage.stat(key)
        opener = lambda k=key: open_object(storage, k)  # noqa: E731 - one opener per file
        warcs.append(WarcInput(name, info.size if info else None, opener))
    hint = archive.repair_hint(event)
    if not warcs:
        raise NotInArchive(
            f"no WARC files for event {event!r} in {archive.uri}; {hint}".rstrip("; ")
        )
    if storage.stat(event_index_key(event)) is None:
        fix = hint or f"run newsarc index --event {event}"
        raise NotInArchive(f"event {event!r} has no index yet: {fix}")
    pages = (
        Page(a["url"], a.get("fetched_at") or "", a.get("title"), a.get("text"), a.get("id"))
        for a in archive.stored_articles(event, all_captures=True)
    )
    return {
        "warcs": warcs,
        "cdxj_lines": stored_lines(storage, event_index_key(event)),
        "pages": pages,
        "description": f"newsarc archive of the event {event}: {archive.uri}/{event}",
    }
