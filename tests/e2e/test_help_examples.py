"""Every example that ``newsarc CMD --help`` prints runs, as printed, against the demo archive.

The examples are read from the help pages a user sees (crawler/cli/help.py puts them last) and
run in a directory laid out as after ``make demo`` (a copy of the session's demo crawl, so
``--archive``'s default ``./newsarc-data`` is the demo archive). The ``demo`` examples run first,
in that directory: after ``newsarc demo --again`` the archive has an article with two revisions,
which ``history --diff 2`` shows. Every other example runs in its own copy of the result.

Not run, because they cannot run here as printed (see :data:`NOT_RUN`): ``crawl`` and
``schedule`` crawl the real event's sites on the internet (``schedule`` also runs until
SIGTERM), ``worker`` and ``status`` need a Redis that coordinates a distributed crawl, and
``upload --resume`` needs an S3 bucket and a spool a failed upload left behind. ``replay`` runs
until Ctrl-C: it is started, asked for a page, and stopped with SIGINT (exit 0).
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import open_archive
from crawler.cli.main import main
from tests.conftest import NEWSARC, DemoCrawl
from tests.e2e.test_readme import check_replay

NOT_RUN = {
    "crawl": "crawls the real event's sites on the internet",
    "schedule": "crawls the real event on the internet, into S3, until SIGTERM",
    "worker": "a worker of a distributed crawl: needs a Redis with crawls queued",
    "status": "reads a distributed crawl's state from a Redis",
    "upload": "needs an S3 bucket and a spool left by a failed upload",
}
REPO = Path(__file__).resolve().parents[2]
SAVED_PAGE = "http://wire.test/story/2025-04-01/gw-20250401-0087/"  # extract's saved-page.html


def help_examples(*args: str) -> list[str]:
    """The example lines at the end of ``newsarc [CMD] --help``, as printed."""
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    heading = max(i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:"))
    return [line.strip() for line in lines[heading + 1 :] if line.strip()]


def all_examples() -> list[tuple[str, str]]:
    """(command, example) of every example on every help page, the top-level one included."""
    found = [(argv[1], line) for line in help_examples() for argv in [shlex.split(line)]]
    for name in sorted(main.commands):  # type: ignore[attr-defined]
        found += [(name, line) for line in help_examples(name)]
    return found


EXAMPLES = all_examples()
DEMO = [line for name, line in EXAMPLES if name == "demo" and "--serve" not in line]
SERVE = [line for name, line in EXAMPLES if name == "demo" and "--serve" in line]
RUN = [(n, line) for n, line in EXAMPLES if n not in NOT_RUN and n != "demo"]


def env_for(workdir: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(workdir / "cache")}


def run(line: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(line)
    assert argv[0] == "newsarc", line
    # the shell's globbing (bash: a pattern that matches nothing stays as it is)
    argv = [m for a in argv for m in (sorted(glob.glob(a, root_dir=workdir)) or [a])]
    return subprocess.run(
        [*NEWSARC, *argv[1:]],
        cwd=workdir,
        env=env_for(workdir),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory: pytest.TempPathFactory, demo_crawl: DemoCrawl) -> Path:
    """The demo archive after the ``demo`` examples ran in it, and a saved page."""
    workdir = tmp_path_factory.mktemp("help-examples")
    shutil.copytree(demo_crawl.out, workdir / "newsarc-data")
    shutil.copytree(REPO / "events", workdir / "events")  # make demo runs in the repository
    assert DEMO, "newsarc demo --help shows no example"
    for line in DEMO:
        proc = run(line, workdir)
        assert proc.returncode == 0, (line, proc.stderr[-3000:])
    page = open_archive(workdir / "newsarc-data").get(SAVED_PAGE).body
    (workdir / "saved-page.html").write_bytes(page)
    return workdir


def test_every_command_is_run_or_said_why_not() -> None:
    commands = set(main.commands)  # type: ignore[attr-defined]
    ran = {name for name, _ in RUN} | {"demo"}
    assert set(NOT_RUN) <= commands
    assert ran | set(NOT_RUN) == commands, commands - ran - set(NOT_RUN)


def test_the_demo_examples_ran(after_demo: Path) -> None:
    crawls = open_archive(after_demo / "newsarc-data").crawls()
    assert len(crawls) == 1 + len(DEMO) and all(c.complete for c in crawls)


@pytest.mark.parametrize(("name", "line"), RUN, ids=[line for _, line in RUN])
def test_the_example_runs(name: str, line: str, after_demo: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    shutil.copytree(after_demo, workdir)
    if name == "replay":
        check_replay(shlex.split(line), workdir, env_for(workdir))
        return
    proc = run(line, workdir)
    assert proc.returncode == 0, (line, proc.stderr[-3000:])
    assert proc.stdout or proc.stderr, line  # every example says something
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("line", SERVE)
def test_the_serve_example_serves_until_ctrl_c(line: str, tmp_path: Path) -> None:
    """``demo --serve`` runs until Ctrl-C: started (on a free port), its printed flag used to
    fetch a page through it, then stopped with SIGINT (exit 0)."""
    argv = [a if a != "8808" else "0" for a in shlex.split(line)]
    proc = subprocess.Popen(
        [*NEWSARC, *argv[1:]],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        printed = [proc.stdout.readline() for _ in range(4)]
        flag = next(p for p in printed if "--connect-to '*.test=" in p)
        address = flag.split("*.test=", 1)[1].split("'", 1)[0]
        host, port = address.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: globe.test\r\nConnection: close\r\n\r\n")
            assert conn.recv(12) == b"HTTP/1.1 200"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0
