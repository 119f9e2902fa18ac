"""The event file: loading, errors naming file/line/field, line lookup, matching, the window."""

from __future__ import annotations

import dataclasses
import pickle
import random
import re
import tomllib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from archive.errors import EventFileError, NewsarcError
from crawler.event.spec import (
    DEFAULT_GDELT_ENDPOINT,
    EventSpec,
    LimitsSpec,
    MatchSpec,
    SourcesSpec,
    load_event,
    parse_event,
)
from crawler.event.tomllines import key_lines, line_of
from tests.support import TEST_DATA

ROOT = Path(__file__).resolve().parents[3]
DATA = TEST_DATA / "events"
WANG_YI = ROOT / "events" / "wang-yi-moscow-2025.toml"
DEMO = ROOT / "crawler" / "demoweb" / "demo-event.toml"
DOCS = ROOT / "docs" / "event-file.md"
MINIMAL = (DATA / "valid_minimal.toml").read_text(encoding="utf-8")


# -- valid files -------------------------------------------------------------------------------


def test_minimal_file_gets_the_documented_defaults() -> None:
    event = load_event(DATA / "valid_minimal.toml")
    assert event.name == "Test event" and event.slug == "test-event"
    assert (event.start, event.end) == (date(2025, 3, 31), date(2025, 4, 2))
    assert event.languages == ("en",)
    assert event.description == "" and event.timezone == "UTC"
    assert event.path == str(DATA / "valid_minimal.toml")
    assert event.match == MatchSpec(all=(("Wang Yi",), ("Moscow", "Kremlin")))
    assert event.sources == SourcesSpec(
        seeds=("http://127.0.0.1:8080/",), allowed_domains=("127.0.0.1",)
    )
    assert event.sources.gdelt is None and event.sources.gdelt_endpoint == DEFAULT_GDELT_ENDPOINT
    assert event.limits == LimitsSpec(max_pages=10)
    assert event.limits.max_pages_per_host is None and event.limits.max_redirects == 5
    assert event.politeness.obey_robots is True


def test_shipped_wang_yi_event() -> None:
    event = load_event(WANG_YI)
    assert event.slug == "wang-yi-moscow-2025" == WANG_YI.stem
    assert event.start <= date(2025, 3, 31) and date(2025, 4, 2) <= event.end
    assert event.timezone == "Europe/Moscow"
    assert {"en", "ru", "zh"} <= set(event.languages)
    assert event.sources.gdelt and "Wang Yi" in event.sources.gdelt
    assert len(event.sources.feeds) >= 5 and len(event.sources.sitemaps) >= 3
    assert {"bbc.com", "reuters.com", "tass.com"} <= set(event.sources.allowed_domains)
    # every listed URL is on an allowed domain, so nothing listed is dropped as off-site
    for url in (*event.sources.seeds, *event.sources.feeds, *event.sources.sitemaps):
        host = re.sub(r"^https?://([^/:?]+).*", r"\1", url)
        assert any(host == d or host.endswith("." + d) for d in event.sources.allowed_domains), url
    # real coverage of the visit (Al Jazeera, Xinhua, RT, 1 April 2025) matches; namesakes do not
    coverage = [
        "Russia's Putin hosts Chinese Foreign Minister Wang for talks in Moscow ... Foreign "
        "Minister Wang Yi has said in remarks in a visit to Moscow",
        "Putin made the remarks when meeting with visiting Chinese Foreign Minister Wang Yi in "
        "the Kremlin.",
        "Путин провел встречу с министром иностранных дел КНР Ван И в Кремле",  # noqa: RUF001
        "普京在克里姆林宫会见王毅",
    ]
    assert all(event.match.matches(text) for text in coverage)
    assert not event.match.matches("Wang Yi wins the badminton final in Moscow")
    assert not event.match.matches("Putin meets Lavrov in Moscow")


def test_shipped_demo_event() -> None:
    event = load_event(DEMO)
    assert event.path == str(DEMO)
    assert event.match.all and (event.sources.seeds or event.sources.feeds)


