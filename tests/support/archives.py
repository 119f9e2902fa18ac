"""Session fixtures for the retrieval tests: the demo archive, local and in real S3."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.s3fixtures import S3Server

if TYPE_CHECKING:
    from tests.conftest import DemoCrawl

__all__ = ["archive", "s3_archive", "s3_env", "use_env"]


def s3_env(server: S3Server, endpoint: str | None = None) -> dict[str, str]:
    """The environment a newsarc subprocess needs to reach the test S3 server."""
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=server.access_key,
        AWS_SECRET_ACCESS_KEY=server.secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        NEWSARC_S3_ENDPOINT_URL=endpoint or server.endpoint,
    )
    return env


@pytest.fixture(scope="session")
def s3_archive(
    s3_server: S3Server, s3_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The demo crawled straight into a bucket of the real S3 server."""
    bucket = "newsarc-retrieve"
    spool = tmp_path_factory.mktemp("spool")
    args = ["demo", "--out", f"s3://{bucket}/archive", "--spool", str(spool), "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        env=s3_env(s3_server),
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    yield f"s3://{bucket}/archive"
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            s3_client.delete_object(Bucket=bucket, Key=obj["Key"])
    s3_client.delete_bucket(Bucket=bucket)


@pytest.fixture(params=["local", "s3"])
def archive(request: pytest.FixtureRequest, s3_server: S3Server) -> Iterator[tuple[str, dict]]:
    """(archive URI, environment) for the local demo archive and the S3 one."""
    if request.param == "local":
        demo: DemoCrawl = request.getfixturevalue("demo_crawl")
        yield str(demo.out), {}
    else:
        yield request.getfixturevalue("s3_archive"), s3_env(s3_server)


def use_env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "NEWSARC_S3_ENDPOINT_URL"):
        if name in env:  # the API reads the standard AWS environment, as boto3 does
            monkeypatch.setenv(name, env[name])
