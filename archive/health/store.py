"""``<slug>/crawls/<crawl-id>/health.json``: a crawl's extraction signals per site and alarms.

Written by the crawl next to its manifest (and listed in it), and by a re-extraction for the
sites it re-ran; read back as each site's history for drift detection, ``newsarc health`` and
``newsarc report``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.errors import ArchiveFormatError
from archive.health.drift import Alarm
from archive.health.signals import SiteSignals
from archive.storage.keys import Storage

HEALTH_FILE = "health.json"
FORMAT = 1


@dataclass
class CrawlHealth:
    crawl_id: str
    kind: str = "crawl"  # "crawl", or "reextract" (a re-run over stored WARCs)
    sites: dict[str, SiteSignals] = field(default_factory=dict)
    alarms: list[Alarm] = field(default_factory=list)

    @property
    def alarmed(self) -> set[str]:
        return {a.site for a in self.alarms}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "crawl_id": self.crawl_id,
            "kind": self.kind,
            "sites": {host: s.to_json() for host, s in sorted(self.sites.items())},
            "alarms": [a.to_json() for a in self.alarms],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CrawlHealth:
        return cls(
            crawl_id=str(data["crawl_id"]),
            kind=str(data.get("kind", "crawl")),
            sites={h: SiteSignals.from_json(s) for h, s in data.get("sites", {}).items()},
            alarms=[Alarm.from_json(a) for a in data.get("alarms", [])],
        )

    def write(self, event_dir: Path) -> Path:
        path = event_dir / "crawls" / self.crawl_id / HEALTH_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True))
        tmp.replace(path)
        return path


def health_key(slug: str, crawl_id: str) -> str:
    return f"{slug}/crawls/{crawl_id}/{HEALTH_FILE}"


def read_history(storage: Storage, slug: str) -> list[CrawlHealth]:
    """Every stored ``health.json`` of the event, oldest crawl first."""
    out = []
    for info in storage.iter(f"{slug}/crawls/"):
        parts = info.key.split("/")
        if len(parts) != 4 or parts[3] != HEALTH_FILE:
            continue
        try:
            out.append(CrawlHealth.from_json(json.loads(storage.get_bytes(info.key))))
        except (ValueError, KeyError, TypeError) as exc:
            raise ArchiveFormatError(f"{storage.uri}/{info.key}: {exc}") from None
    return sorted(out, key=lambda h: h.crawl_id)


def as_history(crawls: list[CrawlHealth]) -> list[tuple[str, dict[str, SiteSignals], set[str]]]:
    """The crawls (not re-extractions) in the form :func:`archive.health.drift.detect` takes."""
    return [(c.crawl_id, c.sites, c.alarmed) for c in crawls if c.kind == "crawl"]


def first_captures(crawls: list[CrawlHealth]) -> dict[str, str]:
    """host → earliest first capture over the event's crawls."""
    out: dict[str, str] = {}
    for crawl in crawls:
        for host, s in crawl.sites.items():
            if s.first_capture and (host not in out or s.first_capture < out[host]):
                out[host] = s.first_capture
    return out
