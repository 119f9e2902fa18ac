"""archive.articles.store: the article set on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.articles.store import ArticleStore, read_articles
from archive.errors import StorageError


def test_articles_append_and_canonical_texts(tmp_path: Path) -> None:
    store = ArticleStore(tmp_path, "20250401T000000Z")
    store.add({"id": "a1", "text": "one"}, canonical_text="one")
    store.add({"id": "b2", "text": "one"}, canonical_text=None)
    store.close()
    again = ArticleStore(tmp_path, "20250401T000000Z")
    again.add({"id": "c3", "text": "three"}, canonical_text="three")
    again.close()
    assert [r["id"] for r in read_articles(tmp_path / "articles" / "20250401T000000Z.jsonl")] == [
        "a1",
        "b2",
        "c3",
    ]
    assert sorted(p.name for p in (tmp_path / "text").iterdir()) == ["a1.txt", "c3.txt"]
    assert (tmp_path / "text" / "a1.txt").read_text() == "one\n"


def test_document_ids_cannot_escape_the_text_directory(tmp_path: Path) -> None:
    store = ArticleStore(tmp_path, "x")
    with pytest.raises(StorageError, match="unsafe"):
        store.add({"id": "../../etc/x", "text": "t"}, canonical_text="t")
    store.close()
    assert not (tmp_path.parent / "etc").exists()
