"""The Redis structures of distributed crawls, against a real redis-server: the leased frontier,
the crawl/worker registry and the crawl state on Redis."""

from __future__ import annotations

import pytest

from archive.cluster.connection import CrawlKeys, connect, redacted
from archive.cluster.frontier import Frontier
from archive.cluster.registry import Registry
from archive.state import UrlState
from archive.state.redis import RedisCrawlState
from archive.state.sqlite import SqliteCrawlState

KEYS = CrawlKeys("ev", "20250401T000000Z")


@pytest.fixture
def client(redis_url: str):  # type: ignore[no-untyped-def]
    return connect(redis_url)


def test_push_dedups_queued_leased_and_done_requests(client) -> None:  # type: ignore[no-untyped-def]
    f = Frontier(client, KEYS)
    assert f.push([("aaaa000000000001", 0, b"one"), ("aaaa000000000002", 5, b"two")]) == 2
    assert f.push([("aaaa000000000001", 0, b"one again")]) == 0  # queued
    (first,) = f.lease("w1")
    assert (first.fingerprint, first.data, first.attempt) == ("aaaa000000000002", b"two", 1)
    assert f.push([("aaaa000000000002", 5, b"two")]) == 0  # leased
    assert f.ack("w1", ["aaaa000000000002"]) == (1, 0)
    assert f.push([("aaaa000000000002", 5, b"two")]) == 0  # done
    assert f.is_done("aaaa000000000002") and not f.is_done("aaaa000000000001")
    assert f.sizes() == (1, 0)


def test_higher_priority_first_then_first_in_first_out(client) -> None:  # type: ignore[no-untyped-def]
    f = Frontier(client, KEYS)
    f.push([(f"{i:016x}", p, str(i).encode()) for i, p in enumerate([0, 10, 0, 10, -5])])
    order = [lease.data for lease in f.lease("w", 5)]
    assert order == [b"1", b"3", b"0", b"2", b"4"]


def test_expired_lease_goes_back_to_the_queue_then_to_the_failed_list(client) -> None:  # type: ignore[no-untyped-def]
    dying = Frontier(client, KEYS, lease_ttl=-1, max_attempts=2)  # every lease already expired
    dying.push([("bbbb000000000001", 0, b'{"url": "http://a.test/x"}')])
    assert dying.lease("dead-worker")[0].attempt == 1
    assert dying.sizes() == (1, 0)  # requeued: its worker stopped renewing
    second = dying.lease("other")
    assert [lease.attempt for lease in second] == [2]
    assert dying.sizes() == (0, 0)  # two attempts, both expired: failed, not retried forever
    failed = dying.failed()
    assert failed["bbbb000000000001"]["url"] == "http://a.test/x"
    assert "lease expired 2 times" in failed["bbbb000000000001"]["error"]
    assert dying.counters()["requeued"] == 1 and dying.counters()["failed"] == 1
    # a failure is not "done": a later discovery may not retry it past max_attempts either
    assert dying.push([("bbbb000000000001", 0, b"again")]) == 0


def test_renewed_lease_stays_and_late_ack_counts_a_double_fetch(client) -> None:  # type: ignore[no-untyped-def]
    f = Frontier(client, KEYS, lease_ttl=60)
    f.push([("cccc000000000001", 0, b"x")])
    f.lease("w1")
    assert f.renew("w1", ["cccc000000000001"]) == 1
    assert f.renew("w2", ["cccc000000000001"]) == 0  # not its lease
    assert f.sizes() == (0, 1)
    assert f.ack("w2", ["cccc000000000001"]) == (1, 1)  # done by another: fetched twice
    assert f.sizes() == (0, 0)


def test_fail_lists_the_error_and_keeps_the_url_retryable_later(client) -> None:  # type: ignore[no-untyped-def]
    f = Frontier(client, KEYS, max_attempts=3)
    f.push([("dddd000000000001", 0, b'{"url": "http://dead.test/"}')])
    f.lease("w1")
    assert f.fail("w1", [("dddd000000000001", "DNSLookupError: no such host")]) == 1
    assert f.failed()["dddd000000000001"]["error"] == "DNSLookupError: no such host"
    assert not f.is_done("dddd000000000001")
    assert f.push([("dddd000000000001", 0, b"again")]) == 1  # attempts left: retryable


