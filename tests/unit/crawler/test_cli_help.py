"""Every ``newsarc`` command's ``--help`` ends with an example of that command."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from crawler.cli.main import main

COMMANDS = sorted(main.commands)


def help_lines(*args: str) -> list[str]:
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return [line for line in result.output.splitlines() if line.strip()]


def test_the_retrieval_commands_are_there() -> None:
    assert {"get", "list", "search", "export", "wacz", "replay", "index"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_help_ends_with_an_example_of_the_command(name: str) -> None:
    lines = help_lines(name)
    heading = max(i for i, line in enumerate(lines) if line in ("Example:", "Examples:"))
    examples = [line.strip() for line in lines[heading + 1 :]]
    assert examples, f"{name}: nothing after the example heading"
    assert all(e.startswith(f"newsarc {name}") for e in examples), examples
    options = max(i for i, line in enumerate(lines) if line.startswith("Options:"))
    assert heading > options  # after the options: the last thing on the page


def test_the_top_level_help_ends_with_examples() -> None:
    lines = help_lines()
    assert lines[-4] == "Examples:" and all(x.strip().startswith("newsarc ") for x in lines[-3:])
    assert isinstance(main, click.Group)
