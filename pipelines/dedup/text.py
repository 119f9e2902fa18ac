"""Text analysis for deduplication: normalised tokens, sentences, quotes, entities, stems.

Pure functions over ``str``; no hashing, no sketches (see ``signatures.py``). English-centred
heuristics (stop words, suffixes, capitalisation); other Latin-script languages still get tokens,
numbers, quotes and capitalised names, which carry most of the signal. Scripts written without
spaces are segmented (``pipelines.words``): Chinese words and names come from jieba, sentences
also end at the ideographic full stop and the full-width ``! ? ;`` with no space after them.
Given the text's language, stems come from Snowball (Russian, French, …) and stop words from
the stop-words package (``tokens(lines, language)``); English keeps the heuristics above.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise, repeat
from typing import Any, NamedTuple

from pipelines.words import HAN_RUN, has_no_space_script, is_han_name, words

WORD = re.compile(r"\w+")
DIGIT = re.compile(r"\d")
QUOTE = re.compile(r"[“\"«„「『]([^”\"»“」』]{3,}?)[”\"»“」』]")
# a sentence ends at . ! ? … (maybe followed by closing quotes/brackets) and whitespace, or at
# 。 and full-width ! ? ; with or without space after them (NFKC turns the full-width ones into
# ASCII, so !?; count there after a character of a script without spaces)
_CLOSE = r"”\"\u2019)\]」』\uff09"
_CJK = r"\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
SENTENCE_END = re.compile(rf"[.!?…][{_CLOSE}]*\s+|(?:。|(?<=[{_CJK}])[!?;])[{_CLOSE}]*\s*")
# Chinese function words and reporting verbs (the English list's counterparts)
_STOP_ZH = """
    的 了 在 是 和 与 及 等 也 将 对 为 这 那 他 她 它 我 我们 他们 你 其 之 以 于 而 并
    或 但 就 都 又 被 把 从 到 向 由 上 中 下 有 没有 不 要 会 能 已 已经 还 更 最 很 所
    该 此 各 每 个 一 两 日 月 年
    表示 说 称 指出 强调 认为 据 报道 记者 今天 昨天 明天 方面 问题 进行 通过 一个 这个 这些
"""
STOP_ZH = frozenset(_STOP_ZH.split())
ABBREVIATION = re.compile(r"\b([A-Z])\.([A-Z])\.(?:([A-Z])\.)?")

_STOP_WORDS = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can could did do does doing don down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your yours
    yourself yourselves said says say told according per via yet still may might must shall one
    two three new mr mrs ms dr st
"""
STOP = frozenset(_STOP_WORDS.split())
_CALENDAR_WORDS = """
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december today yesterday tomorrow
"""
CALENDAR = frozenset(_CALENDAR_WORDS.split())
# capitalised titles and roles: not names of anyone in particular
_ROLES_WORDS = """
    president minister foreign prime secretary chancellor spokesman spokeswoman spokesperson
    chairman chairwoman governor mayor senator general ministry deputy vice king queen prince
    chief director editor reporter correspondent
"""
ROLES = frozenset(_ROLES_WORDS.split())
SUFFIXES = ("ational", "ation", "ments", "ment", "ness", "ings", "ing", "ies", "ied", "ly", "ed",
            "es", "s")  # fmt: skip
STEM_LENGTH = 6


class Tokens(NamedTuple):
    """Every word of a text, in order, as parallel columns (one entry per word)."""

    norm: tuple[str, ...]  # casefolded form
    stem: tuple[str, ...]  # light stem (numbers: the number itself)
    sentence: tuple[int, ...]  # sentence number, running across lines
    quoted: tuple[bool, ...]  # inside quotation marks
    cap: tuple[bool, ...]  # written with a capital
    entity: tuple[bool, ...]  # a capitalised name, not a sentence-initial word
    number: tuple[bool, ...]
    content: tuple[bool, ...]  # neither a stop word nor a calendar word


def normalise(text: str) -> str:
    """NFKC, with dotted abbreviations joined (``U.S.`` → ``US``) so they stay one word."""
    text = unicodedata.normalize("NFKC", text)
    return ABBREVIATION.sub(lambda m: "".join(g for g in m.groups() if g), text)


def stem(word: str) -> str:
    """A crude, language-light stem: strip possessive and one common suffix, cut to 6 chars."""
    if word.endswith(("'s", "\u2019s")):
        word = word[:-2]
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                word += "y"
            break
    return word[:STEM_LENGTH]


def content_lines(text: str, title: str | None) -> list[str]:
    """Non-empty lines of ``text``, minus lines that only repeat the title."""
    lines = [line.strip() for line in normalise(text).splitlines()]
    drop = _key(normalise(title)) if title else None
    return [line for line in lines if line and (drop is None or _key(line) != drop)]


