"""What a crawl did, from Scrapy stats: the progress line, the summary table, the JSON report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crawler.capture.failures import HOST_PREFIX, KINDS, PREFIX, failures_by_host

TOP_HOSTS = 10  # failing hosts listed at the end of the summary
DUP_KINDS = ("unique", "url", "exact", "near", "rewrite", "revision")


@dataclass
class CrawlSummary:
    pages: int = 0
    queued: int = 0  # requests waiting in the scheduler (known so far)
    seconds: float = 0.0
    errors: int = 0
    refused: int = 0
    articles: int = 0
    duplicates: int = 0
    dup_kinds: dict[str, int] = field(default_factory=dict)
    stories: int = 0
    off_event: int = 0
    warc_files: int = 0
    warc_bytes: int = 0
    warc_records: int = 0
    finish_reason: str = ""
    failures: dict[str, int] = field(default_factory=dict)  # expected failures by kind
    failing_hosts: list[dict[str, Any]] = field(default_factory=list)  # the top ones
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    @classmethod
    def from_stats(cls, stats: dict[str, Any], seconds: float | None = None) -> CrawlSummary:
        if seconds is None:
            seconds = float(stats.get("elapsed_time_seconds") or 0.0)
        errors = sum(
            int(v)
            for k, v in stats.items()
            if k.startswith(("newsarc/errors/", "spider_exceptions/"))
        )
        refused = int(stats.get("robotstxt/forbidden", 0)) + sum(
            int(v) for k, v in stats.items() if k.startswith(("newsarc/trap/", "newsarc/refused/"))
        )
        counters = {
            k: int(v)
            for k, v in sorted(stats.items())
            if k.startswith(("newsarc/", "robotstxt/", "downloader/response_status_count/"))
            and not k.startswith(HOST_PREFIX)
            and isinstance(v, int)
        }
        hosts = sorted(failures_by_host(stats).items(), key=lambda hv: (-hv[1].total(), hv[0]))
        return cls(
            pages=int(stats.get("newsarc/warc/responses", 0)),
            queued=max(
                0,
                int(stats.get("scheduler/enqueued", 0))
                - int(stats.get("scheduler/dequeued", 0))
                + int(stats.get("newsarc/scheduler/held", 0)),
            ),
            seconds=seconds,
            errors=errors,
            refused=refused,
            articles=int(stats.get("newsarc/articles", 0)),
            dup_kinds={
                k.rsplit("/", 1)[1]: int(v)
                for k, v in stats.items()
                if k.startswith("newsarc/dedup/") and k.rsplit("/", 1)[1] in DUP_KINDS
            },
            stories=int(stats.get("newsarc/dedup/stories", 0)),
            off_event=sum(
                int(v) for k, v in stats.items() if k.startswith("newsarc/relevance/off_event/")
            ),
            duplicates=sum(
                int(v)
                for k, v in stats.items()
                if k.startswith("newsarc/dedup/") and k.rsplit("/", 1)[1] in DUP_KINDS[1:]
            ),
            warc_files=int(stats.get("newsarc/warc/files", 0)),
            warc_bytes=int(stats.get("newsarc/warc/bytes", 0)),
            warc_records=int(stats.get("newsarc/warc/records", 0)),
            finish_reason=str(stats.get("finish_reason", "")),
            failures={
                k[len(PREFIX) :]: int(v)
                for k, v in sorted(stats.items())
                if k.startswith(PREFIX) and k[len(PREFIX) :] in KINDS
            },
            failing_hosts=[
                {"host": host, "failures": kinds.total(), "kinds": dict(kinds.most_common())}
                for host, kinds in hosts[:TOP_HOSTS]
            ],
            counters=counters,
        )

    def progress_line(self) -> str:
        minutes, seconds = divmod(int(self.seconds), 60)
        return (
            f"pages {self.pages} done, {self.queued} queued  {self.pages_per_second:.1f}/s  "
            f"articles {self.articles}  duplicates {self.duplicates}  errors {self.errors}  "
            f"refused {self.refused}  {minutes}:{seconds:02d}"
        )

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("pages fetched", str(self.pages)),
            ("pages/s", f"{self.pages_per_second:.1f}"),
            ("seconds", f"{self.seconds:.1f}"),
            ("WARC files", str(self.warc_files)),
            ("WARC bytes", f"{self.warc_bytes:,}"),
            ("WARC records", str(self.warc_records)),
            ("articles (on-event)", str(self.articles)),
            ("off-event pages", str(self.off_event)),
            *[(f"  {kind}", str(self.dup_kinds.get(kind, 0))) for kind in DUP_KINDS],
            ("stories", str(self.stories)),
            ("errors", str(self.errors)),
            ("refused (policy)", str(self.refused)),
            *self._incremental_rows(),
            ("finish reason", self.finish_reason),
        ]

    def _incremental_rows(self) -> list[tuple[str, str]]:
        """A recurring crawl's own rows (none for an event's first crawl)."""
        if not self.counters.get("newsarc/state/known_urls"):
            return []
        count = self.counters.get
        return [
            ("known URLs", str(count("newsarc/state/known_urls", 0))),
            ("not due (skipped)", str(count("newsarc/incremental/not_due", 0))),
            ("replayed (not due)", str(count("newsarc/incremental/replayed", 0))),
            ("unchanged: 304", str(count("newsarc/incremental/revisit/not_modified", 0))),
            ("unchanged: same", str(count("newsarc/incremental/revisit/identical", 0))),
            ("changed", str(count("newsarc/incremental/changed", 0))),
            ("new URLs", str(count("newsarc/incremental/new", 0))),
        ]

    def host_rows(self) -> list[tuple[str, str, str]]:
        """(host, failures, reasons) of the top failing hosts, worst first."""
        return [
            (
                h["host"],
                str(h["failures"]),
                ", ".join(
                    f"{n} {KINDS[k][1] if n == 1 else KINDS[k][2]}" for k, n in h["kinds"].items()
                ),
            )
            for h in self.failing_hosts
        ]

    def verdict(self) -> str | None:
        """One line when nothing could be fetched: why, as far as the crawl knows."""
        if self.pages or self.finish_reason not in ("finished", ""):
            return None
        if not self.failing_hosts:
            return (
                "nothing could be fetched: no request was sent (every URL out of scope, "
                "refused by policy, or not due yet)"
            )
        kinds: dict[str, int] = {}
        for h in self.failing_hosts:
            top = next(iter(h["kinds"]))
            kinds[top] = kinds.get(top, 0) + 1
        count = len(self.failing_hosts)
        why = ", ".join(
            f"{KINDS[k][0]} on {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])
        )
        more = "+" if count == TOP_HOSTS else ""
        return (
            f"nothing could be fetched: {count}{more} host{'s' if count != 1 else ''} failed "
            f"({why}); check the network, the proxy, and the event's URLs"
        )

    def as_json(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        data = asdict(self)
        data["pages_per_second"] = round(self.pages_per_second, 2)
        data["verdict"] = self.verdict()
        data.update(extra or {})
        return data


def warc_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.warc.gz")) if directory.exists() else []
