"""Article revisions: did a re-fetched article change in substance, and by how many words.

Pure (no Scrapy). Two texts of one URL are the same revision when they are equal after
normalisation: whitespace collapsed, and lines that only say when the page was updated,
published or printed removed ("Updated 12:05 GMT", "Last updated: 2 April 2025", a bare
date or time). Anything else — a word added, removed or changed — is a new revision.
:func:`word_diff` gives the word-level change (what ``newsarc history --diff`` prints).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_STAMP_LINE = re.compile(
    r"""^\s*(?:
        (?:last\s+)?(?:updated|modified|published|posted|printed|edited)\b[^\n]{0,80}
      | [\w ,.:/+-]{0,40}\b\d{1,2}[:.]\d{2}\b[\w ,.:/+-]{0,20}   # a time, alone on its line
      | \d{1,4}[-./ ]\w{1,9}[-./ ]\d{1,4}                          # a date, alone on its line
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"\S+")


def substance(text: str) -> tuple[str, ...]:
    """The words of ``text`` that matter for a revision (stamp lines out, spacing ignored)."""
    kept = [line for line in text.splitlines() if not _STAMP_LINE.match(line)]
    return tuple(_WORD.findall("\n".join(kept)))


@dataclass(frozen=True)
class Change:
    words_added: int
    words_removed: int
    similarity: float  # 0-1, difflib's ratio over the substance words


def compare(previous: str, current: str) -> Change | None:
    """None when ``current`` is the same revision as ``previous``, else how it changed."""
    old, new = substance(previous), substance(current)
    if old == new:
        return None
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    added = removed = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "delete"):
            removed += i2 - i1
        if op in ("replace", "insert"):
            added += j2 - j1
    return Change(added, removed, round(matcher.ratio(), 3))


def word_diff(previous: str, current: str) -> str:
    """A word diff in wdiff's notation: ``[-removed-]`` and ``{+added+}``."""
    old, new = _WORD.findall(previous), _WORD.findall(current)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += old[i1:i2]
            continue
        if i2 > i1:
            out.append("[-" + " ".join(old[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(new[j1:j2]) + "+}")
    return " ".join(out)
