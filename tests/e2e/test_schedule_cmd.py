"""`newsarc schedule`: three crawls of the demo event in a row, never overlapping, then SIGTERM."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

from crawler.demoweb import DemoWeb, demo_event_path
from tests.conftest import NEWSARC, connect_args
from tests.support import REPO


def test_three_runs_in_a_row_then_a_clean_stop(tmp_path: Path) -> None:
    event = tmp_path / "event.toml"
    event.write_text(demo_event_path().read_text() + '\n[schedule]\nevery = "2s"\n')
    with DemoWeb(slow_seconds=0.2) as web:
        proc = subprocess.Popen(
            [*NEWSARC, "schedule", str(event), "--out", str(tmp_path / "out"), "--json",
             *connect_args(web)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        )  # fmt: skip
        assert proc.stdout is not None
        runs = [json.loads(proc.stdout.readline()) for _ in range(3)]
        asked = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        stopped_after = time.monotonic() - asked
    assert proc.returncode == 0, stderr[-2000:]
    assert [r["run"] for r in runs] == [1, 2, 3]
    assert all(r["exit"] == 0 for r in runs), runs  # no run found the event locked (exit 6)
    for before, after in itertools.pairwise(runs):
        end = datetime.fromisoformat(before["started"]) + timedelta(seconds=before["seconds"] - 1)
        assert datetime.fromisoformat(after["started"]) >= end  # started after the previous ended
    assert runs[0]["pages"] > runs[1]["pages"]  # the later runs are incremental
    print(f"stopped {stopped_after:.2f} s after SIGTERM")
