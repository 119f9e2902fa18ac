"""The newsarc command: help examples, clear errors for bad input, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import click
import pytest

from crawler.cli.progress import ProgressLine
from crawler.cli.run import parse_size
from crawler.cli.summary import CrawlSummary
from tests.conftest import newsarc


def test_malformed_event_file_exits_2_naming_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[event]\nname = "x"\nslug = "x"\nstart = 2025-04-01\nend = 2025-04-02\n'
        'languages = ["en"]\n'
        '[match]\nall = [["x"]]\n[sources]\nseeds = ["http://example.org/"]\n'
        '[limits]\nmax_pages = "ten"\n'
        '[politeness]\nuser_agent = "bot (+https://example.org/bot)"\n'
    )
    result = newsarc("crawl", str(bad))
    assert result.returncode == 2
    assert f"{bad}:12: limits.max_pages" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_event_file_is_a_clear_error(tmp_path: Path) -> None:
    result = newsarc("crawl", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "nope.toml" in result.stderr and "Traceback" not in result.stderr


def test_connect_to_needs_host_equals_target(tmp_path: Path) -> None:
    result = newsarc("crawl", str(tmp_path / "x.toml"), "--connect-to", "globe.test")
    assert result.returncode == 2
    assert "HOST=IP:PORT" in result.stderr


def test_repair_with_nothing_to_do(tmp_path: Path) -> None:
    result = newsarc("repair", str(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip() == "nothing to repair"


@pytest.mark.parametrize(
    ("text", "size"), [("1GB", 10**9), ("500MB", 5 * 10**8), ("64MiB", 64 * 2**20), ("2500", 2500)]
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "1TB", "12"])
def test_parse_size_rejects_nonsense(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_size(text)


def test_progress_line_and_summary_rows() -> None:
    stats = {
        "newsarc/warc/responses": 40,
        "newsarc/errors/HttpError": 2,
        "robotstxt/forbidden": 3,
        "newsarc/trap/calendar": 4,
        "newsarc/warc/files": 2,
        "newsarc/warc/bytes": 123456,
        "finish_reason": "finished",
    }

    class Stats:
        def get_stats(self) -> dict[str, object]:
            return stats

    stream = io.StringIO()
    line = ProgressLine(Stats(), stream=stream)
    line.started -= 10.0
    line.render()
    shown = stream.getvalue()
    assert "pages 40" in shown and "4.0/s" in shown and "errors 2" in shown and "refused 7" in shown
    rows = dict(CrawlSummary.from_stats(stats, 10.0).rows())
    assert rows["WARC bytes"] == "123,456" and rows["pages/s"] == "4.0"


def test_set_needs_name_equals_value(tmp_path: Path) -> None:
    result = newsarc("crawl", str(tmp_path / "x.toml"), "-s", "not a setting")
    assert result.returncode == 2 and "NAME=VALUE" in result.stderr


def test_every_event_file_problem_in_one_run(tmp_path: Path) -> None:
    """No [politeness], no event.languages, a typo'd key: crawl and schedule name all three."""
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[event]\nname = "x"\nslug = "x"\nstart = 2025-04-01\nend = 2025-04-02\n'
        '[match]\nall = [["x"]]\n[sources]\nseeds = ["http://example.org/"]\nmax_deph = 2\n'
    )
    for command in ("crawl", "schedule"):
        result = newsarc(command, str(bad))
        assert result.returncode == 2, result.stderr
        assert result.stderr.splitlines() == [
            f"error: {bad}: 3 problems",
            f"{bad}:1: politeness: missing table [politeness]",
            f"{bad}:1: event.languages: missing (required in [event])",
            f"{bad}:10: sources.max_deph: unknown key; did you mean 'max_depth'?",
        ]


def test_schedule_reports_every_file_before_exiting(tmp_path: Path) -> None:
    from crawler.demoweb import demo_event_path

    bad = tmp_path / "bad.toml"
    bad.write_text(demo_event_path().read_text().replace("max_pages = 500", 'max_pages = "x"'))
    unscheduled = tmp_path / "plain.toml"
    unscheduled.write_text(demo_event_path().read_text())
    result = newsarc("schedule", str(bad), str(unscheduled), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    line = next(
        i for i, text in enumerate(bad.read_text().splitlines(), 1) if text.startswith("max_pages")
    )
    assert result.stderr.splitlines() == [
        f'error: {bad}:{line}: limits.max_pages: expected a positive integer, got "x"',
        f'error: {unscheduled}: no [schedule] table (e.g. every = "30m")',
    ]
    assert not (tmp_path / "out").exists()  # nothing started


def test_check_the_bundled_events_and_a_broken_file(tmp_path: Path) -> None:
    from crawler.demoweb import demo_event_path

    root = Path(__file__).resolve().parents[2]
    wang_yi = root / "events" / "wang-yi-moscow-2025.toml"
    result = newsarc("check", str(demo_event_path()), str(wang_yi))
    assert result.returncode == 0, result.stderr
    assert f"{demo_event_path()}: valid\n" in result.stdout
    assert f"{wang_yi}: valid, 2 warnings\n" in result.stdout
    text = wang_yi.read_text().splitlines()

    def line_of(prefix: str) -> int:
        return next(i for i, line in enumerate(text, 1) if line.startswith(prefix))

    assert [line.split(": ")[1:3] for line in result.stderr.splitlines()] == [
        [f"{wang_yi}:{line_of('gdelt = ')}", "sources.gdelt"],
        [f"{wang_yi}:{line_of('user_agent = ')}", "politeness.user_agent"],
    ]
    bad = tmp_path / "bad.toml"
    bad.write_text(wang_yi.read_text().replace("max_depth = 2", "max_depth = -2"))
    result = newsarc("check", str(bad), str(wang_yi), "--json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    broken, good = (json.loads(line) for line in result.stdout.splitlines())
    assert broken["problems"] == [
        {
            "file": str(bad),
            "line": line_of("max_depth = "),
            "field": "sources.max_depth",
            "message": "expected an integer >= 0, got -2",
        }
    ]
    assert good["valid"] and good["plan"]["slug"] == "wang-yi-moscow-2025"
