"""``newsarc report`` on a 10,000-article archive: time, file size, and a render in Chromium.

Usage: .venv/bin/python -m benchmarks.report_10k [--articles 10000] [--sites 60] [--crawls 8]

Writes a synthetic archive under ``benchmarks/work/report-10k/`` (deterministic: seed 1): one
event, ``--crawls`` crawls with manifests and ``health.json`` files (one with a drift alarm),
the articles spread over those crawls' article sets with realistic dates, outlets, languages,
story clusters, duplicate kinds and revisions. Then times ``newsarc report`` (wall and peak RSS
of the process), renders the file in headless Chromium (``--dump-dom``) and checks that every
chart drew and no script failed. Prints JSON and writes
``benchmarks/results/report-10k-<date>.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html

from archive.health.drift import detect
from archive.health.signals import PageObservation, Tally
from archive.health.store import CrawlHealth, as_history

SLUG = "bench-event"
WORK = Path(__file__).parent / "work" / "report-10k"
RESULTS = Path(__file__).parent / "results"
KINDS = ["unique"] * 70 + ["exact"] * 8 + ["near"] * 12 + ["rewrite"] * 6 + ["url"] * 4
LANGS = ["en"] * 6 + ["ru", "zh", "de", "fr"]
WORDS = ["minister", "talks", "moscow", "beijing", "visit", "partnership", "security", "summit"]


def build(root: Path, articles: int, sites: int, crawls: int, rng: random.Random) -> None:
    shutil.rmtree(root, ignore_errors=True)
    event = root / SLUG
    (event / "articles").mkdir(parents=True)
    (event / "text").mkdir()
    start = datetime(2025, 3, 25, tzinfo=UTC)
    crawl_ids = [(start + timedelta(days=2 * i)).strftime("%Y%m%dT%H%M%SZ") for i in range(crawls)]
    hosts = [f"outlet{i:02}.example" for i in range(sites)]
    stories = [f"story{i:05}" for i in range(articles // 3)]
    history: list[CrawlHealth] = []
    for c, crawl_id in enumerate(crawl_ids):
        lines = []
        tally = Tally()
        fetched = f"{crawl_id[:4]}-{crawl_id[4:6]}-{crawl_id[6:8]}T12:00:00Z"
        for i in range(c * articles // crawls, (c + 1) * articles // crawls):
            host = hosts[int(rng.paretovariate(1.2)) % sites]
            day = start + timedelta(days=rng.randint(0, 16), hours=rng.randint(0, 23))
            doc = hashlib.sha256(f"{i}".encode()).hexdigest()[:16]
            kind = rng.choice(KINDS)
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(150, 600)))
            revision = 2 if rng.random() < 0.02 else 1
            url = f"http://{host}/news/{day:%Y/%m/%d}/article-{i}"
            lines.append(
                {
                    "id": doc,
                    "url": url,
                    "title": f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} report number {i}",
                    "date": day.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "sitename": f"Outlet {host[6:8]}",
                    "language": rng.choice(LANGS),
                    "text": text,
                    "word_count": len(text.split()),
                    "fetched_at": fetched,
                    "crawl_id": crawl_id,
                    "event": SLUG,
                    "dup": {"kind": "revision" if revision > 1 else kind, "of": None, "score": 1.0},
                    "story": rng.choice(stories),
                    "revision": revision,
                    "words_added": 12 if revision > 1 else None,
                    "words_removed": 3 if revision > 1 else None,
                }
            )
            if kind == "unique":
                (event / "text" / f"{doc}.txt").write_text(text + "\n")
            broken = c == crawls - 1 and host == hosts[1]
            for extra in range(2):  # every article page and two other pages of the site
                tally.add(PageObservation(f"{url}/{extra}", 40_000, fetched))
            tally.add(
                PageObservation(
                    url, 40_000, fetched, article=not broken, text_chars=len(text), title=True,
                    date=lines[-1]["date"], author=True, on_event=True, language=True,
                    text_sha256=doc, extractor="trafilatura 2.3.1",
                )
            )  # fmt: skip
        with (event / "articles" / f"{crawl_id}.jsonl").open("w") as fh:
            for line in lines:
                fh.write(json.dumps(line) + "\n")
        sites_now = tally.sites()
        alarms = detect(crawl_id, sites_now, as_history(history))
        history.append(CrawlHealth(crawl_id, "crawl", sites_now, alarms))
        history[-1].write(event)
        manifest = {
            "crawl_id": crawl_id,
            "event": SLUG,
            "finish_reason": "finished",
            "objects": [],
            "stats": {"newsarc/warc/responses": len(lines) * 3, "newsarc/articles": len(lines)},
        }
        (event / "crawls" / crawl_id / "manifest.json").write_text(json.dumps(manifest))
    (event / "crawls" / crawl_ids[-1] / "event.toml").write_text(
        '[event]\nname = "Benchmark event"\nslug = "bench-event"\n'
        "start = 2025-03-30\nend = 2025-04-05\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--sites", type=int, default=60)
    parser.add_argument("--crawls", type=int, default=8)
    args = parser.parse_args()
    archive = WORK / "archive"
    build(archive, args.articles, args.sites, args.crawls, random.Random(1))
    out = WORK / "report.html"
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "crawler", "report", SLUG, "--archive", str(archive),
         "-o", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    started = time.monotonic()
    chrome = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=60000",
         f"--user-data-dir={WORK / 'profile'}", "--dump-dom", out.resolve().as_uri()],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    render_seconds = time.monotonic() - started
    doc = lxml.html.fromstring(chrome.stdout)
    charts = doc.xpath("//div[contains(concat(' ', @class, ' '), ' chart ')]")
    errors = (doc.get_element_by_id("script-errors").text or "").strip()
    result = {
        "articles": args.articles,
        "sites": args.sites,
        "crawls": args.crawls,
        "report_bytes": out.stat().st_size,
        "report_seconds": round(seconds, 1),
        "report_max_rss_mb": rss,
        "chromium_seconds": round(render_seconds, 1),
        "charts": len(charts),
        "charts_drawn": sum(1 for c in charts if c.get("data-drawn") == "true"),
        "script_errors": errors,
        "article_rows": len(doc.xpath("//tr[@data-article]")),
        "story_lists": len(doc.xpath("//div[@id='story-list']/details")),
        "alarms": len(doc.xpath("//ul[@id='alarms']/li")),
        "stderr": proc.stderr.strip(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"report-10k-{datetime.now(UTC):%Y%m%d}.json").write_text(
        json.dumps(result, indent=1)
    )
    print(json.dumps(result, indent=1))
    ok = result["charts"] == result["charts_drawn"] > 0 and not errors
    ok = ok and result["article_rows"] == args.articles
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
