"""The framed-copy rule's common run of words, by hashes of runs, against difflib's."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

import numpy as np

from pipelines.dedup import rules
from pipelines.dedup.signatures import signatures


def _edited(rng: random.Random, base: list[int]) -> list[int]:
    other = base[:]
    for _ in range(rng.randint(0, 4)):
        op = rng.random()
        if op < 0.4 and other:
            other[rng.randrange(len(other))] = rng.randint(1, 6)
        elif op < 0.7:
            other.insert(rng.randrange(len(other) + 1), rng.randint(1, 6))
        elif other:
            del other[rng.randrange(len(other))]
    return [9, 9, *other, 8] if rng.random() < 0.5 else other


def test_common_runs_are_difflib_s_longest_match() -> None:
    rng = random.Random(1)
    for _ in range(400):
        base = [rng.randint(1, 6) for _ in range(rng.randint(1, 40))]  # few words: many repeats
        other = _edited(rng, base)
        a, b = np.array(base, dtype="<u4"), np.array(other, dtype="<u4")
        matcher = SequenceMatcher(None, base, other, autojunk=False)
        run = matcher.find_longest_match(0, len(base), 0, len(other)).size
        for n in range(1, min(len(a), len(b)) + 1):
            assert rules._common_run(a, b, n) is (run >= n)


def test_framed_copy_decides_on_the_thresholds() -> None:
    body = " ".join(f"Sentence {k} says the council met about the budget again." for k in range(20))
    framed = signatures(f"Outlet staff and wire reports.\n\n{body}\n\nAll rights reserved.")
    plain = signatures(body)
    half = signatures(" ".join(body.split()[: len(body.split()) // 2]))
    assert rules.framed_copy(plain, framed) and rules.framed_copy(framed, plain)
    assert not rules.framed_copy(plain, half)  # the run covers only half of the longer text
