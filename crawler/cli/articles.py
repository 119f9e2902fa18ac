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
@click.option("--archive", default="./newsarc-data", show_default=True, help="Archive directory.")
@click.option("--workers", default=0, help="Extraction processes (default: one per CPU).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def reextract(event: str | None, archive: str, workers: int, as_json: bool) -> None:
    """Re-run extraction, relevance and dedup over an event's stored WARCs (no crawling).

    EVENT is an event slug in the archive or an event file (default: the archive's only event).

    Example:

        newsarc reextract demo-wang-yi-moscow --archive ./newsarc-data
    """
    import os

    from crawler.event.spec import load_event
    from pipelines.analysis.offline import reextract as run_reextract
    from pipelines.relevance.scorer import RelevanceScorer

    if event is None:
        from archive.access.api import open_archive
        from crawler.cli.archive import only_event

        event = only_event(open_archive(archive), None)
    spec = load_event(_event_file(event, Path(archive)))
    event_dir = Path(archive) / spec.slug
    if not (event_dir / "warc").is_dir():
        raise NotInArchive(f"no WARC files for {spec.slug} under {archive}")
    summary = run_reextract(
        event_dir,
        RelevanceScorer(spec.match, spec.window()),
        spec.slug,
        workers=workers or os.cpu_count() or 1,
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


def _event_file(event: str, archive: Path) -> Path:
    if Path(event).is_file():
        return Path(event)
    copies = sorted((archive / event / "crawls").glob("*/event.toml"))
    if not copies:
        raise NotInArchive(f"{event!r} is neither an event file nor an event in {archive}")
    return copies[-1]
