"""S3 storage under faults: a fault-injecting proxy in front of the real Ceph RGW.

Each test ends by checking that every object is complete and verified (size, sha256, bytes).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archive.errors import StorageUnavailable, StorageVerifyError
from archive.storage.s3 import S3Storage
from tests.support.services.fault_proxy import FaultProxy

MiB = 1 << 20
FAST = {"max_attempts": 3, "connect_timeout": 1.0, "read_timeout": 2.0}
SMALL_PARTS = {"multipart_threshold": 5 * MiB, "part_size": 5 * MiB}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def via_proxy(
    make_s3: Callable[..., S3Storage], fault_proxy: FaultProxy
) -> Callable[..., S3Storage]:
    """``via_proxy(**options)``: an S3Storage whose endpoint is the fault proxy."""
    return lambda **options: make_s3("faults", endpoint=fault_proxy.url, **{**FAST, **options})


@pytest.fixture
def direct(make_s3: Callable[..., S3Storage]) -> S3Storage:
    """The same bucket and prefix, straight to the server: to check what really got stored."""
    return make_s3("faults")


def assert_stored(direct: S3Storage, key: str, data: bytes) -> None:
    info = direct.stat(key)
    assert info is not None, f"{key} missing"
    assert (info.size, info.sha256) == (len(data), sha(data))
    assert direct.get_bytes(key) == data


def no_uploads_left(s3_client: Any, bucket: str) -> bool:
    return s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.mark.parametrize("mode", ["503", "500", "reset", "cut_upload", "lose", "truncate_upload"])
def test_transient_put_faults_are_absorbed(
    via_proxy: Callable[..., S3Storage], fault_proxy: FaultProxy, direct: S3Storage, mode: str
) -> None:
    storage = via_proxy()
    storage.ensure_bucket()
    data = os.urandom(256 * 1024)
    fault_proxy.inject(mode, 2, match="PUT /")
    assert storage.put_bytes("obj", data).sha256 == sha(data)
    assert fault_proxy.injected == {mode: 2}
    assert_stored(direct, "obj", data)


def test_stalled_server_hits_read_timeout_then_recovers(
    via_proxy: Callable[..., S3Storage], fault_proxy: FaultProxy, direct: S3Storage
) -> None:
    storage = via_proxy(read_timeout=0.5)
    data = b"stalled once" * 1000
    storage.put_bytes("stall", data)
    fault_proxy.inject("delay", 1, match="GET /", seconds=3)
    started = time.monotonic()
    assert storage.get_range("stall", 0, len(data)) == data
    assert time.monotonic() - started < 3  # retried after the timeout, not after the stall
    assert fault_proxy.injected == {"delay": 1}
    assert_stored(direct, "stall", data)


def test_ranged_read_cut_mid_stream_is_resumed(
    via_proxy: Callable[..., S3Storage],
    fault_proxy: FaultProxy,
    direct: S3Storage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = via_proxy()
    data = os.urandom(3 * MiB)
    storage.put_bytes("big", data)
    fault_proxy.inject("truncate", 2, match="GET /")
    with caplog.at_level(logging.WARNING, logger="archive.storage.s3"):
        assert storage.get_range("big", 1000, 2 * MiB) == data[1000 : 1000 + 2 * MiB]
    assert fault_proxy.injected == {"truncate": 2}
    assert sum("body cut" in r.getMessage() for r in caplog.records) == 2
    fault_proxy.inject("truncate", 1, match="GET /")
    assert storage.get_bytes("big") == data  # whole-object reads resume too
    assert_stored(direct, "big", data)


def test_read_cut_every_time_gives_up_as_unavailable(
    via_proxy: Callable[..., S3Storage], fault_proxy: FaultProxy
) -> None:
    storage = via_proxy(read_retries=2)
    storage.put_bytes("k", os.urandom(100_000))
    fault_proxy.inject("truncate", 100, match="GET /")
    with pytest.raises(StorageUnavailable, match="cut mid-stream 3 times"):
        storage.get_range("k", 0, 100_000)
    assert fault_proxy.counts["GET"] == 3


def test_multipart_upload_survives_faults_on_every_step(
    via_proxy: Callable[..., S3Storage],
    fault_proxy: FaultProxy,
    direct: S3Storage,
    s3_client: Any,
    s3_bucket: str,
    tmp_path: Path,
) -> None:
    storage = via_proxy(**SMALL_PARTS)
    data = os.urandom(16 * MiB + 777)
    path = tmp_path / "big.warc.gz"
    path.write_bytes(data)
    storage.ensure_bucket()
    obj = f"/{s3_bucket}/faults/big.warc.gz"
    fault_proxy.inject("503", 1, match=f"POST {obj}?uploads")  # CreateMultipartUpload
    fault_proxy.inject("cut_upload", 1, match="&partNumber=1")
    fault_proxy.inject("truncate_upload", 1, match="&partNumber=2")
    fault_proxy.inject("reset", 1, match="&partNumber=3")
    fault_proxy.inject("503", 1, match="&partNumber=4")
    fault_proxy.inject("lose", 1, match=f"POST {obj}?uploadId=")  # CompleteMultipartUpload
    fault_proxy.inject("500", 1, match=f"HEAD {obj}")
    info = storage.put_file("big.warc.gz", path, sha256=sha(data))
    assert fault_proxy.pending() == 0, f"not all faults were hit: {fault_proxy.rules}"
    assert (info.size, info.sha256) == (len(data), sha(data))
    assert no_uploads_left(s3_client, s3_bucket)
    assert_stored(direct, "big.warc.gz", data)
    fault_proxy.inject("truncate", 1, match=f"GET {obj}")  # resumed read of a multipart object
    assert storage.get_range("big.warc.gz", 4 * MiB, 2 * MiB) == data[4 * MiB : 6 * MiB]
    assert fault_proxy.pending() == 0


def test_multipart_failing_for_good_is_aborted(
    via_proxy: Callable[..., S3Storage],
    fault_proxy: FaultProxy,
    direct: S3Storage,
    s3_client: Any,
    s3_bucket: str,
    tmp_path: Path,
) -> None:
    storage = via_proxy(max_attempts=2, **SMALL_PARTS)
    data = os.urandom(11 * MiB)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    fault_proxy.inject("503", 3, match="&partNumber=2")  # max_attempts=2: 1 try + 2 retries
    with pytest.raises(StorageUnavailable, match=r"UploadPart #2.*HTTP 503"):
        storage.put_file("big.bin", path)
    assert fault_proxy.injected == {"503": 3}
    assert fault_proxy.counts.get("DELETE") == 1  # AbortMultipartUpload
    assert no_uploads_left(s3_client, s3_bucket)
    assert direct.stat("big.bin") is None
    assert storage.put_file("big.bin", path).sha256 == sha(data)  # and the retry works
    assert_stored(direct, "big.bin", data)


def test_size_mismatch_after_upload_is_detected_and_removed(
    via_proxy: Callable[..., S3Storage],
    fault_proxy: FaultProxy,
    direct: S3Storage,
    s3_bucket: str,
) -> None:
    storage = via_proxy()
    data = b"verify me" * 100
    fault_proxy.inject("bad_length", 1, match=f"HEAD /{s3_bucket}/faults/v")
    with pytest.raises(StorageVerifyError, match="stored size 901 != sent size 900"):
        storage.put_bytes("v", data)
    assert direct.stat("v") is None  # the unverified object was deleted
    assert storage.put_bytes("v", data).size == 900
    assert_stored(direct, "v", data)


def test_server_down_is_unavailable_quickly_then_recovers(
    s3_server: Any, make_s3: Callable[..., S3Storage], direct: S3Storage
) -> None:
    proxy = FaultProxy(s3_server.backend).start()
    storage = make_s3("faults", endpoint=proxy.url, max_attempts=2, connect_timeout=1.0)
    storage.put_bytes("before", b"up")
    port = proxy.port
    proxy.stop()
    for call in (
        lambda: storage.put_bytes("during", b"down"),
        lambda: storage.get_bytes("before"),
        lambda: storage.stat("before"),
        lambda: list(storage.iter()),
    ):
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="unreachable"):
            call()
        assert time.monotonic() - started < 5
    with FaultProxy(s3_server.backend, port=port):  # the server is back on the same address
        storage.put_bytes("after", b"up again")
        assert storage.get_bytes("before") == b"up"
    assert_stored(direct, "after", b"up again")
    assert direct.stat("during") is None


def test_persistent_503_is_unavailable(
    via_proxy: Callable[..., S3Storage], fault_proxy: FaultProxy
) -> None:
    storage = via_proxy(max_attempts=1)
    storage.put_bytes("k", b"x")
    fault_proxy.inject("503", 100)
    for call in (lambda: storage.get_bytes("k"), lambda: storage.stat("k")):
        with pytest.raises(StorageUnavailable, match="HTTP 503"):
            call()
    assert fault_proxy.injected == {"503": 4}  # 2 calls x (1 try + 1 retry)
