"""`newsarc search`, `newsarc export` and `newsarc wacz` on the demo archive, local and in S3."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from archive import open_archive
from tests.conftest import NEWSARC, SLUG, DemoCrawl, newsarc
from tests.support.archives import use_env

Archive = tuple[str, dict]


def run(*args: str, env: dict, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return newsarc(*args, env=env or None, **kwargs)  # type: ignore[arg-type]


def stored_articles(uri: str, env: dict, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    use_env(env, monkeypatch)
    return list(open_archive(uri).stored_articles())


def test_search_finds_the_talks_with_title_and_snippet(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, env = archive
    articles = stored_articles(uri, env, monkeypatch)
    index = str(tmp_path / "search.sqlite")
    got = run("search", "Lavrov", "--archive", uri, "--index", index, "--json", env=env)
    assert got.returncode == 0, got.stderr
    hits = [json.loads(line) for line in got.stdout.splitlines()]
    expected = {a["id"] for a in articles if "lavrov" in (a["title"] + a["text"]).lower()}
    assert {h["id"] for h in hits} == expected and len(hits) >= 3
    assert all("[" in h["snippet"] and h["url"].startswith("http://") for h in hits)
    # filters narrow the same query; a site filter keeps that host only
    site = hits[0]["site"]
    only = run(
        "search", "Lavrov", "--archive", uri, "--index", index, "--json", "--site", site, env=env
    )
    assert {json.loads(x)["site"] for x in only.stdout.splitlines()} == {site}
    unique = run(
        "search", "Lavrov", "--archive", uri, "--index", index, "--json", "--unique-only", env=env
    )
    assert {json.loads(x)["dup_kind"] for x in unique.stdout.splitlines()} == {"unique"}
    late = run(
        "search", "Lavrov", "--archive", uri, "--index", index, "--since", "2030-01-01", env=env
    )
    assert late.returncode == 4 and "no matches" in late.stderr
    table = run("search", '"Wang Yi"', "--archive", uri, "--index", index, env=env)
    assert table.returncode == 0 and " · " in table.stdout


def test_search_refuses_a_query_with_nothing_to_search(archive: Archive, tmp_path: Path) -> None:
    uri, env = archive
    got = run(
        "search", "--archive", uri, "--index", str(tmp_path / "s.sqlite"), "--", '-" OR', env=env
    )
    assert got.returncode == 2 and "error:" in got.stderr and "Traceback" not in got.stderr
    bad = run("search", "x", "--archive", uri, "--since", "April", env=env)
    assert bad.returncode == 2 and "--since" in bad.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
def test_export_formats_read_back_by_downstream_tools(
    archive: Archive, fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, env = archive
    articles = stored_articles(uri, env, monkeypatch)
    out = tmp_path / f"articles.{fmt}"
    got = run("export", "--archive", uri, "--format", fmt, "-o", str(out), env=env)
    assert got.returncode == 0, got.stderr
    assert f"exported {len(articles)} articles" in got.stderr
    if fmt == "jsonl":
        back = [json.loads(line) for line in out.read_text().splitlines()]
        assert back == articles
    elif fmt == "parquet":
        frame = pd.read_parquet(out)
        assert sorted(frame["id"]) == sorted(a["id"] for a in articles)
        rows = duckdb.sql(f"select dup_kind, count(*) from '{out}' group by 1").fetchall()
        kinds: dict[str, int] = {}
        for a in articles:
            kinds[a["dup"]["kind"]] = kinds.get(a["dup"]["kind"], 0) + 1
        assert dict(rows) == kinds
        texts = dict(duckdb.sql(f"select id, text from '{out}'").fetchall())
        assert texts == {a["id"]: a["text"] for a in articles}
    else:
        frame = pd.read_csv(out)
        assert sorted(frame["id"]) == sorted(a["id"] for a in articles)
        assert set(frame["warc_offset"]) == {a["warc"]["offset"] for a in articles}


def test_export_unique_only_to_stdout(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    uri, env = archive
    articles = stored_articles(uri, env, monkeypatch)
    got = subprocess.run(
        [*NEWSARC, "export", "--archive", uri, "--format", "parquet", "--unique-only", "-o", "-"],
        capture_output=True,
        env=env or None,
        check=False,
    )
    assert got.returncode == 0, got.stderr
    frame = pd.read_parquet(io.BytesIO(got.stdout))
    unique = {a["id"] for a in articles if a["dup"]["kind"] == "unique"}
    assert set(frame["id"]) == unique and 0 < len(unique) < len(articles)
    missing = run(
        "export", "--archive", uri, "--format", "csv", "--event", "nope", "-o", "-", env=env
    )
    assert missing.returncode == 4 and "no event 'nope'" in missing.stderr


def test_wacz_package_validates_and_holds_the_event(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, env = archive
    articles = stored_articles(uri, env, monkeypatch)
    out = tmp_path / "demo.wacz"
    got = run("wacz", "--archive", uri, "--event", SLUG, "-o", str(out), env=env)
    assert got.returncode == 0, got.stderr
    check = subprocess.run(
        [str(Path(sys.executable).parent / "wacz"), "validate", "-f", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        warcs = [n for n in names if n.startswith("archive/")]
        assert len(warcs) == len(open_archive(uri).warc_files(SLUG))
        pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").splitlines()[1:]]
        assert {p["url"] for p in pages} == {a["url"] for a in articles}
        assert all(p["text"] and p["title"] for p in pages)
        package = json.loads(zf.read("datapackage.json"))
        assert package["title"] == SLUG and len(package["resources"]) == len(names) - 2


def test_output_into_a_missing_directory_is_refused(demo_crawl: DemoCrawl, tmp_path: Path) -> None:
    uri = str(demo_crawl.out)
    for command in (
        ["export", "--format", "csv", "-o", str(tmp_path / "nope" / "a.csv")],
        ["wacz", "--event", SLUG, "-o", str(tmp_path / "nope" / "a.wacz")],
    ):
        got = newsarc(*command, "--archive", uri)
        assert got.returncode == 2 and f"no directory {tmp_path / 'nope'}" in got.stderr
        assert not (tmp_path / "nope").exists()
