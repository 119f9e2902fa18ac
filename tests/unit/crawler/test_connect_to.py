"""``--connect-to``: our HOST=IP:PORT, curl's HOST:PORT:IP:PORT, *.SUFFIX patterns; anything
else is refused with a message naming the accepted forms, never silently ignored."""

from __future__ import annotations

import asyncio

import click
import pytest

from crawler.capture.addresses import lookup_connect_to, parse_connect_to, resolve
from crawler.cli.run import connect_to_option


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("globe.test=127.0.0.1:8808", {"globe.test": "127.0.0.1:8808"}),
        ("Globe.Test=127.0.0.1:8808", {"globe.test": "127.0.0.1:8808"}),
        ("globe.test:80:127.0.0.1:8808", {"globe.test:80": "127.0.0.1:8808"}),
        ("globe.test::127.0.0.1:8808", {"globe.test": "127.0.0.1:8808"}),
        ("globe.test:80:127.0.0.1:", {"globe.test:80": "127.0.0.1:80"}),
        ("globe.test:443:[::1]:8443", {"globe.test:443": "[::1]:8443"}),
        ("*.test=127.0.0.1:8808", {"*.test": "127.0.0.1:8808"}),
        ("*.test:80:127.0.0.1:8808", {"*.test:80": "127.0.0.1:8808"}),
    ],
)
def test_accepted_forms(value: str, expected: dict[str, str]) -> None:
    assert connect_to_option((value,)) == expected
    parse_connect_to(expected)  # and the crawl's own parser takes what the CLI produced


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("*.test", "not a HOST=IP:PORT or HOST:PORT:IP:PORT"),
        ("globe.test=127.0.0.1", "no :PORT"),
        ("globe.test:80:localhost:8808", "'localhost' is not an IP address"),
        ("::127.0.0.1:8808", "curl's 'any host' is not supported"),
        ("globe.test::127.0.0.1:", "no port"),
        ("a*.test=127.0.0.1:1", "not a pattern of the form *.SUFFIX"),
        ("*=127.0.0.1:1", "not a pattern of the form *.SUFFIX"),
        ("globe.test=127.0.0.1:70000", "'70000' is not a port"),
    ],
)
def test_refused_forms_say_why_and_what_is_accepted(value: str, why: str) -> None:
    with pytest.raises(click.BadParameter) as info:
        connect_to_option((value,))
    message = info.value.format_message()
    assert why in message and "HOST:PORT:IP:PORT" in message and "*.SUFFIX" in message


def test_lookup_prefers_the_most_specific_mapping() -> None:
    table = parse_connect_to(
        {
            "*.test": "127.0.0.1:1",
            "*.news.test": "127.0.0.1:2",
            "*.news.test:443": "127.0.0.1:3",
            "globe.news.test": "127.0.0.1:4",
            "globe.news.test:8080": "127.0.0.1:5",
        }
    )
    assert lookup_connect_to(table, "globe.news.test", 8080) == ("127.0.0.1", 5)
    assert lookup_connect_to(table, "GLOBE.news.test", 80) == ("127.0.0.1", 4)
    assert lookup_connect_to(table, "wire.news.test", 443) == ("127.0.0.1", 3)
    assert lookup_connect_to(table, "wire.news.test", 80) == ("127.0.0.1", 2)
    assert lookup_connect_to(table, "a.b.other.test", 80) == ("127.0.0.1", 1)
    assert lookup_connect_to(table, "test", 80) is None  # *.test is hosts under .test only
    assert lookup_connect_to(table, "example.org", 80) is None


def test_a_pattern_mapped_host_is_trusted_by_the_guard() -> None:
    table = parse_connect_to({"*.test": "127.0.0.1:8808"})
    target = asyncio.run(resolve("courier.test", 80, connect_to=table, allow_private=False))
    assert (target.ip, target.port, target.trusted) == ("127.0.0.1", 8808, True)
