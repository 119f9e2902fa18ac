"""Run several Scrapy crawls concurrently in a fresh process (a Twisted reactor cannot restart).

Tests call :func:`run_crawls`; it runs this file as a script, which reads the scenarios as JSON on
stdin, runs them all in one ``CrawlerProcess`` and prints, per scenario, the crawl stats and the
``[url, status]`` of every response the spider saw (``HTTPERROR_ALLOW_ALL`` is on).

A scenario: ``{"settings": {...}, "urls": [...], "seeds": bool, "follow": bool,
"event": {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "slack_days": N} | None}``.
``seeds`` marks the start requests ``meta["newsarc_seed"]``; ``follow`` follows every ``<a href>``
of 200 responses; ``event`` sets ``NEWSARC_EVENT`` to an object shaped like ``EventSpec``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_crawls(scenarios: dict[str, dict[str, Any]], timeout: float = 60) -> dict[str, Any]:
    """Run *scenarios* in a subprocess; return ``{name: {"stats": {...}, "responses": [...]}}``."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve())],
        input=json.dumps({"scenarios": scenarios}),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"crawl subprocess failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    result["_log"] = proc.stderr
    return result


def _main() -> None:
    import scrapy
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import TextResponse

    class RecordingSpider(scrapy.Spider):
        name = "recording"

        def __init__(self, urls: list[str], follow: bool, seeds: bool, event: Any, **kw: Any):
            super().__init__(**kw)
            self.urls, self.follow, self.seeds = urls, follow, seeds
            self.responses: list[list[Any]] = []

        @classmethod
        def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
            spider = super().from_crawler(crawler, *args, **kwargs)
            event = kwargs.get("event")
            if event is not None:
                shaped = SimpleNamespace(
                    start=date.fromisoformat(event["start"]),
                    end=date.fromisoformat(event["end"]),
                    sources=SimpleNamespace(window_slack_days=event["slack_days"]),
                )
                crawler.settings.set("NEWSARC_EVENT", shaped, priority="spider")
            return spider

        async def start(self) -> AsyncIterator[scrapy.Request]:
            for i, url in enumerate(self.urls):  # earlier URLs first
                meta = {"newsarc_seed": True} if self.seeds else {}
                yield scrapy.Request(url, priority=len(self.urls) - i, meta=meta)

        def parse(self, response: Any) -> Iterator[scrapy.Request]:
            self.responses.append([response.url, response.status])
            if self.follow and response.status == 200 and isinstance(response, TextResponse):
                for href in response.css("a::attr(href)").getall():
                    yield response.follow(href)

    def record_slots(crawler: Any) -> None:
        slots = crawler.engine.downloader.slots
        crawler.spider.slots = {k: {"delay": v.delay, "jitter": v.jitter} for k, v in slots.items()}

    scenarios = json.load(sys.stdin)["scenarios"]
    process = CrawlerProcess(
        {
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "LOG_LEVEL": "INFO",
            "HTTPERROR_ALLOW_ALL": True,
        }
    )
    crawlers = {}
    for name, sc in scenarios.items():
        spidercls = type(
            f"Spider_{name}", (RecordingSpider,), {"name": name, "custom_settings": sc["settings"]}
        )
        crawler = process.create_crawler(spidercls)
        crawlers[name] = crawler
        crawler.signals.connect(
            lambda crawler=crawler: record_slots(crawler), signal=signals.spider_idle, weak=False
        )
        process.crawl(
            crawler,
            urls=sc["urls"],
            follow=sc.get("follow", False),
            seeds=sc.get("seeds", False),
            event=sc.get("event"),
        )
    process.start()
    out = {
        name: {
            "stats": crawler.stats.get_stats(),
            "responses": getattr(crawler.spider, "responses", None),
            "slots": getattr(crawler.spider, "slots", None),
        }
        for name, crawler in crawlers.items()
    }
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _main()
