"""The relevance gate: pages that cannot yield an on-event article skip extraction.

An article is on-event only if every ``[match].all`` group has a hit in its title or text
(pipelines/relevance/scorer.py), and the title and text are made of the page's own text: its text
nodes, ``<title>``, ``<meta content>`` values, JSON-LD strings, or the discovery hint's title.
So if some group has no term whose every word occurs somewhere in the page, no extraction of that
page can be on-event, and trafilatura and the fallback extractor need not run.

The check is built to err only on the side of extracting: both sides are compared as
*skeletons* — the matcher's normal form (percent-decoded, NFC, case-folded) with everything that
is not a letter or a digit removed — so markup boundaries, whitespace, hyphens, soft hyphens and
punctuation inside or between words cannot hide a hit, and each word of a term is looked for on
its own (a word removed between two words of a phrase by the extractor's cleaning cannot either).
A word is never split by markup the extractor removes (that is not a word). The gate may
therefore pass pages that are off-event (most of them are caught by the full scorer later);
it never stops one that is on-event. Tests compare whole crawls with and without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipelines.relevance.matching import MatchSpec, normalize, term_words

_NOT_ALNUM = re.compile(r"[\W_]+")
_BETWEEN = r"[\W_]*"  # what skeleton() removes


def skeleton(text: str) -> str:
    """Letters and digits only, in the matcher's normal form."""
    return _NOT_ALNUM.sub("", normalize(text))


class TermGate:
    """``could_match(texts)``: can a text made of these pieces hit every ``all`` group?"""

    def __init__(self, match: MatchSpec) -> None:
        # per group, per term: the skeletons of its words (all must occur for the term to)
        self.groups: tuple[tuple[tuple[str, ...], ...], ...] = tuple(
            tuple(_term_words(term) for term in group) for group in match.all
        )
        # "word in skeleton(page)" without building the skeleton (a regex substitution over the
        # whole page, ~1 ms): the word's characters in order with only non-alphanumerics between
        self._finders: dict[str, re.Pattern[str]] = {
            word: re.compile(_BETWEEN.join(re.escape(ch) for ch in word))
            for group in self.groups
            for words in group
            for word in words
        }

    def could_match(self, texts: Iterable[str]) -> bool:
        page = normalize(" ".join(texts))
        found: dict[str, bool] = {}

        def occurs(word: str) -> bool:
            if word not in found:
                found[word] = self._finders[word].search(page) is not None
            return found[word]

        return all(any(all(map(occurs, words)) for words in group) for group in self.groups)


def _term_words(term: str) -> tuple[str, ...]:
    """The skeletons of a term's words (none for a term of punctuation: it constrains nothing)."""
    return tuple(s for w in term_words(term) if (s := skeleton(w)))
