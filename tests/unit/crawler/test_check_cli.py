"""``newsarc check``: every problem of a file, or the crawl it describes, without any network."""

from __future__ import annotations

import json
import socket
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from crawler.cli.check import advice, plan
from crawler.cli.main import main
from crawler.event.spec import parse_event
from tests.support import TEST_DATA

ROOT = Path(__file__).resolve().parents[3]
WANG_YI = ROOT / "events" / "wang-yi-moscow-2025.toml"
DEMO = ROOT / "crawler" / "demoweb" / "demo-event.toml"
MINIMAL = (TEST_DATA / "events" / "valid_minimal.toml").read_text(encoding="utf-8")

BROKEN = """\
[event]
name = "Test event"
slug = "test-event"
start = 2025-03-31
end = 2025-04-02

[match]
all = [["Wang Yi"], ["Moscow", "Kremlin"]]

[sources]
seeds = ["http://127.0.0.1:8080/"]
max_deph = 2
"""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """check must not resolve or connect to anything: any attempt fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"newsarc check touched the network: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args], terminal_width=100)


def test_the_demo_event_is_valid_and_its_plan_is_printed() -> None:
    result = check(str(DEMO))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no warnings: a local GDELT stand-in, a real contact
    out = result.stdout
    assert out.startswith(f"file        {DEMO}: valid\n")
    assert "event       Wang Yi visits Moscow (demo web) [demo-wang-yi-moscow]" in out
    assert "window      2025-03-30 to 2025-04-05 (7 days, UTC)" in out
    assert "2025-03-29 to 2025-04-06 (window_slack_days = 1)" in out
    assert "all:  (Wang Yi | 王毅 | Ван И) and (Moscow | Kremlin | Putin | Lavrov | 莫斯科" in out
    assert "6 seeds: http://globe.test/, http://courier.test/, http://herald.test/ (+3 more)" in out
    assert "2 feeds: http://globe.test/rss.xml, http://courier.test/atom.xml" in out
    assert "1 sitemap: http://herald.test/sitemap_index.xml" in out
    assert "sourcelang%3Aen" in out and "startdatetime=20250329000000" in out  # the GDELT URL
    assert "6 allowed domains: globe.test, courier.test, herald.test (+3 more)" in out
    assert "follows links up to 3 hops from a source" in out
    assert "500 pages (no per-host limit), pages up to 5,000,000 bytes" in out
    assert "2 requests at a time per host, 0 s between them" in out
    assert "contact: https://github.com/newsarc/newsarc" in out
    assert "robots.txt: obeyed" in out
    assert "schedule    none" in out and "cluster     none (embedded)" in out


def test_the_shipped_event_is_valid_with_warnings_that_name_lines() -> None:
    result = check(str(WANG_YI))
    assert result.exit_code == 0, result.output
    assert "wang-yi-moscow-2025.toml: valid, 2 warnings" in result.stdout
    assert "10 feeds: https://www.aljazeera.com/xml/rss/all.xml" in result.stdout
    assert "(+7 more)" in result.stdout and "16 allowed domains" in result.stdout
    warnings = result.stderr.splitlines()
    text = WANG_YI.read_text("utf-8").splitlines()
    assert len(warnings) == 2
    gdelt, contact = warnings
    assert gdelt.startswith(f"warning: {WANG_YI}:")
    line = int(gdelt.split(":")[2])
    assert text[line - 1].startswith("gdelt = ") and "sources.gdelt: the window ended" in gdelt
    line = int(contact.split(":")[2])
    assert text[line - 1].startswith("user_agent = ")
    assert "politeness.user_agent: the contact mailto:change-me@example.org" in contact


def test_a_broken_file_lists_every_problem_and_exits_2() -> None:
    result = check(str(TEST_DATA / "events" / "wrong_type.toml"))
    assert result.exit_code == 2 and result.stdout == ""
    path = TEST_DATA / "events" / "wrong_type.toml"
    assert result.stderr == (
        f'error: {path}:15: limits.max_pages: expected a positive integer, got "ten"\n'
    )


def test_three_mistakes_three_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BROKEN)
    result = check(str(bad))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {bad}: 3 problems",
        f"{bad}:1: politeness: missing table [politeness]",
        f"{bad}:1: event.languages: missing (required in [event])",
        f"{bad}:12: sources.max_deph: unknown key; did you mean 'max_depth'?",
    ]


def test_json_one_object_per_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BROKEN)
    result = check(str(DEMO), str(bad), str(tmp_path / "nope.toml"), "--json")
    assert result.exit_code == 2  # one file is not valid
    good, broken, missing = (json.loads(line) for line in result.stdout.splitlines())
    assert good["valid"] is True and good["problems"] == [] and good["warnings"] == []
    p = good["plan"]
    assert (p["slug"], p["window"]["dated_from"], p["window"]["dated_until"]) == (
        "demo-wang-yi-moscow",
        "2025-03-29",
        "2025-04-06",
    )
    assert len(p["sources"]["seeds"]) == 6 and p["sources"]["gdelt"]["query"] == '"Wang Yi" Moscow'
    assert p["scope"] == {
        "allowed_domains": [
            "globe.test",
            "courier.test",
            "herald.test",
            "wire.test",
            "xinwen.test",
            "novosti.test",
        ],
        "follow_links": True,
        "max_depth": 3,
    }
    assert p["limits"]["max_pages"] == 500 and p["limits"]["download_delay"] == 0.0
    assert p["politeness"]["obey_robots"] is True and p["schedule"] is None
    assert broken["valid"] is False and broken["plan"] is None
    assert [(x["line"], x["field"]) for x in broken["problems"]] == [
        (1, "politeness"),
        (1, "event.languages"),
        (12, "sources.max_deph"),
    ]
    assert missing["valid"] is False
    assert missing["problems"][0]["message"].startswith("cannot read the event file")


def test_all_valid_files_exit_0() -> None:
    result = check(str(DEMO), str(WANG_YI), "--json")
    assert result.exit_code == 0
    assert [json.loads(line)["valid"] for line in result.stdout.splitlines()] == [True, True]


def test_warnings_are_valid_but_probably_not_meant() -> None:
    text = MINIMAL.replace(
        'user_agent = "newsarc-test/0.1 (+https://example.org/contact)"',
        'user_agent = "bot/1 (+https://news.example.net/bot)"\nobey_robots = false',
    )
    text = text.replace(
        'seeds = ["http://127.0.0.1:8080/"]',
        'seeds = ["http://a.example.net/", "http://b.other.org/"]\n'
        'allowed_domains = ["example.net"]\ngdelt = "x"',
    )
    text += '[schedule]\nevery = "1h"\nuntil = 2025-05-01\n'
    event = parse_event(text, "ev.toml")
    found = [
        (w.line, w.field, w.message.split(":")[0]) for w in advice(event, text, date(2026, 1, 1))
    ]
    assert found == [
        (12, "sources.seeds[1]", "b.other.org is not in allowed_domains"),
        (
            14,
            "sources.gdelt",
            "the window ended 274 days ago; GDELT's DOC API searches only "
            "about the last 90 days, so the query will likely find nothing",
        ),
        (20, "politeness.user_agent", "the contact https"),
        (21, "politeness.obey_robots", "robots.txt is ignored"),
        (24, "schedule.until", "is past"),
    ]
    # the same file in its own time: the GDELT window and the schedule are current
    later = [w.field for w in advice(event, text, date(2025, 4, 10))]
    assert "sources.gdelt" not in later and "schedule.until" not in later


def test_a_real_contact_is_no_warning() -> None:
    text = MINIMAL.replace("https://example.org/contact", "mailto:crawl@uni-example.de")
    assert advice(parse_event(text, "ev.toml"), text, date(2025, 4, 1)) == []


def test_the_plan_of_a_scheduled_distributed_event() -> None:
    text = MINIMAL + (
        '[schedule]\ncron = "*/30 * * * *"\njitter = "1m"\n'
        '[cluster]\nredis = "redis://10.0.0.5:6379/0"\n[recrawl]\nfeed = "5m"\ntail_days = 2\n'
    )
    p = plan(parse_event(text, "ev.toml"))
    assert p["schedule"] == {"every": None, "cron": "*/30 * * * *", "until": None, "jitter": 60.0}
    assert p["cluster"] == {"redis": "redis://10.0.0.5:6379/0"}
    assert p["recrawl"]["feed"] == 300.0 and p["recrawl"]["tail_days"] == 2
    json.dumps(p)  # JSON-ready


def test_the_readme_example_output_is_what_check_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("### Checking an event file") :]
    block = section[section.index("```sh\n") + 6 : section.index("```\n", section.index("```sh"))]
    command, *rest = block.splitlines()
    assert command == "$ newsarc check my-event.toml"
    shown = rest[: next(i for i, x in enumerate(rest) if x.startswith("$"))]
    monkeypatch.chdir(tmp_path)
    Path("my-event.toml").write_text(BROKEN)
    result = check("my-event.toml")
    assert result.exit_code == 2 and result.stderr.splitlines() == shown