def test_docs_example_is_a_valid_event_file() -> None:
    example = re.search(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert example is not None
    event = parse_event(example.group(1), "README.md")
    assert event.slug == "wang-yi-moscow-2025"
    assert event.match.matches("wang-yi-moscow-visit")


def _documented_defaults() -> dict[str, str]:
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|", DOCS.read_text("utf-8"), re.M)
    return {name: default.strip() for name, default in rows}


@pytest.mark.parametrize("spec", [SourcesSpec(), LimitsSpec()], ids=lambda s: type(s).__name__)
def test_docs_state_the_real_defaults(spec: object) -> None:
    documented = _documented_defaults()
    for field in dataclasses.fields(spec):  # type: ignore[arg-type]
        assert field.name in documented, f"{field.name} is not documented"
        cell = documented[field.name]
        if cell.startswith("`"):  # a literal default, e.g. `30` or `[]`
            value = tomllib.loads(f"x = {cell.strip('`')}")["x"]
            actual = getattr(spec, field.name)
            assert (tuple(value) if isinstance(value, list) else value) == actual, field.name


def test_every_field_is_documented() -> None:
    from crawler.event.spec import _LAYOUT

    documented = _documented_defaults()
    for table, (_, keys) in _LAYOUT.items():
        assert f"## `[{table}]`" in DOCS.read_text("utf-8")
        for key in keys:
            assert key in documented, f"{table}.{key} is not documented"


def test_bom_and_crlf_are_accepted() -> None:
    event = parse_event("\ufeff" + MINIMAL.replace("\n", "\r\n"))
    assert event.slug == "test-event" and event.path == "<string>"


def test_event_spec_is_frozen_and_picklable() -> None:
    event = load_event(WANG_YI)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.slug = "other"  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(event))
    assert copy == event and copy.match.matches("Wang Yi in Moscow")


# -- malformed files: the file, the line and the field ----------------------------------------

MALFORMED = [
    # fixture, line, field, message (a fragment of it)
    ("syntax_error", 15, "limits.max_pages", "TOML syntax error: Invalid value (column 13)"),
    ("unclosed_array", 8, "event.languages", "TOML syntax error"),
    ("missing_field", 3, "event.slug", "missing (required in [event])"),
    ("missing_table", 1, "politeness", "missing table [politeness]"),
    ("wrong_type", 15, "limits.max_pages", 'expected a positive integer, got "ten"'),
    ("bool_not_int", 13, "sources.max_depth", "expected an integer >= 0, got true"),
    ("negative_delay", 16, "limits.download_delay", "expected a number of seconds >= 0, got -1"),
    ("date_string", 4, "event.start", "expected a TOML date like 2025-03-31 (no quotes)"),
    ("datetime_not_date", 5, "event.end", "expected a date without a time"),
    ("unknown_key", 13, "sources.max_deph", "unknown key; did you mean 'max_depth'?"),
    ("unknown_table", 14, "limit", "unknown table or key; did you mean 'limits'?"),
    ("key_outside_table", 1, "name", "it belongs in [event]"),
    ("misplaced_table", 17, "limits.politeness", "[politeness] is a table"),
    ("array_of_tables", 1, "event", "write [event] (one table), not [[event]]"),
    ("end_before_start", 5, "event.end", "end 2025-03-01 is before start 2025-03-31"),
    ("bad_slug", 3, "event.slug", 'got "Wang_Yi Moscow"'),
    ("bad_language", 6, "event.languages[1]", 'ISO 639-1 language code like "en", got "eng"'),
    ("bad_timezone", 7, "event.timezone", 'IANA time zone like "Europe/Moscow"'),
    ("user_agent_no_contact", 18, "politeness.user_agent", "must carry a contact URL"),
    ("seed_not_url", 15, "sources.seeds[1]", 'http:// or https:// URL, got "www.example.org/news"'),
    ("bad_domain", 13, "sources.allowed_domains[1]", "(no scheme, port or path)"),
    ("no_sources", 11, "sources", "needs at least one of seeds, feeds, sitemaps or gdelt"),
    ("empty_group", 11, "match.all[1]", "empty group"),
    ("empty_all", 9, "match.all", "expected a non-empty list"),
    ("none_is_all", 10, "match.none[1]", '"KREMLIN" is also an `all` term'),
    ("inline_table", 1, "politeness.obey_robots", 'expected true or false, got "yes"'),
    ("dotted_key", 1, "limits.max_pages", "expected a positive integer, got 0"),
    ("quoted_key", 16, "limits.per_host_concurrency", "expected a positive integer, got 0"),
    ("multiline_string", 8, "event.slug", 'got "Test Event"'),
]


