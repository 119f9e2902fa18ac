"""``newsarc status`` and ``newsarc worker`` against a real Redis (no crawl runs here)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from archive.cluster.connection import connect
from archive.cluster.frontier import Frontier
from archive.cluster.registry import Registry
from crawler.cli.main import main


def test_status_shows_the_crawl_its_queue_and_workers(redis_url: str) -> None:
    client = connect(redis_url)
    crawl = Registry(client).open_crawl("ev", "C1", event_text="x", event_name="ev.toml",
                                        output="/o")  # fmt: skip
    assert crawl is not None
    Registry(client).beat(crawl.keys, "w1", {"host": "h", "pid": 7, "pages": 12,
                                             "articles": 3, "errors": 1}, join=True)  # fmt: skip
    frontier = Frontier(client, crawl.keys)
    frontier.push([("e000000000000001", 0, b"{}"), ("e000000000000002", 0, b"{}")])
    frontier.lease("w1")
    result = CliRunner().invoke(main, ["status", "ev", "--redis", redis_url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["crawl"], report["status"], report["queued"], report["leased"]) == (
        "C1", "running", 1, 1)  # fmt: skip
    assert (report["pages"], report["articles"], report["errors"]) == (12, 3, 1)
    assert report["workers"]["w1"]["active"] is True
    text = CliRunner().invoke(main, ["status", "ev", "--redis", redis_url])
    assert "queued" in text.output and "w1" in text.output


def test_status_of_an_unknown_event_exits_4(redis_url: str) -> None:
    result = CliRunner().invoke(main, ["status", "nope", "--redis", redis_url])
    assert result.exit_code == 4 and "no distributed crawl" in result.output


def test_status_names_an_unreachable_redis_without_its_password() -> None:
    url = "redis://:s3cret@127.0.0.1:1/0"
    result = CliRunner().invoke(main, ["status", "ev", "--redis", url])
    assert result.exit_code == 4
    assert "cannot be reached" in result.output and "s3cret" not in result.output


def test_worker_exits_when_idle_and_nothing_is_queued(redis_url: str) -> None:
    result = CliRunner().invoke(main, ["worker", "--redis", redis_url, "--exit-when-idle"])
    assert result.exit_code == 0 and "waiting for crawls" in result.output


def test_event_cluster_table_names_redis_and_refuses_a_password() -> None:
    import pytest

    from archive.errors import EventFileError
    from crawler.demoweb import demo_event_path
    from crawler.event.spec import parse_event

    base = demo_event_path().read_text()
    assert parse_event(base).cluster.redis is None  # embedded by default
    spec = parse_event(base + '\n[cluster]\nredis = "redis://10.0.0.5:6379/0"\n')
    assert spec.cluster.redis == "redis://10.0.0.5:6379/0"
    text = base + '\n[cluster]\nredis = "redis://:s3cret@10.0.0.5:6379/0"\n'
    with pytest.raises(EventFileError, match=r"cluster\.redis: no password") as err:
        parse_event(text, "ev.toml")
    assert f"ev.toml:{text.count(chr(10))}" in str(err.value) and "s3cret" not in str(err.value)
    with pytest.raises(EventFileError, match=r"cluster\.redis: expected a redis://"):
        parse_event(base + '\n[cluster]\nredis = "http://10.0.0.5/"\n', "ev.toml")
