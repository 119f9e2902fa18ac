"""The README's "Retrieve and analyse" examples run, as written, against the demo archive."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import NEWSARC, DemoCrawl

README = Path(__file__).resolve().parents[2] / "README.md"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def commands() -> list[list[str]]:
    (sh,) = blocks(section("Retrieve and analyse"), "sh")
    lines = [line.split("  #")[0].strip() for line in sh.splitlines()]
    return [shlex.split(line) for line in lines if line]


@pytest.fixture
def workdir(tmp_path: Path, demo_crawl: DemoCrawl) -> Path:
    """A directory laid out as after `make demo` (a copy: `newsarc index` rewrites indexes)."""
    shutil.copytree(demo_crawl.out, tmp_path / "newsarc-data")
    return tmp_path


def env_for(workdir: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(workdir / "cache")}


def test_the_section_covers_every_retrieval_command() -> None:
    names = {argv[1] for argv in commands()}
    assert names >= {"list", "get", "search", "export", "wacz", "replay", "index"}


def test_the_shell_examples_run(workdir: Path) -> None:
    env = env_for(workdir)
    for argv in commands():
        assert argv[0] == "newsarc"
        if argv[1] == "replay":
            check_replay(argv, workdir, env)
            continue
        proc = subprocess.run(
            [*NEWSARC, *argv[1:]], cwd=workdir, env=env, capture_output=True, timeout=300
        )
        assert proc.returncode == 0, (argv, proc.stderr.decode()[-2000:])
        assert proc.stdout or proc.stderr, argv  # every example says something
    assert (workdir / "articles.parquet").stat().st_size > 1000
    assert (workdir / "demo.wacz").stat().st_size > 10_000
    assert (workdir / "articles.csv").read_text().startswith("id,url,")


def check_replay(argv: list[str], workdir: Path, env: dict[str, str]) -> None:
    argv = [a if a != "8080" else "0" for a in argv]  # a free port
    proc = subprocess.Popen(
        [*NEWSARC, *argv[1:]],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the server says where it listens
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + (proc.stderr.read() if proc.poll() is not None else "")
        url = f"{match.group(0)}demo-wang-yi-moscow/2026id_/http://wire.test/robots.txt"
        deadline = time.monotonic() + 30
        while True:  # poll readiness with a deadline
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    assert resp.status == 200 and b"User-agent" in resp.read()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_the_python_example_runs(workdir: Path) -> None:
    proc = subprocess.run(
        [*NEWSARC, "export", "--format", "parquet", "--unique-only", "-o", "articles.parquet"],
        cwd=workdir,
        env=env_for(workdir),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    (code,) = blocks(section("Retrieve and analyse"), "python")
    ran = subprocess.run(
        [sys.executable, "-c", code],
        cwd=workdir,
        env={**env_for(workdir), "PYTHONPATH": str(README.parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert "200 text/html" in ran.stdout and "unique" in ran.stdout


def subsection(title: str) -> str:
    text = README.read_text()
    start = text.index(f"### {title}\n")
    ends = [i for i in (text.find("\n## ", start + 1), text.find("\n### ", start + 1)) if i > 0]
    return text[start : min(ends) if ends else None]


def test_the_crawl_your_own_event_recipe_runs(tmp_path: Path) -> None:
    """Quick start, "Crawl your own event against the demo web": serve, write the event file,
    crawl it with the printed flag, list and search it; as written, on a free port."""
    text = subsection("Crawl your own event against the demo web")
    serve_block, crawl_block = blocks(text, "sh")
    (toml,) = blocks(text, "toml")
    (tmp_path / "my-event.toml").write_text(toml)
    (serve,) = [shlex.split(line) for line in serve_block.splitlines() if line.strip()]
    assert serve[:3] == ["newsarc", "demo", "--serve"] and "8808" in serve
    server = subprocess.Popen(
        [*NEWSARC, *[a if a != "8808" else "0" for a in serve[1:]], "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert server.stdout is not None
        address = json.loads(server.stdout.readline())["address"]  # printed once it listens
        outputs = {}
        for line in crawl_block.splitlines():
            if not line.strip():
                continue
            argv = shlex.split(line.split("  #")[0].replace("127.0.0.1:8808", address))
            assert argv[0] == "newsarc"
            proc = subprocess.run(
                [*NEWSARC, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=300
            )
            assert proc.returncode == 0, (argv, proc.stderr[-2000:])
            assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
            outputs[argv[1]] = proc.stdout
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert server.returncode == 0
    assert "lavrov-ukraine" in outputs["list"]
    assert "[Lavrov]" in outputs["search"] and "Ukraine" in outputs["search"]