@pytest.mark.parametrize(
    ("name", "line", "field", "message"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_malformed_file_names_file_line_and_field(
    name: str, line: int, field: str, message: str
) -> None:
    path = str(DATA / f"{name}.toml")
    with pytest.raises(EventFileError) as info:
        load_event(path)
    err = info.value
    assert (err.path, err.line, err.field) == (path, line, field)
    assert message in err.message
    assert str(err).startswith(f"{path}:{line}: {field}: ")
    assert isinstance(err, NewsarcError) and err.exit_code == 2
    # one mistake, one problem: nothing it explains is reported again, the wording is unchanged
    assert len(err.problems) == 1 and str(err) == str(err.problems[0])


def test_the_example_message_from_the_docs_exactly() -> None:
    path = str(DATA / "wrong_type.toml")
    with pytest.raises(EventFileError) as info:
        load_event(path)
    assert str(info.value) == f'{path}:15: limits.max_pages: expected a positive integer, got "ten"'


def test_not_utf8_names_the_line() -> None:
    path = str(DATA / "not_utf8.toml")
    with pytest.raises(EventFileError) as info:
        load_event(path)
    assert (info.value.line, info.value.field) == (2, None)
    assert "not valid UTF-8" in str(info.value)


def test_missing_file_is_an_event_file_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(EventFileError) as info:
        load_event(path)
    assert str(info.value).startswith(f"{path}: cannot read the event file")


@pytest.mark.parametrize(
    "source", [MINIMAL, WANG_YI.read_text("utf-8")], ids=["minimal", "wang-yi"]
)
def test_damaged_files_never_raise_anything_else(source: str) -> None:
    """Truncations, dropped lines and random byte edits: an EventSpec or an EventFileError."""
    lines = source.splitlines(keepends=True)
    variants = ["".join(lines[:i]) for i in range(len(lines))]
    variants += ["".join(lines[:i] + lines[i + 1 :]) for i in range(len(lines))]
    rng = random.Random(20250401)
    for _ in range(300):
        pos = rng.randrange(len(source))
        variants.append(source[:pos] + rng.choice("[]{}\"'=#,\n.x0 ") + source[pos + 1 :])
    errors = 0
    for text in variants:
        try:
            parse_event(text, "damaged.toml")
        except EventFileError as err:
            errors += 1
            assert err.problems[0].line == err.line
            for problem in err.problems:
                assert problem.line is not None and 1 <= problem.line <= text.count("\n") + 1
    assert errors > len(lines)  # most damage is noticed


# -- every problem in one run ------------------------------------------------------------------

THREE_MISTAKES = """\
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


def problems(text: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(EventFileError) as info:
        parse_event(text, "ev.toml")
    return [(p.line, p.field, p.message) for p in info.value.problems]


def test_three_mistakes_are_three_lines_in_one_run() -> None:
    """No [politeness], no event.languages and a typo'd key: one error, three lines."""
    with pytest.raises(EventFileError) as info:
        parse_event(THREE_MISTAKES, "ev.toml")
    err = info.value
    assert [(p.line, p.field, p.message) for p in err.problems] == [
        (1, "politeness", "missing table [politeness]"),
        (1, "event.languages", "missing (required in [event])"),
        (12, "sources.max_deph", "unknown key; did you mean 'max_depth'?"),
    ]
    assert str(err).splitlines() == [
        "ev.toml: 3 problems",
        "ev.toml:1: politeness: missing table [politeness]",
        "ev.toml:1: event.languages: missing (required in [event])",
        "ev.toml:12: sources.max_deph: unknown key; did you mean 'max_depth'?",
    ]
    assert (err.line, err.field, err.exit_code) == (1, "politeness", 2)  # the first problem


def test_problems_come_in_line_order_from_every_table() -> None:
    text = MINIMAL.replace('languages = ["en"]', 'languages = ["en", "eng"]')
    text = text.replace("max_pages = 10", 'max_pages = "ten"\nmax_redirects = -1')
    text = text.replace("end = 2025-04-02", "end = 2025-03-01")
    text += 'obey_robots = "yes"\n[network]\nproxy = "http://h"\n'
    assert problems(text) == [
        (5, "event.end", "end 2025-03-01 is before start 2025-03-31"),
        (6, "event.languages[1]", 'expected an ISO 639-1 language code like "en", got "eng"'),
        (15, "limits.max_pages", 'expected a positive integer, got "ten"'),
        (16, "limits.max_redirects", "expected an integer >= 0, got -1"),
        (20, "politeness.obey_robots", 'expected true or false, got "yes"'),
        (22, "network.proxy", 'expected an http://HOST:PORT proxy URL or "none", got "http://h"'),
    ]


def test_every_bad_element_of_a_list_is_reported() -> None:
    text = MINIMAL.replace(
        'seeds = ["http://127.0.0.1:8080/"]',
        'seeds = [\n  "http://127.0.0.1:8080/",\n  "ftp://x/",\n  "news",\n]',
    )
    assert [(line, field) for line, field, _ in problems(text)] == [
        (14, "sources.seeds[1]"),
        (15, "sources.seeds[2]"),
    ]


def test_what_a_mistake_explains_is_not_reported_again() -> None:
    # a typo'd required key is not also "missing"
    assert problems(MINIMAL.replace("name =", "nmae =")) == [
        (2, "event.nmae", "unknown key; did you mean 'name'?")
    ]
    # a key in the wrong table says where it belongs, and its table is not also "missing"
    text = MINIMAL.replace("[politeness]\n", "")
    assert problems(text) == [(17, "limits.user_agent", "unknown key; it belongs in [politeness]")]
    # a typo'd table is not also missing
    assert problems(MINIMAL.replace("[politeness]", "[politness]")) == [
        (17, "politness", "unknown table or key; did you mean 'politeness'?")
    ]
    # rules across fields wait for the fields they read: no "needs a source" for a bad seed,
    # no "end before start" for a bad start
    assert problems(MINIMAL.replace("http://127.0.0.1:8080/", "nowhere")) == [
        (12, "sources.seeds[0]", 'expected an http:// or https:// URL, got "nowhere"')
    ]
    text = MINIMAL.replace("start = 2025-03-31", 'start = "2025-05-01"')
    assert [field for _, field, _ in problems(text)] == ["event.start"]


def test_a_syntax_error_is_reported_alone() -> None:
    text = THREE_MISTAKES.replace("max_deph = 2", "max_deph = = 2")
    assert problems(text) == [
        (12, "sources.max_deph", "TOML syntax error: Invalid value (column 12)")
    ]


def test_an_event_file_error_pickles_with_its_problems() -> None:
    with pytest.raises(EventFileError) as info:
        parse_event(THREE_MISTAKES, "ev.toml")
    copy = pickle.loads(pickle.dumps(info.value))
    assert copy.problems == info.value.problems and str(copy) == str(info.value)


# -- line lookup -------------------------------------------------------------------------------


def test_key_lines_follow_toml_structure() -> None:
    text = "\n".join(
        [
            'title = "x"  # [not.a.table]',  # 1
            "[server]",  # 2
            'doc = """',  # 3
            "port = 1",  # 4  (inside a string)
            '[fake]"""',  # 5
            "port = 8080",  # 6
            "'quoted.key' = 'C:\\dir \"x\" # not a comment'",  # 7  literal: no escapes
            'a.b."c d" = 1',  # 8
            "inline = { x = 1, y = [2,",  # 9
            "  3] }",  # 10
            "list = [",  # 11
            "  # a comment with ] and [",  # 12
            '  "one", # trailing',  # 13
            '  ["two", "three"],',  # 14
            "]",  # 15
            "[[items]]",  # 16
            "name = 'first'",  # 17
        ]
    )
    tomllib.loads(text)  # the scanner only ever sees valid TOML
    lines = key_lines(text)
    assert lines[("title",)] == 1
    assert lines[("server",)] == 2 and lines[("server", "doc")] == 3
    assert lines[("server", "port")] == 6
    assert ("fake",) not in lines
    assert lines[("server", "quoted.key")] == 7
    assert lines[("server", "a", "b", "c d")] == 8 and lines[("server", "a")] == 8
    assert lines[("server", "inline", "y", 1)] == 10
    assert lines[("server", "list", 0)] == 13 and lines[("server", "list", 1, 1)] == 14
    assert lines[("items", "name")] == 17


def test_line_of_falls_back_to_the_table_then_to_line_one() -> None:
    lines = key_lines("# c\n[event]\nname = 'x'\n")
    assert line_of(lines, ("event", "name")) == 3
    assert line_of(lines, ("event", "slug")) == 2
    assert line_of(lines, ("politeness", "user_agent")) == 1


# -- matching ----------------------------------------------------------------------------------


def spec(
    *groups: tuple[str, ...], any: tuple[str, ...] = (), none: tuple[str, ...] = ()
) -> MatchSpec:
    return MatchSpec(all=groups, any=any, none=none)


WANG_MOSCOW = spec(("Wang Yi",), ("Moscow", "Kremlin", "Putin", "Lavrov"))


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("Wang Yi arrives in Moscow", True),
        ("WANG YI meets PUTIN", True),
        ("Putin's talks with Wang Yi", True),  # possessive
        ("Wang Yiming visits Moscow", False),  # not a whole word
        ("Wang Yi visits Moscowville", False),
        ("Wang Yi visits Kremlinology department", False),
        ("/world/2025/04/01/wang-yi-moscow-visit/", True),  # URL slug
        ("?q=wang+yi&where=kremlin", True),
        ("wang_yi_lavrov.html", True),
        ("Wang\u00a0Yi \u2013 Lavrov", True),  # no-break space, en dash
        ("Wang  \n Yi and Lavrov", True),
        ("wangyi-moscow", False),
        ("Wang Yi in Beijing", False),  # one group only
        ("", False),
    ],
)
def test_matches_whole_words_across_separators(text: str, hit: bool) -> None:
    assert WANG_MOSCOW.matches(text) is hit