def _key(line: str) -> str:
    return " ".join(WORD.findall(line.casefold()))


def _words(line: str, lo: int, hi: int) -> list[str]:
    if has_no_space_script(line):
        return words(line[lo:hi])
    return WORD.findall(line, lo, hi)


def sentence_starts(line: str) -> list[int]:
    """Offsets where sentences of ``line`` start (a lower-case continuation is not a start)."""
    starts = [0]
    for match in SENTENCE_END.finditer(line):
        nxt = match.end()
        if nxt < len(line) and not line[nxt].islower():
            starts.append(nxt)
    return starts


def quote_spans(line: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in QUOTE.finditer(line)]


SNOWBALL = {"ru": "russian", "fr": "french", "de": "german", "es": "spanish", "it": "italian",
            "pt": "portuguese", "uk": "russian"}  # fmt: skip
USE_SNOWBALL = True  # benchmarks/dedup_bench.py measures with and without


@lru_cache(maxsize=16)
def _stemmer(lang: str) -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer(SNOWBALL[lang])


@lru_cache(maxsize=64)
def _stop(lang: str) -> frozenset[str]:
    """Stop words of ``lang`` (the stop-words package's list, with ours for English and
    Chinese): function words are no evidence that two texts share content."""
    from stop_words import LANGUAGE_MAPPING, get_stop_words

    listed = frozenset(get_stop_words(lang)) if lang in LANGUAGE_MAPPING else frozenset()
    return STOP | STOP_ZH | listed


def tokens(lines: list[str], language: str = "") -> Tokens:
    """Every word of ``lines`` in order, tagged; sentence numbers run across lines.

    Each line is cut where a sentence starts and where a quotation opens or closes (always next
    to a non-word character, so no word is cut) and the words of each piece are read at once:
    no per-word position checks, no per-word objects.
    """
    words: list[str] = []
    sentence: list[int] = []
    quoted: list[bool] = []
    current = -1  # the sentence of the last word read
    for line in lines:
        starts, quotes = sentence_starts(line), quote_spans(line)
        cuts = sorted({*starts, *(q for span in quotes for q in span), len(line)})
        si = qi = 0
        base = current + 1  # sentences are counted only up to the last word of a line
        for lo, hi in pairwise(cuts):
            found = _words(line, lo, hi)
            if not found:
                continue
            while si < len(starts) and starts[si] <= lo:
                si += 1
            while qi < len(quotes) and quotes[qi][1] <= lo:
                qi += 1
            current = base + si - 1
            words += found
            sentence += [current] * len(found)
            quoted += [qi < len(quotes) and quotes[qi][0] <= lo] * len(found)
    if not words:
        return Tokens((), (), (), (), (), (), (), ())
    lang = "" if language == "en" else language
    norm, stems, cap, name_like, number, content, han = zip(
        *map(_word, words, repeat(lang)), strict=True
    )
    initial = (True, *(a != b for a, b in pairwise(sentence)))
    # a capitalised word starting a sentence may be any word; a Han name is one anywhere
    entity = [(n and not i) or (n and h) for n, i, h in zip(name_like, initial, han, strict=True)]
    # A sentence-initial capitalised word is a name if it appears as one elsewhere.
    names = {w for w, e in zip(norm, entity, strict=True) if e}
    entity = [e or (c and w in names) for e, c, w in zip(entity, cap, norm, strict=True)]
    return Tokens(norm, stems, tuple(sentence), tuple(quoted), cap, tuple(entity), number, content)


@lru_cache(maxsize=1 << 18)
def _word(raw: str, lang: str = "") -> tuple[str, str, bool, bool, bool, bool, bool]:
    """(norm, stem, capitalised, could be a name, number, content word, Han) of one word;
    stems of a language in ``SNOWBALL`` are Snowball's (cut to STEM_LENGTH), others ours; stop
    words are the language's (``_stop``; English: ours, as before)."""
    stop = _stop(lang) if lang else STOP
    if HAN_RUN.match(raw):
        name = is_han_name(raw)
        content = name or (raw not in stop and len(raw) > 1)
        return raw, raw, False, name, False, content, True
    norm = raw.casefold()
    number = DIGIT.search(norm) is not None
    cap = raw[0].isupper()
    common = norm in stop or norm in CALENDAR or norm in ROLES
    content = number or (len(norm) > 2 and norm not in stop and norm not in CALENDAR)
    name_like = cap and not common and not number and len(norm) > 1
    if number:
        stemmed = norm
    elif USE_SNOWBALL and lang in SNOWBALL:
        stemmed = _stemmer(lang).stemWord(norm)[:STEM_LENGTH]
    else:
        stemmed = stem(norm)
    return norm, stemmed, cap, name_like, number, content, False
