"""What a crawl's WARC files hold, checked against the generated web's manifest.

Reads every record once with warcio: responses (by HTTP status), the article pages covered
(of the manifest's), fetches of robots-disallowed paths, fetches off 127.0.0.1. And runs
``warcio check`` (block and payload digests of every record) on each file.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from warcio.archiveiterator import ArchiveIterator


@dataclass
class WarcStats:
    files: int = 0
    bytes: int = 0
    records: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    articles_covered: int = 0
    articles_total: int = 0
    disallowed_fetched: list[str] = field(default_factory=list)
    offsite_fetched: list[str] = field(default_factory=list)
    refetched: Counter[str] = field(default_factory=Counter)  # URI -> extra responses
    check_passed: bool | None = None
    check_seconds: float = 0.0
    check_output: str = ""

    @property
    def responses(self) -> int:
        return sum(self.statuses.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "bytes": self.bytes,
            "records": dict(self.records),
            "responses": self.responses,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "articles_covered": self.articles_covered,
            "articles_total": self.articles_total,
            "disallowed_fetched": self.disallowed_fetched[:20],
            "offsite_fetched": self.offsite_fetched[:20],
            "refetched_uris": len(self.refetched),
            "refetched_examples": dict(self.refetched.most_common(10)),
            "warcio_check": self.check_passed,
            "warcio_check_seconds": round(self.check_seconds, 1),
            "warcio_check_output": self.check_output[-2000:],
        }


def warc_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.warc.gz") if p.is_file())


def analyse(files: list[Path], manifest: dict[str, Any], host: str = "127.0.0.1") -> WarcStats:
    stats = WarcStats(files=len(files), bytes=sum(p.stat().st_size for p in files))
    articles = {a["path"] for a in manifest["articles"]}
    disallowed = tuple(manifest["disallowed"])
    covered: set[str] = set()
    seen: set[str] = set()
    for path in files:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                stats.records[record.rec_type] += 1
                if record.rec_type != "response":
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                status = int(record.http_headers.get_statuscode() or 0)
                stats.statuses[status] += 1
                if uri in seen:
                    stats.refetched[uri] += 1
                seen.add(uri)
                parts = urlsplit(uri)
                if parts.hostname != host:
                    stats.offsite_fetched.append(uri)
                url_path = unquote(parts.path)
                if url_path.startswith(disallowed):
                    stats.disallowed_fetched.append(uri)
                if status == 200 and url_path in articles:
                    covered.add(url_path)
    stats.articles_covered, stats.articles_total = len(covered), len(articles)
    return stats


def warcio_check(files: list[Path], stats: WarcStats) -> None:
    """Run ``warcio check`` on every file; record pass/fail, its output and its time."""
    warcio = Path(sys.executable).parent / "warcio"
    started = time.perf_counter()
    if not files:
        stats.check_passed, stats.check_output = False, "no WARC files"
        return
    proc = subprocess.run(
        [str(warcio), "check", *map(str, files)], capture_output=True, text=True, check=False
    )
    stats.check_seconds = time.perf_counter() - started
    stats.check_passed = proc.returncode == 0
    stats.check_output = (proc.stdout + proc.stderr).strip()
