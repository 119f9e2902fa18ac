"""Where an archive lives, and ``newsarc upload --resume``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive.errors import ExitCode
from crawler.cli.help import command


def archive_location(out: str, spool: str) -> tuple[str, str | None]:
    """(local working directory, storage URI or None) for ``--out`` and ``--spool``."""
    if out.startswith("s3://"):
        return spool, out
    return out, None


@command()
@click.option(
    "--resume", is_flag=True, required=True, help="Upload what a crawl left in the spool."
)
@click.option("--out", required=True, help="The archive: s3://bucket/prefix (or a directory).")
@click.option("--spool", default="./newsarc-spool", show_default=True, help="The local spool.")
@click.option("--keep-local", is_flag=True, help="Keep spooled files after a verified upload.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def upload(resume: bool, out: str, spool: str, keep_local: bool, as_json: bool) -> None:
    """Finish uploads a crawl could not complete (the store was down): every spooled file is
    uploaded and verified, then each crawl's manifest is written.

    Example:

        newsarc upload --resume --out s3://news-archive/events --spool ./newsarc-spool
    """
    from archive.cdxj.indexing import index_warc_file, merge_stored_crawl
    from archive.state.sqlite import STATE_FILE
    from archive.storage import open_storage
    from archive.storage.uploader import PENDING, Uploader
    from archive.warc.repair import repair_directory

    root = Path(spool)
    if not root.is_dir():
        raise click.BadParameter(f"no spool at {spool}", param_hint="--spool")
    repair_directory(root, on_repaired=index_warc_file)  # their indexes go up with them
    uploader = Uploader(open_storage(out), root, keep_local=keep_local)
    kept = {"index.sqlite", STATE_FILE}  # continued by the next crawl of the event
    queued = len(uploader.submit_tree(root, keep=lambda path: path.name in kept))
    done = uploader.drain()
    manifests = 0
    for pending in sorted(root.rglob(PENDING)):
        data = json.loads(pending.read_text())
        keys = data.pop("keys")
        if done:  # the event's index is shared by its crawls, so no manifest lists it
            merge_stored_crawl(uploader.storage, data["event"], data["crawl_id"], root)
        if done and uploader.write_manifest(data["event"], data["crawl_id"], data, keys):
            manifests += 1
    uploader.close()
    left = sorted(root.rglob(PENDING))
    result = {
        "queued": queued,
        "uploaded": uploader.stats.uploaded,
        "manifests": manifests,
        "pending_manifests": len(left),
    }
    click.echo(
        json.dumps(result)
        if as_json
        else f"uploaded {result['uploaded']} of {queued} files, wrote {manifests} manifests"
    )
    sys.exit(ExitCode.OK if done and not left else ExitCode.STORAGE)
