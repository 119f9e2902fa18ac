"""After a second crawl of the demo (``newsarc demo --again``: one article updated, one added),
`search`, `export` and the Python API show each article once, its latest capture; the command
line is consistent (format from -o, the only event by default, "N of M", exit 4 for what is not
there); after a killed crawl the messages name the commands that help."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from archive import open_archive
from tests.conftest import NEWSARC, SLUG, DemoCrawl

ARTICLE = "http://wire.test/story/2025-04-01/gw-20250401-0087/"


@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory, demo_crawl: DemoCrawl) -> Path:
    """The demo archive crawled a second time, the web a day later."""
    workdir = tmp_path_factory.mktemp("twice")
    shutil.copytree(demo_crawl.out, workdir / "newsarc-data")
    proc = run(workdir, "demo", "--again", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return workdir


def run(workdir: Path, *args: str, text: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(workdir / "cache")}
    return subprocess.run(
        [*NEWSARC, *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=text,
        timeout=300,
        check=False,
    )


def test_each_article_once_after_a_second_crawl(twice: Path) -> None:
    a = open_archive(twice / "newsarc-data")
    every = list(a.stored_articles(all_captures=True))
    urls = {x["url"] for x in every}
    assert len(every) > len(urls)  # the updated article has two captures (revisions 1 and 2)
    latest = list(a.articles())
    assert sorted(x["url"] for x in latest) == sorted(urls)
    revised = [x for x in latest if x["revision"] == 2]
    assert revised and all(x["dup_kind"] == "revision" for x in revised)

    got = run(twice, "export", "-o", "articles.parquet")
    assert got.returncode == 0 and "(parquet)" in got.stderr, got.stderr
    frame = pd.read_parquet(twice / "articles.parquet")
    assert len(frame) == len(urls) == frame["url"].nunique()
    assert dict(frame.dtypes) == dict(a.to_pandas().dtypes)
    assert sorted(frame["id"]) == sorted(x["id"] for x in latest)
    every_csv = run(twice, "export", "--all-captures", "-o", "captures.csv")
    assert every_csv.returncode == 0, every_csv.stderr
    assert len(pd.read_csv(twice / "captures.csv")) == len(every)

    # -o -: JSONL by default, the stored records
    stdout = run(twice, "export", "-o", "-", "--unique-only", text=False)
    assert stdout.returncode == 0, stdout.stderr
    lines = [json.loads(x) for x in io.BytesIO(stdout.stdout).read().splitlines()]
    assert lines == list(a.stored_articles(unique=True))
    assert {x["dup"]["kind"] for x in lines} == {"unique", "revision"}

    hits = run(twice, "search", "Lavrov", "--json", "--limit", "100")
    found = [json.loads(x)["url"] for x in hits.stdout.splitlines()]
    assert len(found) == len(set(found)) >= 3
    all_hits = run(twice, "search", "Lavrov", "--json", "--limit", "100", "--all-captures")
    assert len(all_hits.stdout.splitlines()) > len(found)


def test_search_says_how_many_it_left_out(twice: Path) -> None:
    got = run(twice, "search", "Lavrov", "--limit", "2")
    assert got.returncode == 0, got.stderr
    match = re.search(r"^2 of (\d+) matches", got.stderr, re.M)
    assert match and int(match.group(1)) > 2, got.stderr
    every = run(twice, "search", "Lavrov", "--limit", match.group(1))
    assert "matches" not in every.stderr  # nothing left out: nothing to say


def test_export_format_from_the_name(twice: Path) -> None:
    for name in ("a.csv", "a.jsonl", "a.parquet"):
        got = run(twice, "export", "-o", name)
        assert got.returncode == 0, got.stderr
    assert (twice / "a.csv").read_text().startswith("id,url,")
    assert json.loads((twice / "a.jsonl").read_text().splitlines()[0])["dup"]
    assert (twice / "a.parquet").read_bytes()[:4] == b"PAR1"
    forced = run(twice, "export", "-o", "b.csv", "--format", "jsonl")
    assert forced.returncode == 0 and (twice / "b.csv").read_text().startswith("{")
    unknown = run(twice, "export", "-o", "a.xlsx")
    assert unknown.returncode == 2 and "--format" in unknown.stderr
    assert not (twice / "a.xlsx").exists()


def test_the_only_event_is_the_default_and_unknown_events_exit_4(twice: Path) -> None:
    got = run(twice, "wacz", "-o", "demo.wacz")
    assert got.returncode == 0 and (twice / "demo.wacz").stat().st_size > 10_000, got.stderr
    for command in (
        ["index", "--event", "nope"],
        ["wacz", "--event", "nope", "-o", "x.wacz"],
        ["export", "--event", "nope", "-o", "x.csv"],
        ["list", "--event", "nope"],
        ["get", ARTICLE, "--event", "nope"],
        ["history", ARTICLE, "--event", "nope"],
        ["search", "Lavrov", "--event", "nope"],
        ["get", "http://nowhere.test/"],
        ["history", "http://nowhere.test/"],
        ["reextract", "nope"],
        ["list", "--archive", "no-such-archive"],
        ["repair", "no-such-archive"],
    ):
        missing = run(twice, *command)
        assert missing.returncode == 4, (command, missing.stderr)
        assert "Traceback" not in missing.stderr and missing.stderr.strip(), command
        named = next(x for x in command if x.startswith(("nope", "http://nowhere", "no-such")))
        assert named in missing.stderr, (command, missing.stderr)  # says what is not there
    (twice / "newsarc-data" / "other-event" / "warc").mkdir(parents=True)
    try:
        several = run(twice, "wacz", "-o", "x.wacz")
        assert (
            several.returncode == 2 and SLUG in several.stderr and "other-event" in (several.stderr)
        )
    finally:
        shutil.rmtree(twice / "newsarc-data" / "other-event")


def test_after_a_killed_crawl_the_messages_point_at_repair(twice: Path, tmp_path: Path) -> None:
    shutil.copytree(twice / "newsarc-data", tmp_path / "newsarc-data")
    event = tmp_path / "newsarc-data" / SLUG
    for warc in sorted((event / "warc").glob("*.warc.gz")):  # as a SIGKILL leaves them
        warc.rename(warc.with_name(warc.name + ".open"))
    shutil.rmtree(event / "cdxj")
    (event / "index.cdxj").unlink()
    for command in (["get", ARTICLE], ["wacz", "-o", "x.wacz"], ["index"]):
        got = run(tmp_path, *command)
        assert got.returncode == 4, (command, got.stderr)
        assert "newsarc repair" in got.stderr and "newsarc index" in got.stderr, got.stderr
        assert "run newsarc index" not in got.stderr  # index alone cannot help
    repair, index = got.stderr.split("once no crawl runs: ")[1].strip().split(" && ")
    assert run(tmp_path, *repair.split()[1:]).returncode == 0
    assert run(tmp_path, *index.split()[1:]).returncode == 0
    after = run(tmp_path, "get", ARTICLE, "--text")
    assert after.returncode == 0 and "Lavrov" in after.stdout, after.stderr


def test_reextract_defaults_to_the_only_event(twice: Path, tmp_path: Path) -> None:
    shutil.copytree(twice / "newsarc-data", tmp_path / "newsarc-data")
    got = run(tmp_path, "reextract", "--json", "--workers", "1")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["articles"] > 0
    # a re-extraction re-stores every capture: still one row per article by default
    a = open_archive(tmp_path / "newsarc-data")
    latest = list(a.articles())
    assert len(latest) == len({x["url"] for x in latest})
    assert {x["crawl_id"] for x in latest} == {json.loads(got.stdout)["crawl_id"]}
