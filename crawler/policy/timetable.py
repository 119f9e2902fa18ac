"""When ``newsarc schedule`` starts an event's next crawl (pure: a ScheduleSpec and a clock in).

``every``: the next start is the previous start plus the interval, or at once when the previous
crawl ran longer than that (runs never overlap: the next one waits for the previous to end).
``cron``: the next time the expression matches after the previous start (croniter, in UTC).
A start after ``until`` is none: the event's schedule is over. ``jitter`` adds a random delay of
up to that many seconds to each start.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any


def next_start(
    schedule: Any, previous: datetime | None, now: datetime, rng: random.Random | None = None
) -> datetime | None:
    """The next start at or after ``now`` (None when ``until`` has passed)."""
    if previous is None:
        start = now
    elif schedule.every is not None:
        start = max(previous + timedelta(seconds=schedule.every), now)
    else:
        from croniter import croniter

        start = croniter(schedule.cron, previous.astimezone(UTC)).get_next(datetime)
        if start < now:  # missed while the previous crawl ran: the next match from now
            start = croniter(schedule.cron, now.astimezone(UTC)).get_next(datetime)
    if schedule.until is not None and start > schedule.until:
        return None
    if schedule.jitter:
        start += timedelta(seconds=(rng or random.Random()).uniform(0, schedule.jitter))
    return start
