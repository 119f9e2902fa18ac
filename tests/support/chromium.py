"""Render a local HTML file in real headless Chromium (Debian's ``chromium``) and return the DOM
after its scripts ran: ``--dump-dom`` with a virtual-time budget, so pending work (chart
rendering promises) finishes before the DOM is printed, without sleeping."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

BUDGET_MS = 30_000  # virtual time: advances instantly when the page is idle


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("no chromium: run scripts/ensure-services.sh (apt-get install chromium)")


def dump_dom(page: Path, profile: Path) -> tuple[str, str]:
    """(the DOM after load, Chromium's log) of ``page``, opened as a file:// URL."""
    proc = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",  # tests run as root in CI
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            f"--virtual-time-budget={BUDGET_MS}",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout, proc.stderr
