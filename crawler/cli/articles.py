"""``newsarc extract`` and ``newsarc reextract``: article extraction outside a crawl."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive.errors import ExitCode, NotInArchive
from crawler.cli.help import command


@command()
@click.argument("page", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", default=None, help="The page's URL (default: file:// of PAGE).")
@click.option("--content-type", default="text/html", show_default=True, help="As if served with.")
def extract(page: str, url: str | None, content_type: str) -> None:
    """Extract the article from a saved HTML page and print it as JSON.

    Example:

        newsarc extract saved-page.html --url https://example.org/news/1
    """
    from pipelines.extract.extractor import extract as extract_article

    path = Path(page)
    article = extract_article(
        url or path.resolve().as_uri(), {"content-type": content_type}, path.read_bytes()
    )
    if article is None:
        click.echo(f"no article found in {page}", err=True)
        sys.exit(ExitCode.NOTHING)
    click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))


@command()
@click.argument("event", required=False)
@click.option(
    "--archive",
    default="./newsarc-data",
    show_default=True,
    help="The archive: a directory or s3://bucket/prefix.",
)
@click.option("--site", default=None, metavar="HOST", help="Only this site (and subdomains).")
@click.option(
    "--since", default=None, metavar="DATE", help="Only captures on or after DATE (YYYY-MM-DD)."
)
@click.option(
    "--spool",
    default="./newsarc-spool",
    show_default=True,
    help="Local working directory when --archive is s3://.",
)
@click.option("--workers", default=0, help="Extraction processes (default: one per CPU).")
@click.option(
    "--line-model",
    is_flag=True,
    help="Let the learned line model edit each text: better on varied sites, ~75 % more CPU.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def reextract(
    event: str | None,
    archive: str,
    site: str | None,
    since: str | None,
    spool: str,
    workers: int,
    line_model: bool,
    as_json: bool,
) -> None:
    """Re-run extraction, relevance and dedup over an event's stored WARCs (no crawling).

    EVENT is an event slug in the archive or an event file (default: the archive's only
    event). The results are a new article set
    (crawl id reextract-…); the old sets are kept, and readers take each article's newest form.
    With --site (and --since), only that site's captures are re-run, e.g. after a template
    change that `newsarc health` flagged was fixed; they join the event's dedup index.

    \b
    Examples:
        newsarc reextract demo-wang-yi-moscow --archive ./newsarc-data
        newsarc reextract demo-wang-yi-moscow --site herald.test --since 2025-04-02
        newsarc reextract demo-wang-yi-moscow --line-model
    """
    import os

    from crawler.cli.analysis import day
    from crawler.event.spec import load_event
    from pipelines.analysis.offline import Selection
    from pipelines.analysis.offline import reextract as run_reextract
    from pipelines.relevance.scorer import RelevanceScorer

    since = day(since, "--since")
    if event is None:
        from archive.access.api import open_archive
        from crawler.cli.archive import only_event

        event = only_event(open_archive(archive), None)
    remote = archive.startswith("s3://")
    root = Path(spool) if remote else Path(archive)
    spec = load_event(_event_file(event, archive, root))
    event_dir = root / spec.slug
    _check_warcs(archive, spec.slug)
    selection = Selection(site, since) if site or since else None
    summary = run_reextract(
        event_dir,
        RelevanceScorer(spec.match, spec.window()),
        spec.slug,
        workers=workers or os.cpu_count() or 1,
        archive=archive,
        selection=selection,
        line_model=line_model,
    )
    data = {
        "crawl_id": summary.crawl_id,
        "responses": summary.responses,
        "articles": summary.articles,
        **dict(sorted(summary.counts.items())),
    }
    if as_json:
        click.echo(json.dumps(data, sort_keys=True))
    else:
        for key, value in data.items():
            click.echo(f"{key:>28}  {value}")
    if selection is not None and not summary.responses:
        click.echo("no captures matched --site/--since", err=True)
        sys.exit(ExitCode.NOTHING)


def _check_warcs(archive: str, slug: str) -> None:
    from archive.storage import open_storage

    storage = open_storage(archive)
    if not any(i.key.endswith(".warc.gz") for i in storage.iter(f"{slug}/warc/")):
        raise NotInArchive(f"no WARC files for {slug} in {archive}")


def _event_file(event: str, archive: str, root: Path) -> Path:
    """The event file: ``event`` itself, or the latest copy kept with the event's crawls
    (fetched into ``root`` from an s3:// archive)."""
    if Path(event).is_file():
        return Path(event)
    from archive.storage import open_storage

    storage = open_storage(archive)
    keys = sorted(i.key for i in storage.iter(f"{event}/crawls/") if i.key.endswith("/event.toml"))
    if not keys:
        raise NotInArchive(f"{event!r} is neither an event file nor an event in {archive}")
    local = root / keys[-1]
    if not local.exists():
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(storage.get_bytes(keys[-1]))
    return local
