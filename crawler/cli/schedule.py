"""``newsarc schedule``: crawl events again and again, in the foreground, until SIGTERM.

What systemd, a container or ``nohup`` runs. Each event file needs a ``[schedule]`` table
(``every = "30m"`` or ``cron = "*/30 * * * *"``, optional ``until`` and ``jitter``). Each crawl
is a ``newsarc crawl`` subprocess (a Twisted reactor cannot restart), so one event's crawl never
overlaps the next (it starts when the previous one has ended) and events run side by side.
One line per run is logged (``--json``: one JSON object). SIGTERM or Ctrl-C: no new crawl
starts, running ones get SIGTERM (they finish their WARCs and manifests), then it exits 0.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import click

from archive.errors import EventFileError, ExitCode
from crawler.cli.help import command


@dataclass
class Job:
    path: str
    slug: str
    schedule: Any
    next_at: datetime | None
    runs: int = 0
    proc: subprocess.Popen[str] | None = None
    started: datetime | None = None
    started_clock: float = 0.0
    last: dict[str, Any] = field(default_factory=dict)


@command()
@click.argument("event_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--out", default="./newsarc-data", show_default=True, help="Archive: a directory or s3://…."
)
@click.option("--spool", default="./newsarc-spool", show_default=True, help="Spool for s3://.")
@click.option("--allow-private-addresses", is_flag=True, help="Allow loopback/private targets.")
@click.option(
    "--connect-to", multiple=True, metavar="HOST=IP:PORT", help="Connect HOST to IP:PORT."
)
@click.option(
    "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Passed to each crawl."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run.")
def schedule(
    event_files: tuple[str, ...],
    out: str,
    spool: str,
    allow_private_addresses: bool,
    connect_to: tuple[str, ...],
    overrides: tuple[str, ...],
    as_json: bool,
) -> None:
    """Crawl each EVENT_FILE on its [schedule] until stopped (SIGTERM, Ctrl-C).

    \b
    Example:
        newsarc schedule events/wang-yi-moscow-2025.toml --out s3://news-archive/events
    """
    from crawler.event.spec import load_event
    from crawler.policy.timetable import next_start

    jobs = []
    broken: list[str] = []  # every problem of every file, then exit 2
    for path in event_files:
        try:
            event = load_event(path)
        except EventFileError as exc:
            broken.append(str(exc))
            continue
        if event.schedule is None:
            broken.append(f'{path}: no [schedule] table (e.g. every = "30m")')
            continue
        first = next_start(event.schedule, None, datetime.now(UTC))
        jobs.append(Job(path, event.slug, event.schedule, first))
    for message in broken:
        click.echo(f"error: {message}", err=True)
    if broken:
        sys.exit(ExitCode.INPUT)
    args = ["--out", out, "--spool", spool, "--json"]
    args += ["--allow-private-addresses"] if allow_private_addresses else []
    for value in connect_to:
        args += ["--connect-to", value]
    for value in overrides:
        args += ["-s", value]
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()
        for job in jobs:
            if job.proc is not None and job.proc.poll() is None:
                job.proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    _loop(jobs, args, stop, as_json, next_start)
    sys.exit(0)


def _loop(
    jobs: list[Job], args: list[str], stop: threading.Event, as_json: bool, next_start: Any
) -> None:
    while True:
        now = datetime.now(UTC)
        for job in jobs:
            if job.proc is not None and job.proc.poll() is not None:
                _finished(job, as_json)
                job.next_at = next_start(job.schedule, job.started, datetime.now(UTC))
            if stop.is_set() or job.proc is not None or job.next_at is None:
                continue
            if job.next_at <= now:
                _start(job, args)
        running = [j for j in jobs if j.proc is not None]
        if stop.is_set() and not running:
            return
        if not running and all(j.next_at is None for j in jobs):
            return  # every schedule is past its `until`
        waits = [(j.next_at - now).total_seconds() for j in jobs if j.next_at and not j.proc]
        # wake for the next start, a signal, or (while crawls run) to reap them
        stop.wait(min([*waits, 0.2 if running else 60.0]) if waits or running else 60.0)


def _start(job: Job, args: list[str]) -> None:
    job.runs += 1
    job.started = datetime.now(UTC)
    job.started_clock = time.monotonic()
    job.proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "crawl", job.path, *args],
        stdout=subprocess.PIPE,
        stderr=None,  # the crawl's warnings and errors reach the user as they happen
        text=True,
    )


def _finished(job: Job, as_json: bool) -> None:
    assert job.proc is not None and job.started is not None
    stdout, _ = job.proc.communicate()
    code = job.proc.returncode
    seconds = time.monotonic() - job.started_clock
    try:
        report = json.loads(stdout) if stdout.strip() else {}
    except ValueError:
        report = {}
    line = {
        "event": job.slug,
        "run": job.runs,
        "started": job.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(seconds, 1),
        "exit": code,
        "pages": report.get("pages"),
        "articles": report.get("articles"),
    }
    job.proc = None
    job.last = line
    if as_json:
        click.echo(json.dumps(line))
    else:
        click.echo(
            f"{line['started']} {job.slug} run {job.runs}: exit {code} in {seconds:.1f} s "
            f"({line['pages']} pages, {line['articles']} articles)"
        )
    sys.stdout.flush()
