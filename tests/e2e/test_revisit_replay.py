"""Revisits replay as the payload they refer to: pywb (through ``newsarc replay``'s app) and
``newsarc get --at`` on an archive holding a response, a 304 revisit, an identical-payload
revisit and a changed response of one URL."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import newsarc
from tests.support import REPO
from tests.support.revisits import BODY, NEW_BODY, URL, write_revisits

STAMPS = [
    ("20250401120000", BODY),  # the full response
    ("20250401121000", BODY),  # 304: server-not-modified
    ("20250401122000", BODY),  # same payload: identical-payload-digest
    ("20250401123000", NEW_BODY),  # changed
]
REPLAY = """
import base64, json, sys, tempfile, wsgiref.util
from pathlib import Path
from archive.access.replay import build_app, patch_gevent
patch_gevent()
from archive.storage import open_storage
app = build_app(open_storage(sys.argv[1]), events=None, cache_dir=Path(tempfile.mkdtemp()))
for path in sys.argv[2:]:
    env = {"PATH_INFO": path, "HTTP_HOST": "127.0.0.1"}
    wsgiref.util.setup_testing_defaults(env)
    status = []
    body = b"".join(app(env, lambda s, h, e=None: status.append(s)))
    print(json.dumps({"status": status[0], "body": base64.b64encode(body).decode()}))
app.close()
"""


def archive_of_revisits(root: Path) -> Path:
    path, _ = write_revisits(root / "ev" / "warc")
    index = root / "ev" / "cdxj" / (path.name.removesuffix(".warc.gz") + ".cdxj")
    shutil.copy(index, root / "ev" / "index.cdxj")  # one WARC: its index is the event's
    return root


def test_newsarc_replay_resolves_both_revisit_profiles(tmp_path: Path) -> None:
    root = archive_of_revisits(tmp_path / "archive")
    paths = [f"/ev/{stamp}id_/{URL}" for stamp, _ in STAMPS]
    done = subprocess.run(
        [sys.executable, "-c", REPLAY, str(root), *paths],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(answers) == len(STAMPS)
    for (stamp, expected), answer in zip(STAMPS, answers, strict=True):
        assert answer["status"].startswith("200"), (stamp, answer["status"])
        assert base64.b64decode(answer["body"]) == expected, stamp


def test_get_at_a_revisit_gives_the_original_payload(tmp_path: Path) -> None:
    root = archive_of_revisits(tmp_path / "archive")
    for stamp, expected in STAMPS:
        got = newsarc("get", URL, "--archive", str(root), "--at", stamp, "--html")
        assert got.returncode == 0, got.stderr
        assert got.stdout.encode().strip() == expected.strip(), stamp
    info = newsarc("get", URL, "--archive", str(root), "--at", "20250401121000", "--json")
    capture = json.loads(info.stdout)
    assert capture["revisit_of"] and capture["timestamp"] == "20250401121000"
