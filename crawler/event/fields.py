"""Value checks for event files: each takes a parsed TOML value, returns it clean or raises ``Bad``.

Kept apart from ``crawler.event.spec`` so that module holds only the spec and the table layout.
``Bad.at`` is the index of the offending array element, if any, so the error can point at its line.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.relevance.matching import term_pattern

# ISO 639-1 (2023): the two-letter codes trafilatura and most language detectors report.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_CONTACT = re.compile(r"https?://[^\s/?#()]+\.[^\s/?#()]+|mailto:[^\s@()]+@[^\s@()]+\.[^\s()]+")
_CONTACT_REST = re.compile(r"[^\s;,()]*")  # the path of a contact URL, up to a separator


class Bad(ValueError):
    """A value failed its check; ``at`` is the index of the bad element in a list, if any.

    A list with several bad elements raises one ``Bad`` for the first and keeps the others in
    ``also``; ``each()`` yields them all.
    """

    def __init__(self, message: str, at: tuple[int, ...] = (), also: tuple[Bad, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.at = at
        self.also = also

    def each(self) -> Iterator[Bad]:
        yield self
        for other in self.also:
            yield from other.each()


def show(value: Any) -> str:
    """A value as the user wrote it in TOML, roughly: strings quoted, booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Bad(f"expected a non-empty string, got {show(value)}")
    return value.strip()


def any_text(value: Any) -> str:
    if not isinstance(value, str):
        raise Bad(f"expected a string, got {show(value)}")
    return value.strip()


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Bad(f"expected true or false, got {show(value)}")
    return value


def positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Bad(f"expected a positive integer, got {show(value)}")
    return value


def non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Bad(f"expected an integer >= 0, got {show(value)}")
    return value


def non_negative_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise Bad(f"expected a number of seconds >= 0, got {show(value)}")
    if math.isinf(value):
        raise Bad(f"expected a finite number, got {show(value)}")
    return float(value)


def positive_number(value: Any) -> float:
    number = non_negative_number(value)
    if number == 0:
        raise Bad("expected a number of seconds > 0, got 0")
    return number


def a_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise Bad(f"expected a date without a time, like 2025-03-31, got {show(value)}")
    if not isinstance(value, date):
        raise Bad(f"expected a TOML date like 2025-03-31 (no quotes), got {show(value)}")
    return value


def slug(value: Any) -> str:
    value = text(value)
    if not SLUG.fullmatch(value) or len(value) > 100:
        raise Bad(
            f"expected lower-case letters, digits and '-', starting with a letter or digit "
            f"(at most 100), got {show(value)}"
        )
    return value


def zone(name: str) -> tzinfo:
    """The tzinfo for an IANA zone name; "UTC" never needs the tz database."""
    if name.upper() in ("UTC", "ETC/UTC"):
        return UTC
    return ZoneInfo(name)


def timezone_name(value: Any) -> str:
    value = text(value)
    try:
        zone(value)
    except (ZoneInfoNotFoundError, ValueError):
        hint = 'an IANA time zone like "Europe/Moscow" or "UTC"'
        raise Bad(f"expected {hint}, got {show(value)}") from None
    return value


def _list(value: Any, check: Any, *, empty: bool = True) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise Bad(f"expected a list, got {show(value)}")
    if not value and not empty:
        raise Bad("expected a non-empty list")
    out = []
    bad: list[Bad] = []
    for i, item in enumerate(value):
        try:
            out.append(check(item))
        except Bad as error:
            bad += [Bad(b.message, (i, *b.at)) for b in error.each()]
    if bad:  # every bad element, not only the first
        raise Bad(bad[0].message, bad[0].at, tuple(bad[1:]))
    return tuple(dict.fromkeys(out))


def language(value: Any) -> str:
    if isinstance(value, str) and value.lower() in ISO_639_1:
        return value.lower()
    hint = ""
    if isinstance(value, str) and value[:2].lower() in ISO_639_1 and value[2:3] in ("-", "_"):
        hint = f' (use "{value[:2].lower()}")'
    raise Bad(f'expected an ISO 639-1 language code like "en", got {show(value)}{hint}')


def languages(value: Any) -> tuple[str, ...]:
    return _list(value, language, empty=False)


def url(value: Any) -> str:
    value = text(value)
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        ok = ok and (parts.port is None or parts.port > 0)  # .port raises ValueError when malformed
    except ValueError:
        ok = False
    if not ok or any(c.isspace() for c in value):
        raise Bad(f"expected an http:// or https:// URL, got {show(value)}")
    return value


def urls(value: Any) -> tuple[str, ...]:
    return _list(value, url)


