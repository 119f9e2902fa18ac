"""The article set on disk: ``articles/<crawl-id>.jsonl`` and ``text/<id>.txt`` per canonical text.

Pure core (no Scrapy). Lines are appended and flushed as articles arrive, so a killed crawl keeps
every article written so far; text files are written to a temporary name and renamed, so a text
file is either complete or absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

from archive.errors import StorageError


class ArticleStore:
    def __init__(self, root: str | os.PathLike[str], crawl_id: str, part: str = "") -> None:
        self.root = Path(root)
        self.crawl_id = crawl_id
        # a distributed crawl: one part per worker, ``<crawl-id>.<worker>.jsonl``
        name = f"{crawl_id}.{part}" if part else crawl_id
        self.articles_path = self.root / "articles" / f"{name}.jsonl"
        self.text_dir = self.root / "text"
        self.written = 0
        self.texts = 0
        self._fh: TextIO | None = None

    def open(self) -> None:
        try:
            self.articles_path.parent.mkdir(parents=True, exist_ok=True)
            self.text_dir.mkdir(parents=True, exist_ok=True)
            self._fh = self.articles_path.open("a", encoding="utf-8")
        except OSError as exc:
            raise StorageError(f"cannot open the article store under {self.root}: {exc}") from exc

    def add(self, record: dict[str, Any], *, canonical_text: str | None) -> None:
        """Append one article; write its text file when it is a canonical document."""
        if self._fh is None:
            self.open()
        assert self._fh is not None
        try:
            if canonical_text is not None:
                self._write_text(str(record["id"]), canonical_text)
            self._fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            self._fh.flush()
        except OSError as exc:
            raise StorageError(f"cannot write article {record.get('id')}: {exc}") from exc
        self.written += 1

    def _write_text(self, doc_id: str, text: str) -> None:
        if not doc_id.isalnum():
            raise StorageError(f"refusing unsafe document id {doc_id!r}")
        final = self.text_dir / f"{doc_id}.txt"
        tmp = final.with_suffix(".txt.tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, final)
        self.texts += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None


def read_articles(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every article of a local ``articles/<crawl-id>.jsonl`` (see :mod:`archive.articles.sets`)."""
    from archive.articles.sets import read_articles as read_stored
    from archive.storage.local import LocalStorage

    file = Path(path)
    return list(read_stored(LocalStorage(file.parent), file.name))
