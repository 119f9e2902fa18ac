"""Extractor output (trafilatura's XML body or readability's HTML) → lines of text in groups.

A ``Line`` is one line of output text; lines of the same ``group`` (the items of a list, the rows of
a table, the lines of a paragraph broken by ``<br>``) are joined by a newline, groups by a blank
line. Each line remembers how much of its text was link text, so link lists can be dropped later.
Both extractors' trees go through the same walker, so their outputs compare like for like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

BREAKS = frozenset({"lb", "br"})
CONTAINERS = frozenset({"list", "ul", "ol", "dl", "table"})
PARAGRAPHS = frozenset(
    {"p", "head", "h1", "h2", "h3", "h4", "h5", "h6", "quote", "blockquote", "pre", "code",
     "div", "section", "article", "main", "header", "footer", "aside", "figure", "details",
     "summary", "address", "center", "form", "fieldset", "body", "html"}
)  # fmt: skip
LINE_STARTS = frozenset({"item", "li", "row", "tr", "dt", "dd", "caption"})
CELLS = frozenset({"cell", "td", "th"})
LINKS = frozenset({"ref", "a"})
SKIP = frozenset(
    {"script", "style", "noscript", "template", "graphic", "img", "svg", "figcaption", "button",
     "select", "option", "textarea", "input", "iframe", "object", "video", "audio", "picture",
     "source", "nav", "label"}
)  # fmt: skip
HEADINGS = frozenset({"head", "h1", "h2", "h3", "h4", "h5", "h6"})
KINDS = {"item": "item", "li": "item", "dt": "item", "dd": "item", "row": "row", "tr": "row",
         "quote": "quote", "blockquote": "quote", "pre": "code", "code": "code"}  # fmt: skip
CELL_MARK = "\x1f"  # survives whitespace normalisation; becomes a tab
SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")


@dataclass(frozen=True)
class Line:
    text: str
    group: int
    kind: str = "p"  # p, head, item, row, quote, code
    link_chars: int = 0

    @property
    def link_density(self) -> float:
        chars = len(self.text.replace(" ", ""))
        return min(1.0, self.link_chars / chars) if chars else 0.0

    @property
    def words(self) -> int:
        return len(self.text.split())


def _tag(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


class _Walker:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.buf: list[str] = []
        self.link_chars = 0
        self.group = 0
        self.kinds: list[str] = ["p"]
        self.containers = 0

    def flush(self) -> None:
        text = SPACES.sub(" ", "".join(self.buf)).strip()
        if text:
            links = min(self.link_chars, len(text.replace(" ", "")))
            self.lines.append(Line(text, self.group, self.kinds[-1], links))
        self.buf = []
        self.link_chars = 0

    def text(self, value: str | None, in_link: bool) -> None:
        if not value:
            return
        value = value.replace("\n", " ")
        self.buf.append(value)
        if in_link:
            self.link_chars += len(value.replace(" ", "").strip())

    def visit(self, el: etree._Element, in_link: bool = False) -> None:
        tag = _tag(el)
        if tag in SKIP or not tag:
            self.text(el.tail, in_link)
            return
        if tag in BREAKS:
            self.flush()
            self.text(el.tail, in_link)
            return
        self.enter(tag)
        self.text(el.text, in_link or tag in LINKS)
        for child in el:
            self.visit(child, in_link or tag in LINKS)
        self.leave(tag)
        self.text(el.tail, in_link)

    def enter(self, tag: str) -> None:
        if tag in CELLS:
            self.buf.append(CELL_MARK)
            return
        if tag in CONTAINERS or tag in PARAGRAPHS or tag in LINE_STARTS:
            self.flush()
            if not self.containers and tag not in LINE_STARTS:
                self.group += 1
            kind = "head" if tag in HEADINGS else KINDS.get(tag, self.kinds[-1])
            self.kinds.append(kind)
        if tag in CONTAINERS:
            self.containers += 1

    def leave(self, tag: str) -> None:
        if tag in CONTAINERS:
            self.containers -= 1
        if tag in CONTAINERS or tag in PARAGRAPHS or tag in LINE_STARTS:
            self.flush()
            self.kinds.pop()
            if not self.containers and tag not in LINE_STARTS:
                self.group += 1


def lines_of(root: etree._Element | None) -> list[Line]:
    """The lines of an extractor's output tree, in document order."""
    if root is None:
        return []
    walker = _Walker()
    walker.visit(root)
    walker.flush()
    # cell separators may lead or trail a row; tabs inside the text stay as column breaks
    return [_cells(line) for line in walker.lines if line.text.strip(CELL_MARK + " ")]


def _cells(line: Line) -> Line:
    if CELL_MARK not in line.text:
        return line
    cells = (cell.strip() for cell in line.text.split(CELL_MARK))
    text = "\t".join(cell for cell in cells if cell)
    return Line(text, line.group, line.kind, min(line.link_chars, len(text)))


def join_lines(lines: list[Line]) -> str:
    """Lines of a group joined by a newline, groups by a blank line."""
    out: list[str] = []
    previous: int | None = None
    for line in lines:
        if previous is not None:
            out.append("\n" if line.group == previous else "\n\n")
        out.append(line.text)
        previous = line.group
    return "".join(out)
