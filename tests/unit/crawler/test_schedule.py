"""The [schedule] table and when newsarc schedule starts the next crawl."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from archive.errors import EventFileError
from crawler.demoweb import demo_event_path
from crawler.event.spec import ScheduleSpec, parse_event
from crawler.policy.timetable import next_start

T0 = datetime(2025, 4, 1, 12, 0, 10, tzinfo=UTC)


def event_with(table: str) -> str:
    return demo_event_path().read_text() + "\n[schedule]\n" + table + "\n"


def test_every_and_cron_parse() -> None:
    spec = parse_event(event_with('every = "1h30m"\njitter = "10s"')).schedule
    assert spec == ScheduleSpec(every=5400.0, jitter=10.0)
    spec = parse_event(event_with('cron = "*/30 * * * *"\nuntil = 2025-04-30')).schedule
    assert spec is not None and spec.cron == "*/30 * * * *"
    assert spec.until == datetime(2025, 4, 30, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_event(demo_event_path().read_text()).schedule is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('every = "soon"', "schedule.every: expected a duration"),
        ('every = "0s"', "schedule.every: expected a positive duration"),
        ('cron = "every day"', "schedule.cron: expected a cron expression"),
        ('cron = "61 * * * *"', "schedule.cron: expected a cron expression"),
        ('jitter = "5s"', "schedule: needs exactly one of every or cron"),
        ('every = "1m"\ncron = "* * * * *"', "schedule: needs exactly one of every or cron"),
        ('every = "1m"\nuntil = "tomorrow"', "schedule.until: expected a date"),
    ],
)
def test_a_malformed_schedule_names_the_field_and_line(table: str, message: str) -> None:
    text = event_with(table)
    with pytest.raises(EventFileError) as err:
        parse_event(text, "ev.toml")
    assert message in str(err.value)
    assert str(err.value).startswith("ev.toml:")
    line = text.splitlines()[int(str(err.value).split(":")[1]) - 1]
    field = message.split(":")[0]  # "schedule.until" names the key, "schedule" the table
    assert line.startswith(f"{field.split('.')[1]} =" if "." in field else "[schedule]")


def test_every_waits_for_the_previous_run_and_never_overlaps() -> None:
    spec = ScheduleSpec(every=60.0)
    assert next_start(spec, None, T0) == T0  # the first crawl starts at once
    assert next_start(spec, T0, T0 + timedelta(seconds=5)) == T0 + timedelta(seconds=60)
    late = T0 + timedelta(seconds=300)  # the previous crawl ran 5 minutes
    assert next_start(spec, T0, late) == late


def test_cron_until_and_jitter() -> None:
    spec = ScheduleSpec(cron="*/30 * * * *")
    assert next_start(spec, T0, T0) == datetime(2025, 4, 1, 12, 30, tzinfo=UTC)
    over = ScheduleSpec(every=60.0, until=T0 + timedelta(seconds=30))
    assert next_start(over, T0, T0) is None
    jittered = ScheduleSpec(every=60.0, jitter=10.0)
    got = next_start(jittered, T0, T0, random.Random(7))
    assert got is not None
    assert T0 + timedelta(seconds=60) <= got <= T0 + timedelta(seconds=70)


def test_recrawl_sets_the_first_intervals_and_the_tail() -> None:
    from archive.state.schedule import MINUTE, next_interval, policy_for

    spec = parse_event(event_with('every = "1h"') + '[recrawl]\nfeed = "5m"\ntail_days = 0\n')
    policy = policy_for(spec.recrawl)
    assert next_interval(policy, "feed", 0.0, changed=False, now=T0) == 5 * MINUTE
    assert next_interval(policy, "sitemap", 0.0, changed=False, now=T0) == 60 * MINUTE  # default
    assert policy.tail_days == 0
    with pytest.raises(EventFileError, match=r"recrawl\.feed: expected a duration"):
        parse_event(event_with('every = "1h"') + '[recrawl]\nfeed = "often"\n', "ev.toml")
