"""Boilerplate removal on extracted lines: the general rules, never per site.

Dropped: link lists and lines that are (nearly) all link text, "Read more"/"Also read" lines,
share/print/e-mail tools, cookie, newsletter and subscription prompts, comment headers, in-body
bylines and datelines near the top, photo credits, "Topics:"/"Tags:" lines, copyright and wire
footers ("(Reporting by …; Editing by …)"), a line repeating the one before, and everything
after a comment-section header in the second half. A trailing "subscribe to continue" line is
dropped and reported, because it means the page shows a teaser. Patterns: ``extract_patterns``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace

from pipelines.extract.blocks import Line
from pipelines.extract.patterns import (
    ANYWHERE,
    BOILERPLATE,
    BYLINE,
    COMMENTS_HEADER,
    DATELINE,
    SHARE_WORDS,
    TEASER_END,
)

SHORT = 25  # words: boilerplate rules only touch lines up to this long
LINK_LINE_WORDS = 20  # a line this short that is mostly link text is navigation
LINK_DENSITY = 0.7
TOP_LINES = 4  # bylines/datelines are looked for among the first kept lines only
FIELD_LINE_WORDS = 15  # a byline, dateline or title line is no longer than this


@dataclass(frozen=True)
class Cleaned:
    lines: list[Line]
    teaser_line: bool  # a trailing "subscribe to continue reading" line was removed


def norm(text: str) -> str:
    """Comparison form: NFKC, case-folded, punctuation-free, single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def mark_links(lines: list[Line], anchors: frozenset[str]) -> list[Line]:
    """Count as link text the parts of short lines that are texts of links on the page.

    trafilatura's output keeps no links; the page's anchor texts stand in for them. A line is
    covered by the longest anchor texts found in it, left to right; a line of a single anchor
    counts whole, a partly covered one only when two or more anchors are in it (a lone word
    like "World" may be a link elsewhere and still be prose here).
    """
    out = []
    for line in lines:
        covered = _anchor_chars(line, anchors)
        if covered > line.link_chars:
            line = replace(line, link_chars=covered)
        out.append(line)
    return out


def _anchor_chars(line: Line, anchors: frozenset[str]) -> int:
    tokens = norm(line.text).split()
    if not tokens or len(tokens) > LINK_LINE_WORDS:
        return 0
    if " ".join(tokens) in anchors:
        return len(line.text.replace(" ", ""))
    covered, matches, i = 0, 0, 0
    while i < len(tokens):
        for j in range(len(tokens), i, -1):
            if " ".join(tokens[i:j]) in anchors:
                covered += sum(len(t) for t in tokens[i:j])
                matches += 1
                i = j
                break
        else:
            i += 1
    if matches < 2:
        return 0
    total = sum(len(t) for t in tokens)
    return round(len(line.text.replace(" ", "")) * covered / total)


def is_boilerplate(line: Line) -> bool:
    text = line.text.strip()
    if line.words > SHORT:
        return bool(ANYWHERE.search(text)) and line.words <= 2 * SHORT
    if BOILERPLATE.match(text) or ANYWHERE.search(text) or COMMENTS_HEADER.match(text):
        return True
    words = norm(text).split()
    return bool(words) and all(w in SHARE_WORDS for w in words)


def is_link_line(line: Line) -> bool:
    return line.words <= LINK_LINE_WORDS and line.link_density >= LINK_DENSITY


def _link_groups(lines: list[Line]) -> set[int]:
    """Groups (lists, tables) of several lines most of which are links: related-story lists."""
    by_group: dict[int, list[Line]] = {}
    for line in lines:
        by_group.setdefault(line.group, []).append(line)
    return {
        group
        for group, members in by_group.items()
        if len(members) >= 2 and sum(is_link_line(m) for m in members) >= 0.6 * len(members)
    }


def is_field_line(line: Line, title: str, authors: Iterable[str] = ()) -> bool:
    """A byline, a dateline, the title or an author's name: the article's fields, not its text
    (``clean_lines`` drops such a line among the first ``TOP_LINES``)."""
    if line.words > FIELD_LINE_WORDS:
        return False
    text = norm(line.text)
    if title and text == norm(title):
        return True
    if BYLINE.match(line.text.strip()) or DATELINE.match(line.text.strip()):
        return True
    names = {norm(a) for a in authors if a}
    return bool(names) and (text in names or text.removeprefix("by ") in names)


def cut_comments(lines: list[Line]) -> list[Line]:
    """Cut at a comment-section header ("Reader comments (2)", "Join the discussion") found in
    the second half of the text: what follows it is readers' comments, not the article."""
    for index in range(len(lines) // 2, len(lines)):
        line = lines[index]
        if line.words <= 8 and COMMENTS_HEADER.match(line.text.strip()):
            return lines[:index]
    return lines


def has_teaser_end(lines: list[Line], tail: int = 3) -> bool:
    """One of the last lines asks the reader to subscribe or sign in to continue."""
    return any(line.words <= 2 * SHORT and TEASER_END.search(line.text) for line in lines[-tail:])


def clean_lines(lines: list[Line], *, title: str = "", authors: Iterable[str] = ()) -> Cleaned:
    """Drop boilerplate lines; report whether a trailing teaser prompt was among them."""
    authors = tuple(authors)
    lines = cut_comments(lines)
    teaser = has_teaser_end(lines)
    link_groups = _link_groups(lines)
    kept: list[Line] = []
    previous = ""
    for line in lines:
        key = norm(line.text)
        if not key or line.group in link_groups or is_link_line(line):
            continue
        if is_boilerplate(line) or (len(kept) < TOP_LINES and is_field_line(line, title, authors)):
            continue
        if kept and key == previous:
            continue
        previous = key
        kept.append(line)
    while kept and kept[-1].words <= 2 * SHORT and TEASER_END.search(kept[-1].text):
        kept.pop()
    return Cleaned(kept, teaser)