def test_unicode_case_folding_and_prefix_terms() -> None:
    m = spec(("Путин*",), ("Straße",))
    assert m.matches("ПУТИНА видели на STRASSE")  # Cyrillic case, ß folds to ss, inflection
    assert not m.matches("Распутин на Straße")  # a prefix term still needs a word start
    assert spec(("Lavrov",)).matches("Lavrov") and not spec(("Lavrov",)).matches("Lavrova")
    assert spec(("Lavrov*",)).matches("Lavrova")
    # percent-encoded URL paths are decoded before matching
    assert spec(("путин",)).matches("https://ria.ru/%D0%BF%D1%83%D1%82%D0%B8%D0%BD-20250401/")


def test_scripts_without_spaces_match_inside_words() -> None:
    m = spec(("王毅",), ("莫斯科", "普京"))
    assert m.matches("王毅抵达莫斯科")
    assert not m.matches("王毅抵达北京")


def test_terms_are_literal_not_regex() -> None:
    m = spec(("U.S.",), ("C++",))
    assert m.matches("U.S. engineers like C++ a lot")
    assert not m.matches("UXSX engineers like C")


def test_none_terms_exclude_and_zero_the_score() -> None:
    m = spec(("Wang Yi",), ("Moscow",), none=("badminton",))
    assert m.matches("Wang Yi in Moscow")
    assert not m.matches("Wang Yi wins badminton open in Moscow")
    assert m.score("Wang Yi wins badminton open in Moscow") == 0.0
    assert m.evaluate("Badminton: Wang Yi, Moscow") == (False, 0.0)


