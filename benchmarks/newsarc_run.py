"""How the benchmarks run newsarc: the event file for the generated web, and which code.

``write_event`` fills the event file (seed, feed and sitemap of the served web; no delay, high
per-host concurrency, robots obeyed, scope 127.0.0.1). ``export_rev`` copies a git revision
out with ``git archive`` so a commit can be measured instead of the working tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENT = """\
[event]
name = "Benchmark: Wang Yi visits Moscow (generated news web)"
slug = "crawl-bench"
start = {start}
end = {end}
languages = ["en"]

[match]
all = [["Wang Yi"], ["Moscow", "Kremlin", "Putin", "Lavrov"]]
any = ["Ukraine", "strategic partnership"]

[sources]
seeds = ["{base}/"]
feeds = ["{base}/rss.xml"]
sitemaps = ["{base}/sitemap.xml"]
max_depth = 3
allowed_domains = ["127.0.0.1"]

[limits]
max_pages = {max_pages}
max_pages_per_host = {max_pages}
per_host_concurrency = {concurrency}
download_delay = 0

[politeness]
user_agent = "newsarc-bench/0.1 (+https://github.com/newsarc/newsarc)"
obey_robots = true
"""


def html_pages(manifest: dict[str, Any]) -> int:
    m = manifest
    return len(m["articles"]) + len(m["indexes"]) + len(m["static"]) + len(m["disallowed"])


def write_event(run_dir: Path, base_url: str, manifest: dict[str, Any], concurrency: int) -> Path:
    spec = manifest["spec"]
    event = run_dir / "crawl-bench.toml"
    text = EVENT.format(
        start=spec["start"],
        end=spec["end"],
        base=base_url,
        max_pages=html_pages(manifest) + 100,
        concurrency=concurrency,
    )
    event.write_text(text, encoding="utf-8")
    return event


def export_rev(rev: str, work: Path) -> Path:
    """A clean copy of the repository at ``rev`` (``git archive``), to benchmark a commit."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    target = work / f"src-{sha}"
    if not target.exists():
        tmp = work / f"src-{sha}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
        tmp.rename(target)
    return target


def newsarc_command(source: Path | None) -> list[str]:
    if source is None:  # the working tree, through the venv's editable install
        return [str(Path(sys.executable).parent / "newsarc")]
    return [
        sys.executable,
        "-P",
        "-c",
        "import sys; from crawler.cli.main import run; sys.exit(run())",
    ]


def source_env(source: Path | None) -> dict[str, str] | None:
    """PYTHONPATH beats the editable install's finder; ``-P`` keeps the cwd off sys.path."""
    return None if source is None else {**os.environ, "PYTHONPATH": str(source)}
