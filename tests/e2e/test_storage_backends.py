"""archive.storage.keys: the same tests for the local backend and for S3 on a real Ceph RGW."""

from __future__ import annotations

import logging
import os
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.errors import ObjectNotFound, StorageError, StorageVerifyError
from archive.storage import open_storage
from archive.storage.keys import Storage, object_key
from archive.storage.local import LocalStorage
from archive.storage.s3 import S3Options, S3Storage
from tests.support.s3fixtures import S3Server
from tests.support.storages import HOSTILE, MiB, sha

SMALL_PARTS = {"multipart_threshold": 5 * MiB, "part_size": 5 * MiB}  # S3's minimum part size


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_storage(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[..., Storage]:
    """``make_storage(**s3_options)``: a fresh storage of the parametrized backend."""
    if backend == "local":
        return lambda **_: LocalStorage(tmp_path / "root" / "archive")
    make_s3 = request.getfixturevalue("make_s3")
    return lambda **options: make_s3("arch/ive", **options)


@pytest.fixture
def storage(make_storage: Callable[..., Storage]) -> Storage:
    return make_storage()


# -- hostile keys never touch storage ----------------------------------------------------------
def test_backends_refuse_hostile_keys(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"payload")
    calls: dict[str, Callable[[str], object]] = {
        "put_bytes": lambda key: storage.put_bytes(key, b"payload"),
        "put_file": lambda key: storage.put_file(key, src),
        "get_bytes": storage.get_bytes,
        "get_range": lambda key: storage.get_range(key, 0, 1),
        "stat": storage.stat,
        "exists": storage.exists,
    }
    for bad in HOSTILE:
        for name, call in calls.items():
            with pytest.raises(StorageError):
                call(bad)
                pytest.fail(f"{name}({bad!r}) was accepted")
    assert list(storage.iter()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.bin"]  # nothing written beside


def test_iter_refuses_hostile_prefixes(storage: Storage) -> None:
    for bad in ("../", "/abs", "a//", "../../etc/", "~/", "a\\", "a\x00"):
        with pytest.raises(StorageError):
            list(storage.iter(bad))


# -- round trips ---------------------------------------------------------------------------------
def test_put_get_range_stat_round_trip(storage: Storage) -> None:
    data = os.urandom(300_000)
    info = storage.put_bytes("ev/warc/a.warc.gz", data, content_type="application/warc")
    assert (info.key, info.size, info.sha256) == ("ev/warc/a.warc.gz", len(data), sha(data))
    assert storage.get_bytes("ev/warc/a.warc.gz") == data
    assert storage.get_range("ev/warc/a.warc.gz", 0, 10) == data[:10]
    assert storage.get_range("ev/warc/a.warc.gz", 123_456, 7890) == data[123_456:131_346]
    assert storage.get_range("ev/warc/a.warc.gz", len(data) - 5, 100) == data[-5:]  # clamped
    stat = storage.stat("ev/warc/a.warc.gz")
    assert stat is not None and stat.size == len(data)
    assert storage.exists("ev/warc/a.warc.gz")
    assert storage.stat("ev/warc/missing") is None
    assert not storage.exists("ev/warc")  # a "directory" is not an object
    assert storage.put_bytes("empty", b"").size == 0
    assert storage.get_bytes("empty") == b""


def test_missing_objects_and_bad_ranges(storage: Storage) -> None:
    storage.put_bytes("k", b"0123456789")
    with pytest.raises(ObjectNotFound):
        storage.get_bytes("nope")
    with pytest.raises(ObjectNotFound):
        storage.get_range("nope", 0, 5)
    for offset, length in ((10, 1), (50, 5), (-1, 5), (0, 0)):
        with pytest.raises(StorageError):
            storage.get_range("k", offset, length)


def test_put_file_round_trip_and_overwrite(storage: Storage, tmp_path: Path) -> None:
    path = tmp_path / "x.warc.gz"
    path.write_bytes(b"first version")
    info = storage.put_file("x.warc.gz", path, sha256=sha(b"first version"))
    assert (info.size, info.sha256) == (13, sha(b"first version"))
    path.write_bytes(b"second, longer version")
    assert storage.put_file("x.warc.gz", path).sha256 == sha(b"second, longer version")
    assert storage.get_bytes("x.warc.gz") == b"second, longer version"
    with pytest.raises(StorageError):
        storage.put_file("y", tmp_path / "does-not-exist")
    with pytest.raises(StorageError):
        storage.put_file("y", tmp_path)  # a directory
    assert not storage.exists("y")


def test_verification_failure_when_file_changed_after_hashing(
    storage: Storage, tmp_path: Path
) -> None:
    path = tmp_path / "w.warc.gz"
    path.write_bytes(b"A" * 1000)
    digest = sha(path.read_bytes())
    path.write_bytes(b"A" * 999 + b"B")  # corrupted between hash and upload
    with pytest.raises(StorageVerifyError, match="sha256"):
        storage.put_file("w.warc.gz", path, sha256=digest)
    assert storage.stat("w.warc.gz") is None
    assert list(storage.iter()) == []
    with pytest.raises(StorageVerifyError, match="sha256"):
        storage.put_file("w.warc.gz", path, sha256="0" * 64)


def test_multipart_with_small_parts(make_storage: Callable[..., Storage], tmp_path: Path) -> None:
    storage = make_storage(**SMALL_PARTS)
    sent: list[tuple[str, dict[str, str]]] = []
    if isinstance(storage, S3Storage):  # look at the requests as they leave the client

        def record(request: Any, event_name: str, **_: Any) -> None:
            headers = {
                k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()
            }
            sent.append((event_name.rsplit(".", 1)[-1], headers))

        storage.client.meta.events.register("before-send.s3", record)
    data = os.urandom(12 * MiB + 12345)
    path = tmp_path / "big.warc.gz"
    path.write_bytes(data)
    info = storage.put_file("big.warc.gz", path, sha256=sha(data))
    assert (info.size, info.sha256) == (len(data), sha(data))
    if isinstance(storage, S3Storage):
        assert info.etag is not None and info.etag.endswith("-3")  # really 3 parts
        ops = [op for op, _ in sent]
        assert ops.count("UploadPart") == 3 and "CompleteMultipartUpload" in ops
        for op, headers in sent:
            if op == "UploadPart":  # Content-MD5 on each part, no flexible checksum headers
                assert "Content-MD5" in headers
                assert not any(h.lower().startswith("x-amz-checksum") for h in headers)
            if op == "CreateMultipartUpload":
                assert headers["x-amz-meta-sha256"] == sha(data)
    assert storage.get_bytes("big.warc.gz") == data
    across = 5 * MiB - 100
    assert storage.get_range("big.warc.gz", across, 200) == data[across : across + 200]
    again = storage.put_bytes("mem.bin", data[: 11 * MiB])  # multipart from memory
    assert again.sha256 == sha(data[: 11 * MiB])
    stat = storage.stat("mem.bin")
    assert stat is not None and stat.size == 11 * MiB


def test_multipart_verification_failure_leaves_no_upload(
    make_s3: Callable[..., S3Storage], s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    storage = make_s3("p", **SMALL_PARTS)
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(11 * MiB))
    with pytest.raises(StorageVerifyError, match="sha256"):
        storage.put_file("big.bin", path, sha256="f" * 64)
    assert storage.stat("big.bin") is None
    assert s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


KEYS = ["b", "a/x", "a-b", "a/y/z", "a0", "é/1", "Z", "a/y0"]


def test_iter_sorted_with_prefixes(storage: Storage) -> None:
    for i, key in enumerate(KEYS):
        storage.put_bytes(key, b"x" * i)
    listed = list(storage.iter())
    assert [o.key for o in listed] == sorted(KEYS)
    assert [o.size for o in listed] == [KEYS.index(o.key) for o in listed]
    assert [o.key for o in storage.iter("a/")] == ["a/x", "a/y/z", "a/y0"]
    assert [o.key for o in storage.iter("a")] == ["a-b", "a/x", "a/y/z", "a/y0", "a0"]
    assert [o.key for o in storage.iter("a/y")] == ["a/y/z", "a/y0"]
    assert list(storage.iter("nothing/")) == []


def test_both_backends_produce_the_same_layout(
    make_s3: Callable[..., S3Storage], s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    local = LocalStorage(tmp_path / "data")
    s3 = make_s3("newsarc")
    src = tmp_path / "f.warc.gz"
    src.write_bytes(b"warc bytes")
    for st in (local, s3):
        st.put_file(object_key("ev", "warc", "f.warc.gz"), src)
        st.put_bytes(object_key("ev", "crawls", "c1", "manifest.json"), b"{}")
        st.put_bytes("top.txt", b"t")
    files = sorted(
        str(p.relative_to(tmp_path / "data")) for p in (tmp_path / "data").rglob("*") if p.is_file()
    )
    objects = [o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert objects == ["newsarc/" + f for f in files]
    assert files == ["ev/crawls/c1/manifest.json", "ev/warc/f.warc.gz", "top.txt"]
    assert [o.key for o in local.iter()] == [o.key for o in s3.iter()] == files


def test_open_storage_s3_from_environment(
    s3_server: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSARC_S3_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    storage = open_storage(f"s3://{s3_bucket}/env")
    storage.put_bytes("k", b"from env")
    assert storage.get_bytes("k") == b"from env"


# -- S3 specifics ----------------------------------------------------------------------------------
def test_s3_metadata_and_existing_bucket(
    make_s3: Callable[..., S3Storage], s3_client: Any, s3_bucket: str
) -> None:
    s3_client.create_bucket(Bucket=s3_bucket)  # already there: tolerated
    storage = make_s3("p")
    storage.put_bytes("doc.json", b"{}", content_type="application/json")
    head = s3_client.head_object(Bucket=s3_bucket, Key="p/doc.json")
    assert head["Metadata"] == {"sha256": sha(b"{}")}
    assert head["ContentType"] == "application/json"
    stat = storage.stat("doc.json")
    assert stat is not None and stat.sha256 == sha(b"{}") and stat.etag is not None


def test_s3_one_client_shared_by_threads(make_s3: Callable[..., S3Storage]) -> None:
    storage = make_s3("threads")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                data = f"{n}-{i}".encode() * 1000
                assert storage.put_bytes(f"t{n}/{i}", data).sha256 == sha(data)
                assert storage.get_range(f"t{n}/{i}", 0, 3) == data[:3]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(list(storage.iter())) == 40


def test_s3_over_https(s3_server: S3Server, make_s3: Callable[..., S3Storage]) -> None:
    endpoint = s3_server.https_endpoint or s3_server.endpoint
    storage = make_s3("tls", endpoint=endpoint, ca_bundle=s3_server.ca_bundle, **SMALL_PARTS)
    data = os.urandom(11 * MiB)
    assert storage.put_bytes("big", data).size == len(data)
    assert storage.put_bytes("small", b"s").size == 1
    assert storage.get_range("big", 5 * MiB - 1, 2) == data[5 * MiB - 1 : 5 * MiB + 1]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):  # botocore logs requests and headers at DEBUG
        yield caplog


def test_s3_credentials_never_leak(
    s3_server: S3Server, make_s3: Callable[..., S3Storage], debug_logs: pytest.LogCaptureFixture
) -> None:
    good = make_s3("p")
    good.put_bytes("k", b"x")
    assert good.get_bytes("k") == b"x"
    secret = "NEWSARC-KNOWN-SECRET-" + "9" * 20
    bad = S3Storage(
        good.bucket,
        "p",
        endpoint_url=s3_server.endpoint,
        options=S3Options(region_name="us-east-1", max_attempts=1),
        access_key_id=s3_server.access_key,
        secret_access_key=secret,
    )
    with pytest.raises(StorageError) as info:
        bad.put_bytes("k2", b"y")
    assert "403" in str(info.value)
    texts = [str(info.value), repr(info.value), "".join(traceback.format_exception(info.value))]
    texts += [repr(bad), repr(vars(bad)), repr(good), repr(vars(good))]
    for text in texts:
        assert secret not in text
        assert s3_server.secret_key not in text
        assert s3_server.access_key not in text
    assert debug_logs.records, "botocore debug logging was not captured"
    assert "Authorization" in debug_logs.text  # the requests really were logged, signed
    assert secret not in debug_logs.text
    assert s3_server.secret_key not in debug_logs.text
