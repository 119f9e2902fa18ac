"""What the report shows, gathered from an archive in one pass over the event's articles."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from archive.access.api import Archive
from archive.articles.sets import is_unique
from archive.health.signals import host_of
from archive.health.store import read_history
from archive.health.table import HealthTable, health_table

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Row:
    """One article as the report lists it."""

    id: str
    title: str
    url: str
    outlet: str
    site: str
    day: str  # publication day (the capture day when the date is unknown)
    dated: bool
    language: str
    kind: str  # unique, url, exact, near, rewrite, revision
    of: str | None
    story: str | None
    revision: int
    words: int
    words_added: int | None
    words_removed: int | None
    replay: str
    text: str | None  # link to the text file, when the archive has one for it
    timestamp: str = ""  # of the capture, 14 digits (the replay URL's)
    text_id: str | None = None  # the document whose text file this article's text is


@dataclass
class Story:
    id: str
    members: list[Row]

    @property
    def title(self) -> str:
        first = next((r for r in self.members if r.kind == "unique"), self.members[0])
        return first.title

    @property
    def kinds(self) -> dict[str, int]:
        return dict(Counter(r.kind for r in self.members))

    @property
    def outlets(self) -> int:
        return len({r.outlet for r in self.members})


@dataclass
class ReportData:
    event: str
    name: str
    archive: str
    window: tuple[str | None, str | None]
    crawls: list[dict[str, Any]]  # as `newsarc list --json` prints them
    rows: list[Row]
    stories: list[Story]  # with two members or more, largest first
    singles: int  # stories with one member
    health: HealthTable | None
    generated: str = ""
    totals: dict[str, int] = field(default_factory=dict)
    replay_base: str = "http://127.0.0.1:8080"
    text_base: str | None = None

    @property
    def revisions(self) -> list[Row]:
        return [r for r in self.rows if r.revision > 1]

    def listing(self) -> dict[str, Any]:
        """Articles and stories as compact JSON for the page's script to lay out as tables
        (a third of the bytes of the same rows as HTML): repeated strings as indexes."""
        outlets = sorted({r.outlet for r in self.rows})
        languages = sorted({r.language for r in self.rows})
        kinds = sorted({r.kind for r in self.rows})
        position = {r.id: i for i, r in enumerate(self.rows)}
        return {
            "replay": f"{self.replay_base}/{quote(self.event)}",
            "text": self.text_base or "",
            "outlets": outlets,
            "languages": languages,
            "kinds": kinds,
            "rows": [
                [
                    r.id,
                    r.day,
                    outlets.index(r.outlet),
                    r.title,
                    languages.index(r.language),
                    kinds.index(r.kind),
                    r.words,
                    r.timestamp,
                    r.url,
                    r.text_id or "" if r.text else "",
                ]
                for r in self.rows
            ],
            "stories": [
                [s.title, s.outlets, s.kinds, [position[m.id] for m in s.members]]
                for s in self.stories
            ],
        }

    def per_day(self) -> list[dict[str, Any]]:
        counts = Counter((r.day, r.outlet) for r in self.rows)
        return [{"day": d, "outlet": o, "articles": n} for (d, o), n in sorted(counts.items())]

    def per_outlet(self) -> list[dict[str, Any]]:
        counts = Counter((r.outlet, r.kind) for r in self.rows)
        return [{"outlet": o, "kind": k, "articles": n} for (o, k), n in sorted(counts.items())]

    def per_language(self) -> list[dict[str, Any]]:
        counts = Counter(r.language for r in self.rows)
        return [{"language": lang, "articles": n} for lang, n in sorted(counts.items())]


def gather(
    archive: Archive,
    event: str,
    *,
    crawls: list[dict[str, Any]],
    name: str | None = None,
    window: tuple[str | None, str | None] = (None, None),
    replay_base: str = "http://127.0.0.1:8080",
    text_base: str | None = None,
) -> ReportData:
    """The report of ``event``: every article in its newest form (as ``newsarc export``)."""
    stored = archive.stored_articles(event)  # nested records (dup, relevance), latest captures
    rows = [_row(a, event, replay_base.rstrip("/"), text_base) for a in stored]
    rows.sort(key=lambda r: (r.day, r.outlet, r.title))
    members: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        members[row.story or row.id].append(row)
    stories = [Story(sid, m) for sid, m in members.items() if len(m) > 1]
    stories.sort(key=lambda s: (-len(s.members), s.title))
    history = read_history(archive.storage, event)
    health = health_table(event, history) if any(h.kind == "crawl" for h in history) else None
    totals = {
        "articles": len(rows),
        "unique": sum(1 for _ in archive.stored_articles(event, unique=True)),  # as --unique-only
        "duplicates": sum(1 for r in rows if r.kind not in ("unique", "revision")),
        "outlets": len({r.outlet for r in rows}),
        "languages": len({r.language for r in rows}),
        "stories": len(members),
        "revisions": sum(1 for r in rows if r.revision > 1),
        "crawls": len(crawls),
        "alarms": len(health.alarms) if health else 0,
    }
    return ReportData(
        event,
        name or event,
        archive.uri,
        window,
        crawls,
        rows,
        stories,
        sum(1 for m in members.values() if len(m) == 1),
        health,
        totals=totals,
        replay_base=replay_base.rstrip("/"),
        text_base=text_base.rstrip("/") if text_base else None,
    )


def _row(a: dict[str, Any], event: str, replay: str, text_base: str | None) -> Row:
    dup = a.get("dup") if isinstance(a.get("dup"), dict) else None
    kind = str((dup or {}).get("kind") or "unique")
    published = str(a.get("date") or "")[:10]
    day = published if _is_day(published) else str(a.get("fetched_at") or "")[:10]
    url = str(a.get("url") or "")
    fetched = "".join(ch for ch in str(a.get("fetched_at") or "") if ch.isdigit())[:14]
    text_id = a.get("id") if is_unique(a) or kind == "revision" else (dup or {}).get("of")
    # a duplicate's text is its canonical document's
    return Row(
        id=str(a.get("id")),
        title=str(a.get("title") or url),
        url=url,
        outlet=str(a.get("sitename") or host_of(url) or UNKNOWN),
        site=host_of(url),
        day=day or UNKNOWN,
        dated=_is_day(published),
        language=str(a.get("language") or UNKNOWN),
        kind=kind,
        of=(dup or {}).get("of"),
        story=a.get("story"),
        revision=int(a.get("revision") or 1),
        words=int(a.get("word_count") or 0),
        words_added=a.get("words_added"),
        words_removed=a.get("words_removed"),
        replay=f"{replay}/{quote(event)}/{fetched}/{url}",
        text=f"{text_base.rstrip('/')}/{text_id}.txt" if text_base and text_id else None,
        timestamp=fetched,
        text_id=str(text_id) if text_id else None,
    )


def _is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