def test_registry_one_crawl_per_event_and_the_last_worker_finishes(client) -> None:  # type: ignore[no-untyped-def]
    reg = Registry(client)
    a = reg.open_crawl("ev", "C1", event_text="x", event_name="ev.toml", output="/o")
    b = reg.open_crawl("ev", "C2", event_text="y", event_name="ev.toml", output="/p")
    assert a is not None and b is not None
    assert (a.created, b.created, b.crawl_id, b.event_text) == (True, False, "C1", "x")
    assert [c.slug for c in reg.running()] == ["ev"]
    keys = a.keys
    reg.beat(keys, "w1", {"pid": 1}, join=True)
    reg.beat(keys, "w2", {"pid": 2}, join=True)
    assert reg.leave(keys, "w1", ttl=60) is False  # w2 still works
    assert reg.leave(keys, "w2", ttl=60) is True  # the last one finishes
    assert reg.open_crawl("ev", "C3", event_text="z", event_name="e", output="/o") is None
    reg.add_objects(keys, ["ev/warc/a.warc.gz"])
    assert reg.objects(keys) == {"ev/warc/a.warc.gz"}
    reg.finish(keys, {"objects": 1})
    assert reg.objects(keys) == set() and reg.running() == []
    c = reg.open_crawl("ev", "C3", event_text="z", event_name="e", output="/o")
    assert c is not None and c.created and c.crawl_id == "C3"


def test_a_dead_worker_does_not_keep_the_crawl_open(client) -> None:  # type: ignore[no-untyped-def]
    reg = Registry(client)
    crawl = reg.open_crawl("ev", "C1", event_text="x", event_name="e", output="/o")
    assert crawl is not None
    reg.beat(crawl.keys, "dead", {}, join=True)
    reg.beat(crawl.keys, "alive", {}, join=True)
    assert reg.leave(crawl.keys, "alive", ttl=-1) is True  # "dead" stopped beating


def test_the_last_worker_waits_for_one_killed_a_moment_ago(client) -> None:  # type: ignore[no-untyped-def]
    reg = Registry(client)
    crawl = reg.open_crawl("ev", "C1", event_text="x", event_name="e", output="/o")
    assert crawl is not None
    reg.beat(crawl.keys, "killed", {}, join=True)  # beat a moment ago, then SIGKILL
    reg.beat(crawl.keys, "last", {}, join=True)
    asked = []

    def sleep(seconds: float) -> None:  # the killed worker's heartbeat goes stale meanwhile
        asked.append(seconds)
        client.hset(crawl.keys.w, "killed", '{"beat": 0}')

    assert reg.leave(crawl.keys, "last", ttl=60, wait=30, sleep=sleep) is True
    assert asked == [1.0]  # asked again once, then finished the crawl
    assert reg.leave(crawl.keys, "other", ttl=60) is False  # "last" finishes it, alive
    reg.finish(crawl.keys, {})
    assert reg.leave(crawl.keys, "late", ttl=60) is False  # finished: never a second finisher


