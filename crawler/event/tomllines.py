"""Where each key and array element of a TOML document is written: ``key_lines(text)``.

``tomllib`` reports positions only for syntax errors, so error messages about *values* (wrong
type, bad URL, …) need this: a small scanner over text that ``tomllib`` has already accepted. It
understands table headers, dotted and quoted keys, inline tables, (multi-line) arrays, all four
string kinds and comments, and maps paths like ``("limits", "max_pages")`` or
``("match", "all", 1, 0)`` to 1-based lines. It never raises on odd input: what it cannot follow
it simply leaves out.
"""

from __future__ import annotations

import bisect
import contextlib
import re

Path = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_HEADER = re.compile(r"[ \t]*\[")
_SCALAR_END = re.compile(r"[,\]}\n#]")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.lines: dict[Path, int] = {}
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    @property
    def line(self) -> int:
        return bisect.bisect_left(self._newlines, self.pos) + 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def record(self, path: Path) -> None:
        self.lines.setdefault(path, self.line)

    def skip_blank(self, newlines: bool) -> None:
        """Skip spaces, tabs, comments and (if ``newlines``) line breaks."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.pos += 1
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def key(self) -> tuple[str, ...]:
        """A dotted key: bare or quoted parts separated by dots."""
        parts: list[str] = []
        while True:
            self.skip_blank(False)
            ch = self.peek()
            if ch in ('"', "'"):
                start = self.pos
                self.string()
                raw = self.text[start + 1 : self.pos - 1]
                parts.append(raw if ch == "'" else _unescape(raw))
            else:
                m = _BARE.match(self.text, self.pos)
                if not m:
                    raise ValueError("expected a key")
                parts.append(m.group())
                self.pos = m.end()
            self.skip_blank(False)
            if self.peek() != ".":
                return tuple(parts)
            self.pos += 1

    def string(self) -> None:
        """Skip one string of any of the four TOML kinds."""
        quote = self.peek()
        triple = self.peek(3) == quote * 3
        delim = quote * 3 if triple else quote
        i = self.pos + len(delim)
        while i < len(self.text):
            if quote == '"' and self.text[i] == "\\":
                i += 2
                continue
            if self.text.startswith(delim, i):
                # A multi-line string may end with up to two extra quotes: """a"""""
                end = i + len(delim)
                while triple and end < len(self.text) and self.text[end] == quote and end - i < 5:
                    end += 1
                self.pos = end
                return
            if not triple and self.text[i] == "\n":
                break
            i += 1
        raise ValueError("unterminated string")

    def value(self, path: Path) -> None:
        self.skip_blank(False)
        ch = self.peek()
        if ch in ('"', "'"):
            self.string()
        elif ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        else:
            m = _SCALAR_END.search(self.text, self.pos)
            self.pos = len(self.text) if m is None else m.start()

    def array(self, path: Path) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank(True)
            if self.peek() in ("]", ""):
                self.pos += 1
                return
            self.record((*path, index))
            self.value((*path, index))
            self.skip_blank(True)
            if self.peek() == ",":
                self.pos += 1
                index += 1
            elif self.peek() != "]":
                raise ValueError("expected ',' or ']'")

    def inline_table(self, path: Path) -> None:
        self.pos += 1
        while True:
            self.skip_blank(False)
            if self.peek() in ("}", ""):
                self.pos += 1
                return
            self.assignment(path)
            self.skip_blank(False)
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise ValueError("expected ',' or '}'")

    def assignment(self, table: Path) -> None:
        line = self.line
        key = self.key()
        for i in range(1, len(key) + 1):
            self.lines.setdefault((*table, *key[:i]), line)
        self.skip_blank(False)
        if self.peek() != "=":
            raise ValueError("expected '='")
        self.pos += 1
        self.value((*table, *key))

    def header(self) -> Path:
        double = self.peek(2) == "[["
        self.pos += 2 if double else 1
        line = self.line
        key = self.key()
        self.pos += 2 if double else 1
        for i in range(1, len(key) + 1):
            self.lines.setdefault(key[:i], line)
        return key

    def document(self) -> None:
        table: Path = ()
        while True:
            self.skip_blank(True)
            if self.pos >= len(self.text):
                return
            start = self.pos
            if _HEADER.match(self.text, self.pos):
                table = self.header()
            else:
                self.assignment(table)
            if self.pos == start:
                raise ValueError("no progress")


def _unescape(raw: str) -> str:
    try:
        return raw.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError:
        return raw


def key_lines(text: str) -> dict[Path, int]:
    """Map each key path (and array element path) written in ``text`` to its 1-based line.

    A table header maps its own path; a dotted key also maps each of its prefixes. The first
    occurrence wins. On text it cannot follow it returns what it found before the problem.
    """
    scanner = _Scanner(text)
    with contextlib.suppress(ValueError, IndexError, RecursionError):
        scanner.document()
    return scanner.lines


def line_of(lines: dict[Path, int], path: Path) -> int:
    """The line of ``path``, else of its longest recorded prefix (e.g. its table header), else 1."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1


def dotted(path: Path) -> str:
    """``("match", "all", 1)`` -> ``"match.all[1]"``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


_HEADER_LINE = re.compile(r"\s*\[\[?\s*([A-Za-z0-9_.\- ]+?)\s*\]")


def syntax_error(text: str, message: str) -> tuple[int, str, str | None]:
    """``(line, message, field)`` for a ``tomllib.TOMLDecodeError`` message about ``text``.

    The field is a best guess: the table header on the error line, else the last key written at
    or before it. tomllib's "(at line L, column C)" suffix becomes the line and "(column C)".
    """
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if m:
        line, message = int(m.group(1)), f"{message[: m.start()]} (column {m.group(2)})"
    else:
        line = max(1, len(text.rstrip().splitlines()))
        message = re.sub(r"\s*\(at end of document\)$", " (at end of file)", message)
    # tomllib names tables as tuples: "Cannot declare ('a', 'b') twice" -> "... [a.b] twice"
    message = re.sub(r"\(((?:'[^']*'(?:, )?)+),?\)", lambda t: f"[{_untuple(t.group(1))}]", message)
    return line, message, _near(text, line)


def _untuple(names: str) -> str:
    return ".".join(re.findall(r"'([^']*)'", names))


def _near(text: str, line: int) -> str | None:
    near: Path = ()
    best = 0
    for where, n in key_lines(text).items():  # the last key or element written at or before it
        if best <= n <= line:
            best, near = n, where
    named = dotted(tuple(p for p in near if isinstance(p, str))) or None
    if best == line and near and isinstance(near[-1], int):
        return named  # "[x]" inside an unclosed array is an element, not a table header
    lines = text.splitlines()
    header = _HEADER_LINE.match(lines[line - 1]) if 0 < line <= len(lines) else None
    return header.group(1).replace(" ", "") if header else named
