"""Cluster politeness (real Redis): per-host send times spaced by the delay, slot counts,
Retry-After for everyone. The waits are computed by Redis from its own clock, and the gate
really waits them (short delays): a send time is only taken when it has come."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
import scrapy

from archive.cluster.connection import CrawlKeys, connect
from crawler.cluster.gate import HostGate
from crawler.cluster.scheduler import decode_request, encode_request

KEYS = CrawlKeys("ev", "C1")


class Waits:
    """The gate's sleep: recorded, and really waited (the gate asks Redis again after it)."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(seconds)


def redis_now(client: Any) -> float:
    seconds, micros = client.time()
    return float(seconds) + float(micros) / 1e6


def test_two_workers_take_one_hosts_send_times_a_delay_apart(redis_url: str) -> None:
    waits = Waits()
    client = connect(redis_url)
    a = HostGate(connect(redis_url), KEYS, sleep=waits)
    b = HostGate(connect(redis_url), KEYS, sleep=waits)
    granted: list[float] = []

    async def go() -> None:
        for gate in (a, b, a, b):
            token = await gate.acquire("news.test:80", 0.2, 0)
            # the send time the gate took, as Redis stored it (next = now + delay), not a
            # later reading of the clock, whose round trip varies on a loaded machine
            granted.append(float(client.hget(KEYS.host("news.test:80"), "next")) - 0.2)
            gate.release("news.test:80", token)

    asyncio.run(go())
    gaps = [y - x for x, y in itertools.pairwise(granted)]
    # on Redis' clock, never closer than the delay (to the 0.1 ms Lua keeps of the time)
    assert all(gap >= 0.2 - 2e-4 for gap in gaps), gaps
    assert waits.slept and all(0 < w <= 0.2 + 1e-6 for w in waits.slept)
    before = len(waits.slept)
    other = asyncio.run(a.acquire("other.test:80", 0.2, 0))  # hosts do not share a delay
    assert other and len(waits.slept) == before


def test_per_host_slots_are_shared_and_freed(redis_url: str) -> None:
    client = connect(redis_url)
    gate = HostGate(client, KEYS, sleep=Waits())
    t1 = asyncio.run(gate.acquire("h:80", 0.0, 2))
    asyncio.run(gate.acquire("h:80", 0.0, 2))
    keys = [KEYS.host("h:80"), KEYS.host_slots("h:80"), KEYS.w]
    assert float(gate._reserve(keys=keys, args=[0.0, 2, "x|1", 300, 60])) == -1
    gate.release("h:80", t1)
    assert float(gate._reserve(keys=keys, args=[0.0, 2, "y|1", 300, 60])) == 0


def test_a_dead_workers_slots_are_freed(redis_url: str) -> None:
    from archive.cluster.registry import Registry

    client = connect(redis_url)
    Registry(client).beat(KEYS, "dead", {}, join=True)
    dead = HostGate(client, KEYS, worker="dead", stale=60, sleep=Waits())
    asyncio.run(dead.acquire("h:80", 0.0, 1))  # then it is killed: its slot is never released
    alive = HostGate(client, KEYS, worker="alive", stale=-1, sleep=Waits())  # "dead" is stale
    assert asyncio.run(alive.acquire("h:80", 0.0, 1)).startswith("alive|")


def test_retry_after_pauses_the_host_for_every_worker(redis_url: str) -> None:
    waits = Waits()
    client = connect(redis_url)
    a = HostGate(connect(redis_url), KEYS, sleep=waits)
    b = HostGate(connect(redis_url), KEYS, sleep=waits)
    paused = redis_now(client)
    a.pause("slow.test:80", 0.5)
    asyncio.run(b.acquire("slow.test:80", 0.0, 0))
    assert redis_now(client) - paused >= 0.5
    assert waits.slept and waits.slept[0] == pytest.approx(0.5, abs=0.1)


def test_requests_cross_workers_as_json_with_callbacks_by_name() -> None:
    class Spider(scrapy.Spider):
        name = "s"

        def parse_page(self, response):  # type: ignore[no-untyped-def]
            pass

        def on_error(self, failure):  # type: ignore[no-untyped-def]
            pass

    spider = Spider()
    request = scrapy.Request(
        "http://a.test/x?y=1", callback=spider.parse_page, errback=spider.on_error, priority=7,
        meta={"newsarc_source": "link", "newsarc_hops": 2, "download_slot": "a.test:80",
              "newsarc_record": object()},
    )  # fmt: skip
    raw = encode_request(request, spider)
    assert b"__reduce__" not in raw and raw.startswith(b"{")
    back = decode_request(raw, spider)
    assert (back.url, back.priority, back.callback, back.errback) == (
        request.url, 7, spider.parse_page, spider.on_error)  # fmt: skip
    assert back.meta == {"newsarc_source": "link", "newsarc_hops": 2}


def test_a_request_with_headers_crosses_workers_intact() -> None:
    """A redirect's target carries headers (Referer). When the worker that claimed it dies, its
    lease is taken by another worker from the encoded request: header names came back as
    ``b'Referer'`` and the fetch failed ("Illegal header name") until the attempts ran out."""
    spider = scrapy.Spider(name="s")
    request = scrapy.Request(
        "http://globe.test/moved/x",
        headers={"Referer": "http://globe.test/old/x", "Accept-Language": ["en", "fr"]},
    )
    back = decode_request(encode_request(request, spider), spider)
    assert back.headers.to_unicode_dict() == request.headers.to_unicode_dict()
    assert back.headers.getlist("Accept-Language") == [b"en", b"fr"]
    assert list(back.headers) == [b"Referer", b"Accept-Language"]
