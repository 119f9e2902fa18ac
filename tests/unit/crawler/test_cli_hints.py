"""The demo's "Next:" hints name the command as the user can type it."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from crawler.cli.main import command_name


def _script(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_not_on_path_the_hint_is_the_path_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _script(tmp_path / ".venv" / "bin" / "newsarc")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [".venv/bin/newsarc", "demo"])
    monkeypatch.setenv("PATH", "/nonexistent")
    assert command_name() == os.path.join(".venv", "bin", "newsarc")
    monkeypatch.setenv("PATH", str(script.parent))  # activated: the shell finds this one
    assert command_name() == "newsarc"


def test_run_as_a_module_the_hint_is_newsarc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/somewhere/crawler/__main__.py", "demo"])
    assert command_name() == "newsarc"
