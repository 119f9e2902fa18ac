"""The frontier's disk queue (crawler/scheduler.py): requests pickled and read back whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.utils.test import get_crawler

from crawler.scheduler import DiskRequestQueue


class Spider(scrapy.Spider):
    name = "s"

    def parse_page(self, response: Any) -> None:
        pass

    def on_error(self, failure: Any) -> None:
        pass


def queue(tmp_path: Path) -> tuple[DiskRequestQueue, Spider]:
    crawler = get_crawler(Spider)
    spider = Spider.from_crawler(crawler)
    crawler.spider = spider
    return DiskRequestQueue(crawler, str(tmp_path / "q")), spider


def test_requests_come_back_with_their_callbacks_meta_and_priority(tmp_path: Path) -> None:
    q, spider = queue(tmp_path)
    for n in range(3):
        q.push(
            scrapy.Request(
                f"http://news.test/{n}",
                callback=spider.parse_page,
                errback=spider.on_error,
                priority=7 - n,
                meta={"newsarc_hops": n, "newsarc_via": "http://news.test/"},
                headers={"Referer": "http://news.test/"},
            )
        )
    assert len(q) == 3
    back = [q.pop() for _ in range(3)]  # last in, first out
    assert [r.url for r in back] == [f"http://news.test/{n}" for n in (2, 1, 0)]
    for r in back:
        assert r.callback == spider.parse_page and r.errback == spider.on_error
        assert r.meta["newsarc_via"] == "http://news.test/"
        assert r.headers[b"Referer"] == b"http://news.test/"
    assert [r.priority for r in back] == [5, 6, 7]
    assert q.pop() is None
    q.close()


def test_a_callback_that_is_not_the_spiders_cannot_go_to_disk(tmp_path: Path) -> None:
    """Scrapy's scheduler keeps such a request in memory (it catches the ValueError)."""
    q, _ = queue(tmp_path)
    with pytest.raises(ValueError):
        q.push(scrapy.Request("http://news.test/x", callback=lambda r: None))
    q.close()


def test_request_dict_is_scrapys_to_dict(tmp_path: Path) -> None:
    """The disk queue's own serialisation gives exactly what Scrapy's to_dict gives."""
    from crawler.scheduler import request_dict

    q, spider = queue(tmp_path)
    names = q._names
    for request in (
        scrapy.Request("http://news.test/a", callback=spider.parse_page, errback=spider.on_error,
                       priority=3, meta={"a": 1}, cb_kwargs={"k": 2}, dont_filter=True),
        scrapy.Request("http://news.test/b"),
        scrapy.FormRequest("http://news.test/c", formdata={"q": "x"}, callback=spider.parse_page),
    ):  # fmt: skip
        assert request_dict(request, names) == request.to_dict(spider=spider)
    q.close()
