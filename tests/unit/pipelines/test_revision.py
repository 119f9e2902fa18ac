"""Article revisions: what counts as a change in substance, and the word-level diff."""

from __future__ import annotations

from pipelines.dedup.revision import compare, substance, word_diff

TEXT = (
    "Chinese Foreign Minister Wang Yi met Sergey Lavrov in Moscow on Tuesday.\n\n"
    "The two ministers discussed Ukraine and the summit of their presidents."
)


def test_spacing_and_update_stamps_are_not_a_revision() -> None:
    assert compare(TEXT, TEXT) is None
    respaced = TEXT.replace(" ", "  ").replace("\n\n", "\n\n\n")
    assert compare(TEXT, respaced) is None
    stamped = "Updated 12:05 GMT, 2 April 2025\n" + TEXT + "\nLast updated: 2 April 2025"
    assert compare(TEXT, stamped) is None
    assert compare(TEXT, "14:32\n" + TEXT) is None
    assert substance(stamped) == substance(TEXT)


def test_a_changed_word_is_a_revision_with_its_counts() -> None:
    changed = TEXT.replace("met", "held talks with")
    change = compare(TEXT, changed)
    assert change is not None
    assert (change.words_added, change.words_removed) == (3, 1)
    assert 0.8 < change.similarity < 1.0
    added = compare(TEXT, TEXT + "\n\nUpdate: the Kremlin confirmed the summit date.")
    assert added is not None and added.words_added == 7 and added.words_removed == 0


def test_word_diff_marks_what_changed() -> None:
    diff = word_diff(TEXT, TEXT.replace("met", "held talks with"))
    assert "[-met-] {+held talks with+}" in diff
    assert diff.startswith("Chinese Foreign Minister Wang Yi")
    assert word_diff(TEXT, TEXT) == " ".join(TEXT.split())