def domain(value: Any) -> str:
    value = text(value).lower().rstrip(".")
    if "/" in value or ":" in value:
        hint = 'a host name like "example.com" (no scheme, port or path)'
        raise Bad(f"expected {hint}, got {show(value)}")
    try:
        ascii_host = value.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    if not _HOST.fullmatch(ascii_host):
        raise Bad(f'expected a host name like "example.com", got {show(value)}')
    return ascii_host


def domains(value: Any) -> tuple[str, ...]:
    return _list(value, domain)


def term(value: Any) -> str:
    value = text(value)
    try:
        term_pattern(value)
    except ValueError:
        raise Bad(f"expected a word or phrase, got {show(value)}") from None
    return value


def terms(value: Any) -> tuple[str, ...]:
    return _list(value, term)


def group(value: Any) -> tuple[str, ...]:
    """One `all` group: a list of alternatives, or a single string (a group of one)."""
    if isinstance(value, str):
        return (term(value),)
    if isinstance(value, list) and not value:
        raise Bad("empty group: every `all` group needs at least one term")
    return terms(value)


def groups(value: Any) -> tuple[tuple[str, ...], ...]:
    return _list(value, group, empty=False)


def user_agent(value: Any) -> str:
    value = text(value)
    if any(not (32 <= ord(c) < 127) for c in value):
        raise Bad(f"expected printable ASCII (it is an HTTP header), got {show(value)}")
    if contact(value) is None:
        raise Bad(
            "must carry a contact URL (http(s):// or mailto:) so site owners can reach you, "
            f'e.g. "newsarc/0.1 (+https://example.org/crawler)", got {show(value)}'
        )
    return value


def contact(user_agent: str) -> str | None:
    """The first way to reach the operator in a User-Agent: an http(s):// URL whose host has a
    dot, or a mailto: address."""
    match = _CONTACT.search(user_agent)
    if match is None:
        return None
    end = _CONTACT_REST.match(user_agent, match.end())
    return user_agent[match.start() : end.end() if end else match.end()].rstrip(".")


def proxy_url(value: Any) -> str:
    """``http://host:port`` or "none"; credentials belong in the environment, not a shared file."""
    value = text(value)
    if value.lower() == "none":
        return "none"
    try:
        parts = urlsplit(value)
        ok = parts.scheme == "http" and bool(parts.hostname) and parts.port is not None
    except ValueError:
        ok = False
    if not ok:
        raise Bad(f'expected an http://HOST:PORT proxy URL or "none", got {show(value)}')
    if "@" in parts.netloc:
        raise Bad(
            "no credentials in an event file: put the proxy URL with them in the http_proxy "
            "and https_proxy environment variables, or pass --proxy"
        )
    return value


def redis_url(value: Any) -> str:
    """``redis://host:port/db`` (or ``rediss://``); a password belongs in ``--redis`` or
    ``NEWSARC_REDIS_URL``, not in a shared file."""
    value = text(value)
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("redis", "rediss") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise Bad(f"expected a redis://HOST:PORT/DB URL, got {show(value)}")
    if parts.password is not None:
        raise Bad(
            "no password in an event file: pass the URL with it in --redis or NEWSARC_REDIS_URL"
        )
    return value


def no_proxy_hosts(value: Any) -> tuple[str, ...]:
    def one(item: Any) -> str:
        item = text(item).strip()
        if item == "*":
            return item
        host, _, port = item.rpartition(":") if item.count(":") == 1 else (item, "", "")
        if port and not port.isdigit():
            raise Bad(f'expected a host name, "host:port" or "*", got {show(item)}')
        return domain(host.lstrip(".")) + (f":{port}" if port else "")

    return _list(value, one)


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?")


def duration(value: Any) -> float:
    """Seconds from ``"30m"``, ``"1h30m"``, ``"2s"``, ``"1d"`` or a number of seconds (> 0)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.fullmatch(text(value).replace(" ", ""))
        if not match or not any(match.groups()):
            raise Bad(f'expected a duration like "30m", "1h30m", "2s" or "1d", got {show(value)}')
        d, h, m, s = (int(g or 0) for g in match.groups())
        seconds = float(((d * 24 + h) * 60 + m) * 60 + s)
    if not math.isfinite(seconds) or seconds <= 0:
        raise Bad(f"expected a positive duration, got {show(value)}")
    return seconds


def cron(value: Any) -> str:
    """A 5-field cron expression (``"*/30 * * * *"``), checked by croniter."""
    from croniter import croniter

    value = text(value)
    if len(value.split()) != 5 or not croniter.is_valid(value):
        raise Bad(f'expected a cron expression like "*/30 * * * *", got {show(value)}')
    return value


def moment(value: Any) -> datetime:
    """A TOML date or date-time (a naive one is read as UTC) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time.max, UTC)  # until the end of that day
    raise Bad(
        f"expected a date (2025-04-30) or date-time (2025-04-30T18:00:00Z), got {show(value)}"
    )
