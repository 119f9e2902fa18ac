"""The extraction pipeline's pool inside a running event loop: a crashed worker costs one page."""

from __future__ import annotations

import asyncio
import gzip
import os
from collections.abc import Mapping
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from archive.warc.records import RecordLocation
from pipelines import extraction
from pipelines.analysis.item import ArticleItem
from pipelines.analysis.worker import analyse_page
from pipelines.extract.article import Hints
from pipelines.extraction import ExtractionPipeline
from pipelines.page import Page
from tests.support import TEST_DATA

EVAL = TEST_DATA / "extract" / "eval"
ARTICLE = gzip.decompress(next(EVAL.glob("*.html.gz")).read_bytes())


def crash_or_analyse(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    hints: Hints | None = None,
    scorer: Any = None,
    **options: bool,
) -> Any:
    """``analyse_page``, except that a page asking for it kills the worker process."""
    if b"<!-- kill the worker -->" in body:
        os._exit(7)
    return analyse_page(url, headers, body, hints, scorer, **options)


def page(n: int, body: bytes) -> Page:
    return Page(
        url=f"http://news.test/{n}.html",
        status=200,
        content_type="text/html; charset=utf-8",
        body=body,
        headers={"Content-Type": ["text/html; charset=utf-8"]},
        record=RecordLocation("x.warc.gz", 100 * n, 90, f"<urn:uuid:{n:08d}>"),
        source="seed",
        depth=0,
    )


def test_a_crashed_worker_drops_only_its_page_and_extraction_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(extraction, "analyse_page", crash_or_analyse)
    crawler = get_crawler()
    pipeline = ExtractionPipeline(2, crawler.stats)

    async def main() -> list[Any]:
        pipeline.open_spider()
        try:
            crashing = pipeline.process_item(page(0, ARTICLE + b"<!-- kill the worker -->"))
            others = [pipeline.process_item(page(n, ARTICLE)) for n in range(1, 5)]
            with pytest.raises(DropItem, match=r"extraction failed .*exited with code 7"):
                await crashing
            return list(await asyncio.gather(*others))
        finally:
            pipeline.close_spider()

    items = asyncio.run(main())
    assert all(isinstance(i, ArticleItem) and i.article.text for i in items)
    assert [i.url for i in items] == [f"http://news.test/{n}.html" for n in range(1, 5)]
    stats = crawler.stats.get_stats()
    assert stats["newsarc/extract/worker_crashed"] == 1
    assert stats["newsarc/extract/error"] == 1
    assert stats["newsarc/extract/articles"] == 4
    assert stats["newsarc/extract/workers_restarted"] == 1
    assert pipeline.pool is None
