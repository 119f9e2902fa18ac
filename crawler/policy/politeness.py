"""Pure politeness arithmetic: host keys, Crawl-delay floors, Retry-After and back-off.

No Scrapy import: the Scrapy adapters live in ``crawler/middlewares/`` and only feed plain
values in here (a scheme and netloc, a header value, a status code, a clock reading).

- :func:`host_key` — the politeness unit: ``host:port`` (lower-cased, no userinfo, default port
  dropped). Demo and test sites share ``127.0.0.1`` on different ports, so the hostname alone
  would merge them into one download slot.
- :func:`delay_floor` — the (delay, jitter) pair for a download slot such that every randomised
  delay (Scrapy uses ``delay * uniform(1 - jitter, 1 + jitter)``) is at least a Crawl-delay.
- :func:`parse_retry_after` / :func:`decide_retry` — what to do with a 429/503 response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Literal

_DEFAULT_PORT_SUFFIX = {"http": ":80", "https": ":443"}
# RFC 9110 says 1*DIGIT; a decimal fraction is tolerated because some servers send one.
_DELTA_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def host_key(scheme: str, netloc: str) -> str:
    """``host[:port]`` of a URL, lower-cased, without userinfo and without the default port."""
    key = netloc.rpartition("@")[2].lower()
    suffix = _DEFAULT_PORT_SUFFIX.get(scheme)
    if suffix is not None and key.endswith(suffix):
        return key[: -len(suffix)]
    return key


def delay_floor(delay: float, jitter: float, floor: float) -> tuple[float, float]:
    """Return ``(delay, jitter)`` raised just enough that ``delay * (1 - jitter) >= floor``.

    The delay is raised to *floor* if lower; the jitter is then reduced so the shortest random
    delay does not undercut *floor* (0 when the delay equals the floor). A slot already slower
    than *floor* in every draw is returned unchanged.
    """
    if floor <= 0 or delay * (1 - jitter) >= floor:
        return delay, jitter
    new_delay = max(delay, floor)
    return new_delay, max(0.0, min(jitter, 1 - floor / new_delay))


def parse_retry_after(value: str | bytes | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (RFC 9110 §10.2.3), or None if unusable.

    Accepts delta-seconds (``"120"``) or an HTTP-date (``"Wed, 21 Oct 2015 07:28:00 GMT"``);
    a date in the past means 0. *now* must be timezone-aware (UTC). Negative or malformed
    values give None, which callers treat as "no Retry-After".
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: RFC 9110 dates are always GMT
        return None
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True, slots=True)
class RetryAfterPolicy:
    """How to react to 429/503: back-off base, cap on the wait, retries per request."""

    backoff_base: float = 1.0
    max_wait: float = 120.0
    max_times: int = 3
    statuses: frozenset[int] = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """``wait`` *delay* seconds then retry, or ``give_up`` (the response goes on unchanged).

    *reason*: ``retry_after`` (the server's value), ``backoff`` (no usable header),
    ``too_long`` (the server asked for more than the cap), ``exhausted`` (no retries left).
    """

    action: Literal["wait", "give_up"]
    delay: float
    reason: Literal["retry_after", "backoff", "too_long", "exhausted"]


def decide_retry(
    policy: RetryAfterPolicy,
    status: int,
    retry_after: str | bytes | None,
    attempts: int,
    now: datetime,
) -> RetryDecision | None:
    """Decide on a response: None if *status* is not throttling, else wait or give up.

    *attempts* is how many times this request was already retried for 429/503. Without a
    usable ``Retry-After`` the wait is ``backoff_base * 2**attempts``, capped at ``max_wait``;
    a server asking for more than ``max_wait`` makes us give up on the request instead.
    """
    if status not in policy.statuses:
        return None
    if attempts >= policy.max_times:
        return RetryDecision("give_up", 0.0, "exhausted")
    asked = parse_retry_after(retry_after, now)
    if asked is None:
        return RetryDecision(
            "wait", min(policy.backoff_base * 2**attempts, policy.max_wait), "backoff"
        )
    if asked > policy.max_wait:
        return RetryDecision("give_up", asked, "too_long")
    return RetryDecision("wait", asked, "retry_after")
