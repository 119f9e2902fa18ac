"""The newsarc command: help examples, clear errors for bad input, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.conftest import newsarc

COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_ends_with_an_example(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    text = result.output.rstrip()
    example = text.rsplit("Example:", 1)
    assert len(example) == 2, f"{command} --help has no Example:"
    assert example[1].strip().startswith(f"newsarc {command}")


def test_malformed_event_file_exits_2_naming_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[event]\nname = "x"\nslug = "x"\nstart = 2025-04-01\nend = 2025-04-02\n'
        'languages = ["en"]\n'
        '[match]\nall = [["x"]]\n[sources]\nseeds = ["http://example.org/"]\n'
        '[limits]\nmax_pages = "ten"\n'
        '[politeness]\nuser_agent = "bot (+https://example.org/bot)"\n'
    )
    result = newsarc("crawl", str(bad))
    assert result.returncode == 2
    assert f"{bad}:12: limits.max_pages" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_event_file_is_a_clear_error(tmp_path: Path) -> None:
    result = newsarc("crawl", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "nope.toml" in result.stderr and "Traceback" not in result.stderr


def test_connect_to_needs_host_equals_target(tmp_path: Path) -> None:
    result = newsarc("crawl", str(tmp_path / "x.toml"), "--connect-to", "globe.test")
    assert result.returncode == 2
    assert "HOST=IP:PORT" in result.stderr


def test_repair_with_nothing_to_do(tmp_path: Path) -> None:
    result = newsarc("repair", str(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip() == "nothing to repair"