def test_redis_state_round_trips_with_sqlite(client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    state = RedisCrawlState(client, KEYS)
    a = UrlState("http://a.test/1", kind="article", etag='"x"', next_due=10.0, revision=2,
                 warc={"filename": "f.warc.gz", "offset": 5, "length": 9}, text="T")  # fmt: skip
    b = UrlState("http://a.test/2", kind="page", next_due=99.0)
    state.put(a)
    state.put(b)
    assert state.get(a.url) == a and state.get("http://nope/") is None
    assert state.due(50.0) == [(a.url, "article")]
    assert len(state) == 2
    sqlite = SqliteCrawlState(tmp_path / "s.sqlite")
    assert state.dump(sqlite) == 2
    assert sqlite.get(a.url) == a
    other = RedisCrawlState(client, CrawlKeys("ev", "C2"))
    assert other.load(iter(sqlite)) == 2 and other.get(b.url) == b
    sqlite.close()


def test_redis_state_keeps_writes_through_an_outage(tmp_path) -> None:
    from tests.support.redisserver import RedisServer

    server = RedisServer(tmp_path / "r").start()
    try:
        state = RedisCrawlState(connect(server.url, timeout=1.0), KEYS)
        state.put(UrlState("http://a.test/1", kind="page"))
        server.stop()
        state.put(UrlState("http://a.test/2", kind="article"))  # kept in memory
        assert state.get("http://a.test/2") is not None
        server.start()
        state.put(UrlState("http://a.test/3"))
        state.pending.clear()
        assert {u for u, _ in state.due(float("inf"))} == {f"http://a.test/{i}" for i in (1, 2, 3)}
    finally:
        server.stop()


def test_redis_url_password_is_never_shown() -> None:
    assert redacted("redis://user:s3cret@host:6379/0") == "redis://user:***@host:6379/0"
    assert "s3cret" not in redacted("redis://:s3cret@host/0")


def test_a_queued_request_found_closer_to_a_seed_keeps_the_fewer_hops(client) -> None:  # type: ignore[no-untyped-def]
    f = Frontier(client, KEYS)
    assert f.push([("ffff000000000001", 0, b"{}", 3, "http://a.test/deep")]) == 1
    assert f.push([("ffff000000000001", 0, b"{}", 1, "http://a.test/")]) == 0  # closer
    assert f.push([("ffff000000000001", 0, b"{}", 2, "http://a.test/x")]) == 0  # not closer
    (lease,) = f.lease("w")
    assert (lease.hops, lease.via) == (1, "http://a.test/")
    assert f.counters()["shorter_path"] == 1


def test_requests_are_leased_a_layer_at_a_time(client) -> None:  # type: ignore[no-untyped-def]
    f = Frontier(client, KEYS)
    f.push([("1000000000000001", 0, b"seed", 0, "", 0),
            ("1000000000000002", 0, b"seed2", 0, "", 0)])  # fmt: skip
    (seed,) = f.lease("w1")
    f.push([("2000000000000001", 900, b"deeper", 1, "s", 1)])  # found while seed2 waits
    (seed2,) = f.lease("w2")
    assert seed2.data == b"seed2"  # layer 0 before layer 1, whatever the priority
    assert f.lease("w3") == []  # layer 0 is still being fetched: layer 1 waits
    f.ack("w1", [seed.fingerprint])
    assert f.lease("w3") == []
    f.ack("w2", [seed2.fingerprint])
    assert [lease.data for lease in f.lease("w3")] == [b"deeper"]


def test_an_expired_lease_frees_its_layer(client) -> None:  # type: ignore[no-untyped-def]
    f = Frontier(client, KEYS, lease_ttl=-1)
    f.push([("3000000000000001", 0, b"a", 0, "", 0), ("3000000000000002", 0, b"b", 1, "", 1)])
    f.lease("dead")
    again = f.lease("alive")  # the dead worker's layer-0 request comes back first
    assert [lease.data for lease in again] == [b"a"]


def test_a_crawl_whose_finisher_died_is_finished_by_the_next_worker(client) -> None:  # type: ignore[no-untyped-def]
    reg = Registry(client)
    crawl = reg.open_crawl("ev", "C1", event_text="x", event_name="e", output="/o")
    assert crawl is not None
    reg.beat(crawl.keys, "w1", {}, join=True)
    assert reg.leave(crawl.keys, "w1", ttl=60) is True  # w1 finishes the crawl ...
    # ... while it beats, nobody may join or take over
    assert reg.open_crawl("ev", "C2", event_text="x", event_name="e", output="/o") is None
    # w1 is killed before the manifest: once its heartbeat is stale, a new worker joins
    joined = reg.open_crawl("ev", "C2", event_text="x", event_name="e", output="/o", stale=-1)
    assert joined is not None and joined.crawl_id == "C1" and not joined.created
    reg.beat(crawl.keys, "w2", {}, join=True)
    assert reg.leave(crawl.keys, "w2", ttl=-1) is True  # and takes the end of the crawl over
    assert Frontier(client, crawl.keys).counters()["finishers_lost"] == 1


def test_a_redirect_target_is_claimed_by_one_worker_only(client) -> None:  # type: ignore[no-untyped-def]
    f = Frontier(client, KEYS)
    assert f.claim("w1", "7000000000000001", 0, b"target") is True
    assert f.claim("w2", "7000000000000001", 0, b"target") is False  # leased by w1
    assert f.push([("7000000000000001", 0, b"link")]) == 0  # a link to it is not queued again
    assert f.sizes() == (0, 1)
    f.ack("w1", ["7000000000000001"])
    assert f.claim("w2", "7000000000000001", 0, b"target") is False  # done
