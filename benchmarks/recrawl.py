"""Recurring-crawl benchmark: the same generated news web crawled again, unchanged and changed.

    .venv/bin/python benchmarks/recrawl.py [--pages 10000] [--changed 0.05] [--keep]

Over one event directory, against a private nginx (which sends ETag/Last-Modified and answers
conditional requests with 304):

1. ``first``: the event's first crawl;
2. ``again``: a second crawl at once, nothing changed (the default: only what is due);
3. ``full``: ``--full``, nothing changed: every known URL asked for conditionally;
4. ``changed``: after rewriting ``--changed`` of the article files (a paragraph added), ``--full``
   again: every changed page must come back in full (``newsarc/incremental/changed``) and each
   changed on-event article must be stored as revision 2.

Per crawl: wall seconds, responses and revisits written, WARC bytes written. Prints a Markdown
table and writes ``benchmarks/results/recrawl-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gen_newsweb import WebSpec
from machine import describe_machine
from measure import run_measured
from newsarc_run import newsarc_command, write_event
from newsweb_xml import write_discovery
from nginx_server import Nginx, terminate_on_sigterm
from run_crawl import prepare_web
from warcstats import warc_files

HERE = Path(__file__).resolve().parent
# neutral words: the change must not make an off-event article relevant (or the reverse)
UPDATE = (
    "<p>Correction: an earlier version of this article gave the wrong day for the meeting of "
    "the two delegations; it took place a day later than first reported.</p>"
)


def crawl(name: str, run_dir: Path, event: Path, out: Path, *extra: str) -> dict[str, Any]:
    before = set(warc_files(out / "crawl-bench" / "warc")) if out.exists() else set()
    command = [*newsarc_command(None), "crawl", str(event), "--out", str(out)]
    # no page caps: the event's max_pages and max_pages_per_host count revisits too (an issue),
    # and --full revisits every page
    command += ["--allow-private-addresses", "--json", "-s", "CLOSESPIDER_PAGECOUNT=0"]
    command += ["-s", "NEWSARC_MAX_PAGES_PER_HOST=0", *extra]
    measured = run_measured(
        command,
        stdout=run_dir / "logs" / f"{name}.stdout",
        stderr=run_dir / "logs" / f"{name}.stderr",
        timeout=3600,
        cwd=run_dir,
    )
    seconds = measured.wall_seconds
    if measured.exit_code != 0:
        raise SystemExit(f"{name}: newsarc exited {measured.exit_code}")
    report = json.loads((run_dir / "logs" / f"{name}.stdout").read_text())
    counters = report.get("counters", {})
    new = sorted(set(warc_files(out / "crawl-bench" / "warc")) - before)
    return {
        "crawl": name,
        "seconds": round(seconds, 1),
        "responses": counters.get("newsarc/warc/responses", 0),
        "revisits_304": counters.get("newsarc/incremental/revisit/not_modified", 0),
        "revisits_identical": counters.get("newsarc/incremental/revisit/identical", 0),
        "not_due": counters.get("newsarc/incremental/not_due", 0),
        "replayed": counters.get("newsarc/incremental/replayed", 0),
        "changed": counters.get("newsarc/incremental/changed", 0),
        "revisions": counters.get("newsarc/dedup/revision", 0),
        "articles": report.get("articles", 0),
        "warc_bytes": sum(p.stat().st_size for p in new),
    }


def change_articles(web_root: Path, manifest: dict[str, Any], share: float, seed: int) -> list[str]:
    """Add a paragraph to the body of ``share`` of the article pages; returns their paths."""
    paths = [a["path"] for a in manifest["articles"]]
    chosen = random.Random(seed).sample(paths, max(1, round(len(paths) * share)))
    for path in chosen:
        file = web_root / path.lstrip("/")
        html = file.read_text(encoding="utf-8")
        body = html.index("<article")
        end = html.index("</p>", html.index("<p>", html.index("</h1>", body))) + len("</p>")
        file.write_text(html[:end] + UPDATE + html[end:], encoding="utf-8")  # after the 1st ¶
    return chosen


def stored_revisions(out: Path, changed: list[str]) -> tuple[int, int]:
    """(changed pages stored as on-event articles before the change, of those stored as
    revision 2)."""
    records = []
    for path in (out / "crawl-bench" / "articles").glob("*.jsonl"):
        records += [json.loads(line) for line in path.read_text().splitlines()]
    stored = {urlsplit(r["url"]).path for r in records if r.get("revision", 1) == 1}
    revised = {urlsplit(r["url"]).path for r in records if r.get("revision") == 2}
    on_event = [p for p in changed if p in stored]
    return len(on_event), len([p for p in on_event if p in revised])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    terminate_on_sigterm()
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    run_dir = args.work / f"recrawl-{stamp}"
    (run_dir / "logs").mkdir(parents=True)
    spec = WebSpec(pages=args.pages)
    web_root, manifest = prepare_web(args.work, spec)
    fresh = run_dir / "web"
    shutil.copytree(web_root, fresh)  # the changes below never touch the shared web
    out = run_dir / "archive"
    rows = []
    try:
        with Nginx(fresh, run_dir / "nginx") as web:
            write_discovery(fresh, manifest, web.base_url)
            event = write_event(run_dir, web.base_url, manifest, args.concurrency)
            rows.append(crawl("first", run_dir, event, out))
            rows.append(crawl("again", run_dir, event, out))
            rows.append(crawl("full", run_dir, event, out, "--full"))
            changed = change_articles(fresh, manifest, args.changed, seed=7)
            rows.append(crawl("changed", run_dir, event, out, "--full"))
        on_event, revised = stored_revisions(out, changed)
    finally:
        if not args.keep:
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
    first = rows[0]
    result = {
        "machine": describe_machine(HERE.parent),
        "pages": args.pages,
        "changed_pages": len(changed),
        "changed_on_event": on_event,
        "revisions_stored": revised,
        "crawls": rows,
    }
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"recrawl-{stamp}.json").write_text(json.dumps(result, indent=1))
    print("| crawl | seconds | % of first | responses | 304 revisits | identical | changed "
          "| revisions | WARC bytes | % of first |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['crawl']} | {r['seconds']} | {100 * r['seconds'] / first['seconds']:.1f} "
            f"| {r['responses']} | {r['revisits_304']} | {r['revisits_identical']} "
            f"| {r['changed']} | {r['revisions']} | {r['warc_bytes']:,} "
            f"| {100 * r['warc_bytes'] / max(1, first['warc_bytes']):.1f} |"
        )
    print(f"\nchanged {len(changed)} article pages ({on_event} on-event); "
          f"{revised} stored as revision 2")  # fmt: skip


if __name__ == "__main__":
    main()
