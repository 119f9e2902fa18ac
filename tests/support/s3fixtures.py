"""Pytest fixtures for tests against a REAL S3 server (never a mock, never skipped).

- ``S3_ENDPOINT_URL`` set: use that server (credentials ``AWS_ACCESS_KEY_ID`` /
  ``AWS_SECRET_ACCESS_KEY``, default testkey/testsecret; optional ``S3_HTTPS_ENDPOINT_URL`` and
  ``S3_CA_BUNDLE`` for the HTTPS test).
- else: start a private one-node Ceph RGW (``tests/support/services/ceph_rgw_start.sh``) on
  free ports under a temp dir, once per session, and stop it at the end. Missing Ceph binaries
  fail the tests with the install command (``scripts/ensure-services.sh``, run by ``make test``).
  ``NEWSARC_CEPH_STORE=bluestore`` keeps the OSD's data on disk instead of in RAM (slower start).

Each test gets its own bucket (``s3_bucket``), emptied and deleted afterwards.
Import into conftest.py: ``from tests.support.s3fixtures import *  # noqa: F403``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from archive.storage.s3 import S3Options, S3Storage
from tests.support.services.fault_proxy import FaultProxy

__all__ = ["S3Server", "fault_proxy", "make_s3", "s3_bucket", "s3_client", "s3_server"]

SERVICES = Path(__file__).parent / "services"
CEPH_PROGRAMS = ("radosgw", "radosgw-admin", "ceph-mon", "ceph-osd", "monmaptool", "uuidgen")
INSTALL_HINT = (
    "scripts/ensure-services.sh (as root; `make test` runs it), i.e. apt-get install -y "
    "--no-install-recommends radosgw ceph-mon ceph-osd uuid-runtime curl openssl; "
    "or set S3_ENDPOINT_URL to a running S3 server"
)


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:PORT
    access_key: str
    secret_key: str = ""
    https_endpoint: str | None = None
    ca_bundle: str | None = None

    def __repr__(self) -> str:  # keep the secret out of pytest's output
        return f"S3Server(endpoint={self.endpoint!r}, https_endpoint={self.https_endpoint!r})"

    @property
    def backend(self) -> tuple[str, int]:
        """(host, port) of the plain-HTTP endpoint, for the fault proxy."""
        parts = urlsplit(self.endpoint)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise pytest.fail.Exception(
                f"the fault proxy needs an http://host:port endpoint, got {self.endpoint}"
            )
        return parts.hostname, parts.port


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    if os.environ.get("S3_ENDPOINT_URL"):
        yield S3Server(
            endpoint=os.environ["S3_ENDPOINT_URL"],
            access_key=os.environ.get("AWS_ACCESS_KEY_ID", "testkey"),
            secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testsecret"),
            https_endpoint=os.environ.get("S3_HTTPS_ENDPOINT_URL"),
            ca_bundle=os.environ.get("S3_CA_BUNDLE"),
        )
        return
    missing = [p for p in CEPH_PROGRAMS if not shutil.which(p)]
    if missing:
        pytest.fail(
            f"no S3 server for the tests: {', '.join(missing)} not found. "
            f"Install with {INSTALL_HINT}"
        )
    yield from _private_ceph()


def _private_ceph() -> Iterator[S3Server]:
    # a short path: Ceph's admin sockets live under it (unix socket paths: at most 107 bytes)
    directory = tempfile.mkdtemp(prefix="newsarc-ceph-")
    server = S3Server(
        endpoint=f"http://127.0.0.1:{free_port()}",
        access_key="newsarc-test",
        secret_key=secrets.token_hex(20),
        https_endpoint=f"https://127.0.0.1:{free_port()}",
        ca_bundle=f"{directory}/tls.crt",
    )
    env = dict(
        os.environ,
        CEPH_DIR=directory,
        RGW_PORT=str(urlsplit(server.endpoint).port),
        RGW_TLS_PORT=str(urlsplit(server.https_endpoint or "").port),
        MON_PORT=str(free_port()),
        STORE=os.environ.get("NEWSARC_CEPH_STORE", "memstore"),
        OSD_BYTES=str(4 << 30),  # memstore: a cap, not an allocation
        RGW_ACCESS_KEY=server.access_key,
        RGW_SECRET_KEY=server.secret_key,
        GRACE="1",  # seconds the stop script waits after TERM before KILL (state is thrown away)
    )
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [str(SERVICES / "ceph_rgw_start.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        if proc.returncode != 0:
            pytest.fail(f"Ceph RGW did not start (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        print(f"\n[s3fixtures] private Ceph RGW ready in {time.monotonic() - started:.1f}s")
        yield server
    finally:
        subprocess.run(
            [str(SERVICES / "ceph_rgw_stop.sh")], env=env, capture_output=True, timeout=120
        )


@pytest.fixture(scope="session")
def s3_client(s3_server: S3Server) -> Any:
    """A raw boto3 client, for looking behind the backend's back (MPUs, metadata)."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3_server.endpoint,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
        region_name="us-east-1",
        config=S3Options().client_config(),
    )


@pytest.fixture
def s3_bucket(s3_client: Any) -> Iterator[str]:
    """A fresh bucket name (not created: the storage creates it), emptied and deleted after."""
    bucket = "newsarc-t-" + secrets.token_hex(6)
    yield bucket
    try:
        s3_client.head_bucket(Bucket=bucket)
    except Exception:
        return  # never created, or the server is gone
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            s3_client.delete_object(Bucket=bucket, Key=obj["Key"])
    for upload in s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3_client.abort_multipart_upload(
            Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
        )
    s3_client.delete_bucket(Bucket=bucket)


@pytest.fixture
def make_s3(s3_server: S3Server, s3_bucket: str) -> Callable[..., S3Storage]:
    """``make_s3(prefix="", endpoint=None, **S3Options fields)``: S3Storage on the test bucket."""

    def make(prefix: str = "", endpoint: str | None = None, **options: Any) -> S3Storage:
        options.setdefault("region_name", "us-east-1")
        return S3Storage(
            s3_bucket,
            prefix,
            endpoint_url=endpoint or s3_server.endpoint,
            options=S3Options(**options),
            access_key_id=s3_server.access_key,
            secret_access_key=s3_server.secret_key,
        )

    return make


@pytest.fixture
def fault_proxy(s3_server: S3Server) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the real server (``proxy.url`` as the endpoint)."""
    proxy = FaultProxy(s3_server.backend).start()
    try:
        yield proxy
    finally:
        proxy.stop()
