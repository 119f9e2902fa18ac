"""Help pages that end with an example, the way sqlite-utils' do.

A command's docstring keeps its example in an ``Example:`` (or ``Examples:``) paragraph, where
it reads naturally in the source; :class:`ExampleCommand` moves that paragraph after the
options list, so ``newsarc CMD --help`` always ends with something to copy and paste.
"""

from __future__ import annotations

import re
from typing import Any

import click

_EXAMPLE = re.compile(r"\n\s*(?:\x08\n\s*)?Examples?:\s*\n", re.MULTILINE)


def split_example(text: str) -> tuple[str, str | None]:
    """(help before the example, the example lines) of a docstring."""
    match = _EXAMPLE.search(text)
    if match is None:
        return text, None
    lines = [line.strip() for line in text[match.end() :].splitlines()]
    example = "\n".join(line for line in lines if line and line != "\b")
    return text[: match.start()].rstrip(), example


class ExampleMixin:
    help: str | None
    example: str | None

    def _split(self) -> None:
        if self.help:
            self.help, self.example = split_example(self.help)
        else:
            self.example = None

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)  # type: ignore[misc]
        if self.example:
            formatter.write_paragraph()
            many = len(self.example.splitlines()) > 1
            formatter.write_text("Examples:" if many else "Example:")
            with formatter.indentation():
                for line in self.example.splitlines():
                    formatter.write(f"{' ' * formatter.current_indent}{line}\n")


class ExampleCommand(ExampleMixin, click.Command):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._split()


class ExampleGroup(ExampleMixin, click.Group):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._split()


def command(**kwargs: Any) -> Any:
    """``click.command`` with the example at the end of ``--help``."""
    return click.command(cls=ExampleCommand, **kwargs)
