"""The search query language: what users type, compiled to a safe SQLite FTS5 expression.

``word word`` all must match, ``"a phrase"``, ``word OR word``, ``-word`` / ``-"a phrase"`` /
``NOT word`` exclude, ``word*`` / ``"a phr"*`` prefix; ``AND`` is accepted and implied. Anything
else (FTS5 keywords such as ``NEAR``, column filters ``col:``, parentheses, SQL) is only text:
every term is emitted as an FTS5 string, so user input never reaches the FTS5 parser as syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from archive.errors import SearchQueryError

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# a (possibly negated, possibly unterminated) quoted phrase with an optional prefix star, or a word
_PIECE = re.compile(r'(?P<neg>-?)"(?P<phrase>[^"]*)"?(?P<star>\*?)|(?P<word>[^\s"]+)')


class SearchError(SearchQueryError, ValueError):
    """A search that cannot be run: empty query, only operators or exclusions, a bad filter."""


def _fts_string(text: str, prefix: bool) -> str:
    quoted = '"' + text.replace('"', '""') + '"'
    return quoted + " *" if prefix else quoted


def _pieces(query: str) -> Iterator[tuple[str, bool, bool] | str]:
    """(text, negated, prefix) per term, or an operator: ``OR``, ``AND``, ``NOT``."""
    for m in _PIECE.finditer(query.replace("\x00", " ")):  # FTS5 strings end at NUL
        word = m["word"]
        if word is None:
            yield m["phrase"], bool(m["neg"]), bool(m["star"])
        elif word in ("OR", "AND", "NOT"):
            yield word
        else:
            negated = word.startswith("-") and len(word) > 1
            text = word[1:] if negated else word
            yield text.rstrip("*"), negated, text.endswith("*")


def compile_query(query: str) -> str:
    """A safe FTS5 expression for a user's query; :class:`SearchError` if nothing to search.

    Every term becomes an FTS5 string (``"..."``, quotes doubled), so FTS5 operators, column
    filters and syntax characters in the input are only text. ``a b OR c d`` is
    ``a AND (b OR c) AND d``; terms without a letter or digit are dropped.
    """
    groups: list[list[str]] = []
    negatives: list[str] = []
    join_next = negate_next = last_positive = False
    for piece in _pieces(query):
        if isinstance(piece, str):
            join_next = piece == "OR" and last_positive
            negate_next = piece == "NOT"
            continue
        text, negated, prefix = piece
        if not any(ch.isalnum() for ch in text):
            continue
        term = _fts_string(text, prefix)
        if negated or negate_next:
            negatives.append(term)
            last_positive = False
        else:
            if join_next:
                groups[-1].append(term)
            else:
                groups.append([term])
            last_positive = True
        join_next = negate_next = False
    if not groups:
        what = "only exclusions" if negatives else "no words to look for"
        raise SearchError(f"cannot search {query!r}: {what}")
    expr = " AND ".join(g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")" for g in groups)
    return "".join([f"({expr})", *(f" NOT {n}" for n in negatives)])


def parse_day(value: str, name: str) -> str:
    """A ``YYYY-MM-DD`` filter value, checked; :class:`SearchError` names ``name`` if not."""
    if not _DAY.fullmatch(value):
        raise SearchError(f"{name} must be a date YYYY-MM-DD, not {value!r}")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise SearchError(f"{name} is not a valid date: {value!r}") from None
