"""Words of a text in any script: whitespace and punctuation split most scripts; runs of scripts
written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) are segmented.

- Han runs: jieba's dictionary segmentation (precise mode, HMM for words not in its dictionary).
  Measured against character bigrams on the same pairs (``benchmarks/dedup_bench.py --lang
  zh``, ``benchmarks/README.md``); jieba also tells names (its dictionary's ``nr``/``ns``/``nt``/
  ``nz`` tags) from common words, which stories need.
- Kana, Thai, Lao, Khmer and Myanmar runs: one word per character (no segmenter for them
  here; Korean is written with spaces and needs none).

Pure functions; jieba's dictionary is loaded on the first Han text (about 1 s, once per process).
"""

from __future__ import annotations

import logging
import re
from functools import cache, lru_cache
from typing import Any

# Scripts without spaces between words (and the CJK compatibility ideographs).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_OTHER = "\u3040-\u30ff\u31f0-\u31ff\u0e00-\u0e7f\u0e80-\u0eff\u1780-\u17ff\u1000-\u109f"
NO_SPACE_CHAR = re.compile(f"[{_HAN}{_OTHER}]")
HAN_RUN = re.compile(f"[{_HAN}]+")
# a \w run split into: Han runs, other no-space characters one by one, the rest
_PIECE = re.compile(f"([{_HAN}]+)|([{_OTHER}])|([^{_HAN}{_OTHER}]+)")
WORD = re.compile(r"\w+")
NAME_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz"})  # jieba: people, places, orgs

HAN_SEGMENTER = "jieba"  # or "bigram": overlapping character pairs (benchmarks compare them)


def has_no_space_script(text: str) -> bool:
    return NO_SPACE_CHAR.search(text) is not None


def words(text: str) -> list[str]:
    """The words of ``text`` in order (``\\w+`` runs, no-space scripts segmented)."""
    found = WORD.findall(text)
    if not has_no_space_script(text):
        return found
    out: list[str] = []
    for run in found:
        out += split_run(run)
    return out


def count_words(text: str) -> int:
    """Number of words: whitespace-separated parts, with runs of no-space scripts segmented
    (a 500-character Chinese article counts ~300 words, not the 10 of ``str.split``)."""
    if not has_no_space_script(text):
        return len(text.split())
    return sum(len(split_run(run)) if has_no_space_script(run) else 1 for run in text.split())


def split_run(run: str) -> list[str]:
    """One ``\\w+`` (or whitespace-free) run, segmented where it holds no-space script."""
    if not has_no_space_script(run):
        return [run]
    out: list[str] = []
    for han, other, rest in _PIECE.findall(run):
        if han:
            out += han_words(han)
        elif other:
            out.append(other)
        elif rest:
            out += WORD.findall(rest)
    return out


@lru_cache(maxsize=1 << 16)
def han_words(run: str) -> tuple[str, ...]:
    """Words of a run of Han characters."""
    if HAN_SEGMENTER == "bigram":
        if len(run) < 2:
            return (run,)
        return tuple(run[i : i + 2] for i in range(len(run) - 1))
    return tuple(_jieba().lcut(run, HMM=True))


def is_han_name(word: str) -> bool:
    """A Han word that is a name: tagged as a person, place or organisation in jieba's
    dictionary, or a word of two or more characters found by its HMM and in no dictionary
    (mostly names: transliterated foreign names, people)."""
    if HAN_SEGMENTER == "bigram":
        return False
    tags = _tags()
    tag = tags.get(word)
    if tag is None:
        unknown = _freq().get(word, 0) == 0
        return unknown and len(word) >= 2 and HAN_RUN.fullmatch(word) is not None
    return tag in NAME_TAGS


@cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@cache
def _tags() -> dict[str, str]:
    _jieba()
    import jieba.posseg

    tags: dict[str, str] = jieba.posseg.dt.word_tag_tab
    return tags


@cache
def _freq() -> dict[str, int]:
    freq: dict[str, int] = _jieba().dt.FREQ
    return freq
