"""The README's command synopsis ("## The command line") lists every command and every option.

The commands and their options come from the click group itself (``crawler.cli.main.main``), so
adding a command or an option without documenting it in the synopsis fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from crawler.cli.main import main

README = Path(__file__).resolve().parents[3] / "README.md"
PROGRAM = "newsarc"
LONG_OPTION = re.compile(r"(?<![\w-])--[A-Za-z0-9][\w-]*")


def synopsis_block() -> str:
    """The first code block of the README's "## The command line" section."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## The command line\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end > 0 else None]
    match = re.search(r"```[^\n]*\n(.*?)```", section, flags=re.S)
    assert match, "no code block in '## The command line'"
    return match.group(1)


def synopses() -> dict[str, str]:
    """``{"crawl": "newsarc crawl EVENT_FILE [--out DIR] …", …}``: a command's lines, joined.

    A synopsis starts with ``newsarc COMMAND`` at the start of a line and goes on over the
    indented lines after it. A command of a subgroup is keyed by its path (``"group sub"``).
    """
    out: dict[str, str] = {}
    current: str | None = None
    for line in synopsis_block().splitlines():
        if line.startswith(f"{PROGRAM} "):
            words = line.split()[1:]
            path = " ".join(w for w in _leading_names(words))
            assert path not in out, f"two synopses for '{PROGRAM} {path}'"
            current = path
            out[current] = line
        elif line[:1].isspace() and line.strip() and current is not None:
            out[current] += " " + line.strip()
        elif line.strip():
            current = None
    return out


def _leading_names(words: list[str]) -> Iterator[str]:
    """The command path at the start of a synopsis: lower-case words before any argument."""
    for word in words:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            return
        yield word


def commands(
    group: click.Group = main, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, click.Command]]:
    """Every leaf command of the CLI as ``("group sub", command)``, from click's own registry."""
    ctx = click.Context(group, info_name=PROGRAM)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if command.hidden:
            continue
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from commands(command, path)
        else:
            yield " ".join(path), command


def long_options(command: click.Command) -> set[str]:
    """The command's visible long options (``--flag`` and ``--no-flag`` forms), without --help."""
    names: set[str] = set()
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        for opt in (*param.opts, *param.secondary_opts):
            if opt.startswith("--"):
                names.add(opt)
    return names - {"--help"}


COMMANDS = dict(commands())


def test_the_cli_has_commands() -> None:
    assert {"crawl", "demo", "get", "search", "export"} <= set(COMMANDS)


def test_every_command_has_a_synopsis() -> None:
    missing = sorted(set(COMMANDS) - set(synopses()))
    assert not missing, f"commands missing from the README synopsis: {missing}"


def test_every_synopsis_names_a_real_command() -> None:
    unknown = sorted(set(synopses()) - set(COMMANDS))
    assert not unknown, f"README synopsis lines for commands that do not exist: {unknown}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_synopsis_lists_every_option(name: str) -> None:
    documented = set(LONG_OPTION.findall(synopses().get(name, "")))
    missing = sorted(long_options(COMMANDS[name]) - documented)
    assert not missing, f"'{PROGRAM} {name}' options missing from the README synopsis: {missing}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_synopsis_lists_no_unknown_option(name: str) -> None:
    documented = set(LONG_OPTION.findall(synopses().get(name, "")))
    unknown = sorted(documented - long_options(COMMANDS[name]))
    assert not unknown, f"'{PROGRAM} {name}' has no such options (README synopsis): {unknown}"
