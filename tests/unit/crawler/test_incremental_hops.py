"""The incremental middleware decides per hop: a redirect (or a meta refresh) copies its request's
meta, and the copy must not carry the previous hop's replay or state."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from archive.state import UrlState
from archive.state.sqlite import SqliteCrawlState
from crawler.middlewares.incremental import IncrementalMiddleware

REPLAY = {"newsarc_replayed": True, "newsarc_reanalyse": True}  # what a replay sets


def test_a_hop_after_a_replayed_response_is_fetched_as_itself(tmp_path: Path) -> None:
    state = SqliteCrawlState(tmp_path / "state.sqlite")
    try:
        source = UrlState("http://globe.test/", kind="seed", status=200)
        state.put(source)
        stats = MemoryStatsCollector(get_crawler())
        middleware = IncrementalMiddleware(state, stats, warc_dir=tmp_path / "warc")
        # as RedirectMiddleware copies a replayed page's request
        hop = Request("http://globe.test/moved/", meta=dict(REPLAY))
        assert middleware.process_request(hop) is None  # unknown: fetched
        assert not set(REPLAY) & set(hop.meta)  # so the spider analyses it as a new page
        # a distributed crawl's redo: no state is read for it, and none may come from its source
        redo = Request("http://globe.test/moved/",
                       meta={**REPLAY, "newsarc_redo": True, "_newsarc_state": source})  # fmt: skip
        assert middleware.process_request(redo) is None
        assert not {*REPLAY, "_newsarc_state"} & set(redo.meta)
        assert stats.get_value("newsarc/incremental/redone") == 1
    finally:
        state.close()
