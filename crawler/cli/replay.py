"""``newsarc replay``: browse an archive through pywb on 127.0.0.1 (see
:mod:`archive.access.replay`).

pywb runs on gevent, whose monkey-patching must come before ``ssl`` and urllib3 are imported,
and the ``newsarc`` process has imported them long before a command runs. So the command checks
its input here (bad input: exit 2; nothing to replay: exit 4), then replaces the process
(``exec``: same PID, so Ctrl-C and SIGTERM reach the server) with a fresh interpreter that
patches first, then runs :func:`serve_main`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import click

from crawler.cli.help import command

# what the exec'd interpreter runs: patch first, import anything else after
BOOT = (
    "from gevent import monkey; monkey.patch_all(); "
    "import sys, crawler.cli.replay as r; sys.exit(r.serve_main(sys.argv[1:]))"
)


@command()
@click.option(
    "--archive",
    "archive_uri",
    default="./newsarc-data",
    show_default=True,
    help="The archive: a directory or s3://bucket/prefix.",
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0: any free port; the URL printed has the real one).",
)
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar="SLUG",
    help="Replay this event (repeatable). Default: every event with an index.",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory for indexes copied from S3, kept between runs. Default: a temporary one.",
)
def replay(archive_uri: str, port: int, events: tuple[str, ...], cache: str | None) -> None:
    """Browse archived pages in a web browser, through pywb, on 127.0.0.1 only.

    Each event is a collection: http://127.0.0.1:PORT/SLUG/TIMESTAMP/URL (TIMESTAMP may be
    cut short or left out: the closest capture is shown); /all/ holds every event. Append id_
    to the timestamp for the archived response unrewritten. Runs until Ctrl-C.

    \b
    Examples:
        newsarc replay --archive ./newsarc-data --port 8080
        newsarc replay --event demo-wang-yi-moscow --port 0
    """
    from archive.access.replay import events_with_index, select_events
    from archive.errors import StorageError
    from archive.storage import open_storage

    try:
        storage = open_storage(archive_uri)
    except StorageError as exc:  # a malformed URI
        raise click.BadParameter(str(exc), param_hint="--archive") from None
    available = events_with_index(storage)  # storage failures keep their own exit code
    select_events(available, events, storage.uri)  # nothing to replay: NotInArchive, exit 4
    exec_server({"archive": archive_uri, "port": port, "events": list(events), "cache": cache})


def exec_server(options: dict[str, object]) -> NoReturn:
    """Replace this process with ``python -P -c BOOT OPTIONS-JSON``: the same code (its root on
    PYTHONPATH unless it is installed in site-packages), never a module of the working directory
    (``-P``), the same PID."""
    import site

    code_root = str(Path(__file__).resolve().parent.parent)
    sites = {str(Path(p).resolve()) for p in [*site.getsitepackages(), site.getusersitepackages()]}
    env = dict(os.environ)
    if code_root not in sites:
        paths = [code_root, *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-P", "-c", BOOT, json.dumps(options)], env)


def serve_main(argv: Sequence[str]) -> int:
    """The exec'd server: ``argv[0]`` is the options JSON. Returns the exit code."""
    from archive.access.replay import run
    from archive.errors import NewsarcError

    options = json.loads(argv[0])
    cache = options["cache"]
    try:
        run(
            options["archive"],
            port=int(options["port"]),
            events=options["events"] or None,
            cache_dir=Path(cache) if cache else None,
        )
    except NewsarcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # Ctrl-C before the server's own handler was installed
        pass
    return 0
