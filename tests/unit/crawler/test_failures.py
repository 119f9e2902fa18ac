"""Expected fetch failures: classified by kind, one line per host and kind, repeats folded;
the summary's failing hosts and verdict; the progress line and the progress log."""

from __future__ import annotations

import errno
import io
import logging
import socket
import ssl
import sys
from typing import Any

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
)
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import MemoryStatsCollector

from crawler.capture.failures import FailureLog, classify, describe
from crawler.capture.proxy import ProxyFailed
from crawler.cli.progress import ProgressLine
from crawler.cli.summary import CrawlSummary


def _caused(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


def _http(status: int) -> HttpError:
    response = Response(
        "http://globe.test/x", status=status, request=Request("http://globe.test/x")
    )
    return HttpError(response, "Ignoring non-200 response")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (CannotResolveHostError("globe.test: [Errno -2] Name or service not known"), "dns"),
        (
            _caused(CannotResolveHostError("x"), socket.gaierror(-2, "Name or service not known")),
            "dns",
        ),
        (DownloadConnectionRefusedError("Connect call failed"), "refused"),
        (DownloadTimeoutError("took longer than 180 seconds"), "timeout"),
        (_caused(DownloadFailedError("u: reset"), ConnectionResetError(104, "reset")), "reset"),
        (
            _caused(DownloadFailedError("u: tls"), ssl.SSLError(1, "CERTIFICATE_VERIFY_FAILED")),
            "tls",
        ),
        (
            _caused(DownloadFailedError("u"), OSError(errno.ENETUNREACH, "unreachable")),
            "unreachable",
        ),
        (_http(404), "http"),
        (ProxyFailed("proxy 127.0.0.1:9 unreachable", "unreachable"), "proxy"),
        (ValueError("a bug"), None),
        (DownloadFailedError("something we do not know"), None),
        (_caused(DownloadFailedError("u"), OSError(errno.EMFILE, "Too many open files")), None),
    ],
)
def test_classify(exc: BaseException, kind: str | None) -> None:
    assert classify(exc) == kind


def test_describe_is_short_and_names_the_status() -> None:
    assert describe("http", _http(503)) == "HTTP 503"
    dns = _caused(
        CannotResolveHostError("globe.test: [Errno -2] Name or service not known"),
        socket.gaierror(-2, "Name or service not known"),
    )
    assert describe("dns", dns) == "DNS lookup failed (Name or service not known)"


def test_first_failure_per_host_and_kind_is_logged_and_the_rest_folded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stats = MemoryStatsCollector.__new__(MemoryStatsCollector)
    stats._stats = {}
    log = FailureLog(stats, fold_interval=0)
    dns = CannotResolveHostError("globe.test: [Errno -2] Name or service not known")
    with caplog.at_level(logging.WARNING, logger="crawler.capture.failures"):
        for i in range(13):
            log.record(f"http://globe.test/{i}", "dns", dns)
        log.record("http://courier.test/", "dns", dns)
        log.record("http://globe.test/old", "http", _http(404))
        log.record("http://globe.test/old2", "http", _http(404))
        assert len(caplog.records) == 3  # globe dns, courier dns, globe http
        log.flush()
        log.flush()  # nothing new: nothing more
    messages = [r.getMessage() for r in caplog.records]
    assert (
        messages[0]
        == "globe.test: DNS lookup failed (Name or service not known): http://globe.test/0"
    )
    assert messages[2] == "globe.test: HTTP 404: http://globe.test/old"
    assert messages[3:] == ["globe.test: 12 more DNS failures", "globe.test: 1 more HTTP error"]
    assert all(r.exc_info is None for r in caplog.records)
    assert stats._stats["newsarc/failures/dns"] == 14
    assert stats._stats["newsarc/failures/host/globe.test/dns"] == 13
    assert stats._stats["newsarc/failures/host/globe.test/http"] == 2


def test_an_unexpected_failure_keeps_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    stats = MemoryStatsCollector.__new__(MemoryStatsCollector)
    stats._stats = {}
    log = FailureLog(stats, fold_interval=0)
    try:
        raise ValueError("a bug in a component")
    except ValueError as exc:
        with caplog.at_level(logging.WARNING, logger="crawler.capture.failures"):
            log.fetch_failed("http://globe.test/", exc, sys.exc_info())
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert not stats._stats  # not counted as an expected failure


def _stats(**hosts: dict[str, int]) -> dict[str, Any]:
    stats: dict[str, Any] = {"finish_reason": "finished"}
    for host, kinds in hosts.items():
        for kind, n in kinds.items():
            stats[f"newsarc/failures/host/{host.replace('_', '.')}/{kind}"] = n
            stats[f"newsarc/failures/{kind}"] = stats.get(f"newsarc/failures/{kind}", 0) + n
    return stats


def test_summary_lists_failing_hosts_worst_first_and_a_verdict_when_nothing_was_fetched() -> None:
    stats = _stats(globe_invalid={"dns": 3}, courier_invalid={"dns": 2}, local_test={"refused": 1})
    summary = CrawlSummary.from_stats(stats)
    assert [h["host"] for h in summary.failing_hosts] == [
        "globe.invalid",
        "courier.invalid",
        "local.test",
    ]
    assert summary.host_rows()[0] == ("globe.invalid", "3", "3 DNS failures")
    assert summary.failures == {"dns": 5, "refused": 1}
    assert summary.verdict() == (
        "nothing could be fetched: 3 hosts failed (DNS lookup failed on 2, connection refused "
        "on 1); check the network, the proxy, and the event's URLs"
    )
    assert not any(k.startswith("newsarc/failures/host/") for k in summary.counters)
    fetched = CrawlSummary.from_stats({**stats, "newsarc/warc/responses": 4})
    assert fetched.verdict() is None and fetched.host_rows()  # hosts still listed


def test_forced_stop_has_no_verdict() -> None:
    stats = {"finish_reason": "shutdown (forced)"}
    assert CrawlSummary.from_stats(stats).verdict() is None


class _Stats:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get_stats(self) -> dict[str, Any]:
        return self.values


def test_progress_line_shows_totals_known_so_far() -> None:
    stats = {
        "newsarc/warc/responses": 40,
        "scheduler/enqueued": 100,
        "scheduler/dequeued": 70,
        "newsarc/scheduler/held": 5,
        "newsarc/articles": 7,
        "newsarc/errors/HttpError": 2,
    }
    now = [100.0]
    stream = io.StringIO()
    line = ProgressLine(_Stats(stats), stream=stream, clock=lambda: now[0])
    now[0] += 75.0
    line.render()
    shown = stream.getvalue()
    assert shown.startswith("\r\033[K")
    assert "pages 40 done, 35 queued" in shown and "0.5/s" in shown
    assert "articles 7" in shown and "errors 2" in shown and "1:15" in shown


def test_progress_log_is_plain_lines_with_the_same_numbers() -> None:
    stream = io.StringIO()
    log = ProgressLine(_Stats({"newsarc/warc/responses": 3}), stream=stream, mode="log")
    assert log.interval == 30.0
    log.render()
    log.render()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue() and "\033" not in stream.getvalue()
    assert all(" progress: pages 3 done, 0 queued" in line for line in lines)


def test_progress_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="progress mode"):
        ProgressLine(_Stats({}), mode="fancy")
