"""archive.storage.keys: the same tests for the local backend and for S3 on a real Ceph RGW."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.errors import StorageError, StorageVerifyError
from archive.storage import open_storage
from archive.storage.keys import object_key
from archive.storage.local import LocalStorage
from archive.storage.s3 import S3Storage, part_size_for
from tests.support.storages import HOSTILE, MiB, sha


# -- object_key ------------------------------------------------------------------------------
def test_object_key_joins_parts() -> None:
    assert object_key("slug", "warc/2025", "x.warc.gz") == "slug/warc/2025/x.warc.gz"
    assert object_key("événement", "naïve file.txt") == "événement/naïve file.txt"
    assert object_key(".hidden", "a..b", "x-y_z.1") == ".hidden/a..b/x-y_z.1"


@pytest.mark.parametrize("bad", HOSTILE)
def test_object_key_rejects_hostile_input(bad: str) -> None:
    with pytest.raises(StorageError):
        object_key(bad)
    with pytest.raises(StorageError):
        object_key("ok", bad)


def test_object_key_rejects_no_parts_and_non_strings() -> None:
    with pytest.raises(StorageError):
        object_key()
    with pytest.raises(StorageError):
        object_key(b"bytes")  # type: ignore[arg-type]


def test_part_size_grows_to_stay_within_10000_parts() -> None:
    assert part_size_for(80 * MiB, 8 * MiB) == 8 * MiB
    assert part_size_for(10_000 * 8 * MiB, 8 * MiB) == 8 * MiB
    for size in (10_000 * 8 * MiB + 1, 5 * 10**12):  # just over; S3's 5 TB object limit
        part = part_size_for(size, 8 * MiB)
        assert part % MiB == 0 and part > 8 * MiB
        assert -(-size // part) <= 10_000


# -- local specifics -----------------------------------------------------------------------------
def test_local_put_file_in_place_only_verifies(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    path = tmp_path / "ev" / "w.warc.gz"
    path.parent.mkdir()
    path.write_bytes(b"in place")
    before = path.stat()
    assert storage.put_file("ev/w.warc.gz", path, sha256=sha(b"in place")).size == 8
    assert path.stat().st_ino == before.st_ino  # not rewritten
    with pytest.raises(StorageVerifyError):
        storage.put_file("ev/w.warc.gz", path, sha256=sha(b"other"))
    assert path.read_bytes() == b"in place"  # a failed verification never destroys the file


def test_local_symlinks_cannot_lead_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"s")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(outside)
    storage = LocalStorage(root)
    with pytest.raises(StorageError, match="outside"):
        storage.put_bytes("link/new", b"x")
    with pytest.raises(StorageError, match="outside"):
        storage.get_bytes("link/secret")
    with pytest.raises(StorageError, match="outside"):
        list(storage.iter("link/"))
    assert list(storage.iter()) == []
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


def test_local_writes_are_atomic_and_leave_no_temp_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put_bytes("a/b", b"1")
    with pytest.raises(StorageError):
        storage.put_bytes("a/b/c", b"2")  # "a/b" is a file, it cannot be a directory too
    with pytest.raises(StorageError):
        storage.put_bytes("a", b"3")  # "a" is a directory
    (tmp_path / "a" / ".newsarc-tmp-deadbeef").write_bytes(b"half written")
    assert [o.key for o in storage.iter()] == ["a/b"]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [".newsarc-tmp-deadbeef", "b"]


# -- open_storage ----------------------------------------------------------------------------------
def test_open_storage_maps_schemes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rel = open_storage("./newsarc-data")
    assert isinstance(rel, LocalStorage) and rel.root == tmp_path / "newsarc-data"
    assert isinstance(open_storage(str(tmp_path / "x")), LocalStorage)
    via_uri = open_storage((tmp_path / "y z").as_uri())
    assert isinstance(via_uri, LocalStorage) and via_uri.root == tmp_path / "y z"
    s3 = open_storage("s3://my-bucket/some/prefix/", endpoint_url="http://127.0.0.1:9")
    assert isinstance(s3, S3Storage) and s3.uri == "s3://my-bucket/some/prefix"
    assert (s3.bucket, s3.prefix) == ("my-bucket", "some/prefix/")
    for bad in (
        "gs://bucket/x",
        "http://127.0.0.1/x",
        "file://otherhost/x",
        "s3://Bad_Bucket/x",
        "s3://bucket/../x",
        "s3://bucket/a//b",
        "s3://key:secret@bucket/x",
    ):
        with pytest.raises(StorageError):
            open_storage(bad)
    with pytest.raises(StorageError, match="Invalid endpoint"):
        open_storage("s3://bucket/x", endpoint_url="not a url")
