"""Story terms in memory: which stories have which names (or language-neutral keys) on which days.

``Store`` keeps the ``story_terms`` and ``cross_terms`` tables in SQLite (what a reopened index
reads back) and answers the matcher's question from this copy: the stories sharing the most of
an article's terms within a window of days. SQLite answered it with a grouped range query per
article (~200 µs of CPU: a name of many stories has a few hundred rows in the window); here each
term holds a sorted ``array('q')`` of ``day << 32 | story`` (8 bytes a row, appended in place as
articles arrive in time order), cut by binary search and counted with numpy.

The answer is the SQL query's, row for row: the terms in ascending order, each term's rows in the
window in (day, story) order, the first ``limit`` of those rows, counted per story, most hits
first, then by story.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence

import numpy as np

_STORY = (1 << 32) - 1


class TermIndex:
    """term → sorted ``day << 32 | story`` rows, each (term, day, story) once."""

    def __init__(self) -> None:
        self.rows: dict[int, array[int]] = {}

    def __len__(self) -> int:
        return sum(len(a) for a in self.rows.values())

    def load(self, rows: Iterable[tuple[int, int, int]]) -> None:
        """(term, day, story) rows in primary-key order, as the table returns them."""
        for term, day, story in rows:
            found = self.rows.get(term)
            if found is None:
                found = self.rows[term] = array("q")
            found.append((day << 32) | story)

    def add(self, term: int, day: int, story: int) -> bool:
        """Remember one row; False when it was there already (``INSERT OR IGNORE``)."""
        key = (day << 32) | story
        found = self.rows.get(term)
        if found is None:
            self.rows[term] = array("q", (key,))
            return True
        if not found or found[-1] < key:  # articles arrive in time order: mostly an append
            found.append(key)
            return True
        at = bisect_left(found, key)
        if at < len(found) and found[at] == key:
            return False
        insort(found, key, lo=at)
        return True

    def remove(self, term: int, day: int, story: int) -> None:
        """Forget a row ``add`` put in (an undone article's)."""
        found = self.rows[term]
        key = (day << 32) | story
        at = bisect_left(found, key)
        assert found[at] == key
        del found[at]

    def stories(self, terms: Sequence[int], lo: int | None, hi: int | None, limit: int
                ) -> list[int]:  # fmt: skip
        """Stories with rows of ``terms`` between days ``lo`` and ``hi`` (any day when None),
        most rows first, then by story; of the first ``limit`` rows (terms ascending, then day
        and story)."""
        parts: list[np.ndarray] = []
        left = limit
        for term in sorted(set(terms)):
            found = self.rows.get(term)
            if not found:
                continue
            if lo is None or hi is None:
                i, j = 0, len(found)
            else:
                i = bisect_left(found, lo << 32)
                j = bisect_left(found, (hi + 1) << 32, lo=i)
            if j > i:
                j = min(j, i + left)
                parts.append(np.frombuffer(found, dtype=np.int64)[i:j] & _STORY)
                left -= j - i
                if left == 0:
                    break
        if not parts:
            return []
        # (each part is a copy: no view keeps an array from growing)
        stories, hits = np.unique(np.concatenate(parts), return_counts=True)
        order = np.lexsort((stories, -hits))  # most hits first, then by story
        return [int(s) for s in stories[order]]
