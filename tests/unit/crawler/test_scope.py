"""The event spider's scope: allowed hosts, and dated entries against the event window."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from crawler.discovery.scope import Scope
from crawler.event.spec import load_event
from tests.support import TEST_DATA

EVENT = load_event(TEST_DATA / "events" / "valid_minimal.toml")


def scoped(*domains: str, slack: int = 0) -> Scope:
    sources = dataclasses.replace(
        EVENT.sources, allowed_domains=tuple(domains), window_slack_days=slack
    )
    return Scope(dataclasses.replace(EVENT, sources=sources))


def test_hosts_in_scope_are_the_domains_and_their_subdomains() -> None:
    scope = scoped("News.Example")
    assert scope.url_in_scope("https://news.example/a")
    assert scope.url_in_scope("http://www.NEWS.example/a")
    assert not scope.url_in_scope("http://badnews.example/a")  # a suffix, not a subdomain
    assert not scope.url_in_scope("http://news.example.org/a")
    assert not scope.url_in_scope("ftp://news.example/a")
    assert not scope.url_in_scope("mailto:desk@news.example")


def test_no_allowed_domains_means_every_http_host() -> None:
    scope = scoped()
    assert scope.url_in_scope("http://anything.test/")
    assert not scope.url_in_scope("javascript:void(0)")


def test_dates_are_judged_against_the_window_with_its_slack() -> None:
    strict, slack = scoped(), scoped(slack=2)  # window 2025-03-31 .. 2025-04-02
    assert strict.dated_in_window(date(2025, 4, 2), None)
    assert not strict.dated_in_window(date(2025, 4, 3), None)
    assert slack.dated_in_window(date(2025, 4, 4), None)
    assert not slack.dated_in_window(datetime(2025, 4, 5, 12, tzinfo=UTC), None)


def test_an_undated_entry_falls_back_to_the_date_in_its_url() -> None:
    scope = scoped()
    assert not scope.dated_in_window(None, "http://n.test/2024/04/01/visit.html")
    assert scope.dated_in_window(None, "http://n.test/2025/04/01/visit.html")
    assert scope.dated_in_window(None, "http://n.test/visit.html")
    assert not scope.dated_in_window(None, "http://n.test/visit.html", undated_ok=False)


def test_stale_only_refuses_what_predates_the_window_and_nothing_later() -> None:
    scope = scoped()
    assert not scope.dated_in_window(date(2025, 3, 1), None, stale_only=True)
    assert scope.dated_in_window(date(2026, 1, 1), None, stale_only=True)  # modified since
    assert not scope.dated_in_window(date(2026, 1, 1), None)


def test_each_refused_dated_entry_is_reported_once() -> None:
    refused: list[None] = []
    scope = Scope(scoped().event, lambda: refused.append(None))
    assert scope.dated_in_window(date(2025, 4, 1), None)
    assert scope.dated_in_window(None, "http://n.test/visit.html")  # undated: not a refusal
    assert not scope.dated_in_window(date(2025, 5, 1), None)
    assert not scope.dated_in_window(date(2025, 1, 1), None, stale_only=True)
    assert len(refused) == 2