def test_any_terms_boost_but_never_decide() -> None:
    m = spec(
        ("Wang Yi",), ("Moscow",), any=("Ukraine", "Xi Jinping", "BRICS", "SCO", "Victory Day")
    )
    assert not m.matches("Ukraine, Xi Jinping, BRICS")
    full = m.score("Wang Yi in Moscow")
    boosted = m.score("Wang Yi in Moscow talks Ukraine")
    capped = m.score("Wang Yi Moscow Ukraine Xi Jinping BRICS SCO Victory Day")
    half = m.score("Wang Yi in Beijing talks Ukraine")
    nothing = m.score("weather in Paris")
    assert nothing == 0.0 < half < full < boosted < capped == 1.0
    assert full == pytest.approx(0.8) and boosted == pytest.approx(0.85)
    # a repeated booster counts once
    assert m.score("Wang Yi Moscow Ukraine Ukraine Ukraine") == boosted


def test_score_is_the_share_of_groups_without_boosters() -> None:
    m = spec(("a1", "a2"), ("b",), ("c",), ("d",))
    assert m.score("a2 b c d") == 1.0
    assert m.score("a1 b c") == 0.75
    assert m.score("b") == 0.25
    assert m.evaluate("a1 b c d") == (True, 1.0)


def test_match_spec_rejects_empty_groups() -> None:
    with pytest.raises(ValueError):
        MatchSpec(all=())
    with pytest.raises(ValueError):
        MatchSpec(all=(("Wang Yi",), ()))


