"""newsarc reextract --site from an s3:// archive (real Ceph RGW): the site's WARC records are
streamed from the bucket, the new article set, its texts, health and the dedup index uploaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import SLUG, newsarc
from tests.support.archives import s3_env
from tests.support.s3fixtures import S3Server

HERALD = "herald.test"


def articles_in(client: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def test_reextract_one_site_of_an_s3_archive(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str, s3_client: Any
) -> None:
    env = s3_env(s3_server)
    archive = f"s3://{s3_bucket}/archive"
    crawled = newsarc(
        "demo", "--out", archive, "--spool", str(tmp_path / "spool"), "--json", env=env
    )
    assert crawled.returncode == 0, crawled.stderr[-3000:]

    def keys() -> set[str]:
        pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket)
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    before = keys()
    (crawl_set,) = [k for k in before if k.startswith(f"archive/{SLUG}/articles/")]
    herald = {
        a["id"]: a
        for a in articles_in(s3_client, s3_bucket, crawl_set)
        if f"//{HERALD}/" in a["url"]
    }
    assert herald
    # a fresh machine: nothing of the event in the working directory
    work = tmp_path / "elsewhere"
    proc = newsarc(
        "reextract", SLUG, "--archive", archive, "--spool", str(work), "--site", HERALD,
        "--workers", "2", "--json", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    crawl_id = summary["crawl_id"]
    after = keys()
    assert before - {f"archive/{SLUG}/dedup/index.sqlite"} <= after  # the old sets are kept
    new_set = f"archive/{SLUG}/articles/{crawl_id}.jsonl"
    assert new_set in after and f"archive/{SLUG}/crawls/{crawl_id}/health.json" in after
    again = {a["id"]: a for a in articles_in(s3_client, s3_bucket, new_set)}
    assert summary["articles"] == len(again)
    assert set(again) == set(herald)  # the same captures, so the same article ids
    for doc, article in again.items():
        assert article["text_sha256"] == herald[doc]["text_sha256"]
        assert article["dup"]["kind"] == herald[doc]["dup"]["kind"]  # known to the event's index
    health = json.loads(
        s3_client.get_object(Bucket=s3_bucket, Key=f"archive/{SLUG}/crawls/{crawl_id}/health.json")[
            "Body"
        ].read()
    )
    assert health["kind"] == "reextract" and list(health["sites"]) == [HERALD]
    # readers see the site's articles once, in their newest form
    exported = newsarc("export", "--format", "jsonl", "-o", "-", "--archive", archive, env=env)
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) and set(herald) <= set(ids)
    assert {r["crawl_id"] for r in rows if r["id"] in herald} == {crawl_id}