def test_all_groups_may_be_single_strings_in_the_file() -> None:
    event = parse_event(
        MINIMAL.replace(
            'all = [["Wang Yi"], ["Moscow", "Kremlin"]]', 'all = ["Wang Yi", ["Moscow", "Kremlin"]]'
        )
    )
    assert event.match.all == (("Wang Yi",), ("Moscow", "Kremlin"))


# -- the date window ---------------------------------------------------------------------------


def test_in_window_with_slack_and_time_zones() -> None:
    event = load_event(WANG_YI)  # 2025-03-30 .. 2025-04-04, Europe/Moscow (UTC+3), slack 1 day
    assert event.window() == (date(2025, 3, 29), date(2025, 4, 5))
    assert event.window(slack_days=0) == (date(2025, 3, 30), date(2025, 4, 4))
    assert event.in_window(None)
    assert event.in_window(date(2025, 3, 29)) and not event.in_window(date(2025, 3, 28))
    assert not event.in_window(date(2025, 3, 29), slack_days=0)
    assert event.in_window(date(2025, 3, 27), slack_days=3)
    # 22:30 UTC on 4 April is 01:30 on 5 April in Moscow: outside the strict window
    late = datetime(2025, 4, 4, 22, 30, tzinfo=UTC)
    assert not event.in_window(late, slack_days=0)
    assert event.in_window(late.replace(tzinfo=None), slack_days=0)  # naive: taken as Moscow time
    assert (
        event.in_window(
            datetime(2025, 3, 30, 1, 0, tzinfo=timezone(timedelta(hours=5))), slack_days=0
        )
        is False
    )


def test_utc_events_compare_dates_in_utc() -> None:
    event = load_event(DATA / "valid_minimal.toml")  # 2025-03-31 .. 2025-04-02, UTC
    assert event.in_window(datetime(2025, 4, 2, 23, 59, tzinfo=UTC), slack_days=0)
    assert not event.in_window(datetime(2025, 4, 3, 0, 0, tzinfo=UTC), slack_days=0)
    assert isinstance(event, EventSpec)


def test_absurd_nesting_is_an_event_file_error() -> None:
    with pytest.raises(EventFileError, match="nested too deeply"):
        parse_event("a = " + "[" * 5000 + "]" * 5000, "deep.toml")
