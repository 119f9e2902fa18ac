"""S3 storage (boto3) for AWS and S3-compatible servers (tested against Ceph RGW 16).

- One boto3 client per storage, created in the constructor and shared by threads (boto3 clients
  are thread-safe; sessions are not, so the session is used once and dropped).
- Client config for non-AWS endpoints, as measured in ``../shared/reference/real-services``:
  path-style addressing; checksums only ``when_required`` (Ceph 16 ignores flexible checksums and
  rejects boto3's default aws-chunked uploads over HTTPS); standard retries with an explicit
  attempt count; explicit connect/read timeouts.
- Integrity: every PUT and every part carries ``Content-MD5`` (the server rejects a corrupted
  body); the sha256 of the whole object is stored as user metadata ``x-amz-meta-sha256``; after
  the upload a HEAD must show the same size and sha256, else the object is deleted and
  ``StorageVerifyError`` raised. (Ceph 16 returns an empty ETag from CompleteMultipartUpload,
  so the ETag is never relied upon.)
- Failures become ``StorageError``; connection errors, timeouts and 5xx/429 after botocore's
  retries become ``StorageUnavailable``. Messages name the operation, bucket, key, error code and
  HTTP status, never credentials, and the botocore exception is not chained.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    IncompleteReadError,
    SSLError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from archive.errors import ObjectNotFound, StorageError, StorageUnavailable
from archive.storage import ObjectInfo, check_key, segment_problem, split_prefix
from archive.storage_s3_errors import client_error, code_of, status_of

logger = logging.getLogger(__name__)
MiB = 1 << 20
T = TypeVar("T")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# a body cut mid-stream, or a timeout while reading it: botocore does not retry these itself
STREAM_ERRORS = (HTTPClientError, IncompleteReadError, OSError)
_UNAVAILABLE = (HTTPClientError, BotoConnectionError, IncompleteReadError)


@dataclass(frozen=True)
class S3Options:
    """Tunables of the S3 backend (plain values; defaults suit a crawl on a real server)."""

    multipart_threshold: int = 64 * MiB  # objects up to this size: one PUT, larger: multipart
    part_size: int = 8 * MiB  # multipart part size (S3 minimum 5 MiB, except the last part)
    max_attempts: int = 5  # botocore retries={"mode": "standard", "max_attempts": n}: n retries
    # after the first try (so up to n + 1 sends), with jittered exponential back-off
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    read_retries: int = 3  # our own re-requests of a GET whose body was cut mid-stream
    digest_retries: int = 2  # our own re-sends of a PUT/part the server found corrupted
    max_pool_connections: int = 16  # threads sharing the one client
    region_name: str | None = None  # None: AWS_DEFAULT_REGION / config files, else us-east-1
    ca_bundle: str | None = None  # PEM file to trust for a private HTTPS endpoint

    def client_config(self) -> Config:
        return Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"mode": "standard", "max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_pool_connections=self.max_pool_connections,
        )


def strip_etag(etag: str | None) -> str | None:
    """ETags come quoted; Ceph 16 may send an empty one (returned as None)."""
    return (etag or "").strip('"') or None


class S3Storage:
    """Objects under ``s3://bucket/prefix``; the bucket is created on the first write if missing."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        options: S3Options | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        if not _BUCKET_RE.match(bucket) or ".." in bucket:
            raise StorageError(f"invalid S3 bucket name {bucket!r}")
        self.bucket = bucket
        self.prefix = check_key(prefix) + "/" if prefix else ""
        self.uri = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.options = options or S3Options()
        try:
            session = boto3.session.Session(
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                region_name=self.options.region_name,
            )
            self.client: Any = session.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=session.region_name or "us-east-1",
                config=self.options.client_config(),
                verify=self.options.ca_bundle,
            )
        except (BotoCoreError, ValueError) as exc:
            raise StorageError(f"cannot set up the S3 client for {self.uri}: {exc}") from None
        self._bucket_ready = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Storage({self.uri!r}, endpoint={self.client.meta.endpoint_url!r})"

    # -- errors ----------------------------------------------------------------------------
    @contextmanager
    def errors(self, op: str, key: str = "") -> Iterator[None]:
        """Turn botocore exceptions into StorageError subclasses (no credentials, no chaining)."""
        where = f"{self.uri}/{key}" if key else self.uri
        try:
            yield
        except ClientError as exc:
            raise client_error(op, where, exc) from None
        except SSLError:
            raise StorageError(f"S3 {op} {where}: TLS error talking to the endpoint") from None
        except _UNAVAILABLE as exc:
            name = type(exc).__name__
            raise StorageUnavailable(f"S3 {op} {where}: {name} (server unreachable)") from None
        except BotoCoreError as exc:
            raise StorageError(f"S3 {op} {where}: {type(exc).__name__}") from None

    def full_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def ensure_bucket(self) -> None:
        """Create the bucket once if it is missing (200 or BucketAlreadyOwnedByYou both fine)."""
        if self._bucket_ready:
            return
        with self._lock, self.errors("create bucket"):
            if self._bucket_ready:
                return
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if status_of(exc) != 404:
                    raise
                self._create_bucket()
            self._bucket_ready = True

    def _create_bucket(self) -> None:
        region = self.client.meta.region_name
        extra: dict[str, Any] = {}
        if region and region != "us-east-1":
            extra["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self.client.create_bucket(Bucket=self.bucket, **extra)
            logger.info("created bucket %s", self.bucket)
        except ClientError as exc:
            if code_of(exc) != "BucketAlreadyOwnedByYou":
                raise

    # -- writes (see storage_s3_put) ---------------------------------------------------------
    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        from archive.storage_s3_put import put_bytes

        return put_bytes(self, key, data, content_type)

    def put_file(
        self, key: str, path: Path, *, sha256: str | None = None, content_type: str | None = None
    ) -> ObjectInfo:
        from archive.storage_s3_put import put_file

        return put_file(self, key, Path(path), sha256, content_type)

    # -- reads -------------------------------------------------------------------------------
    def stat(self, key: str) -> ObjectInfo | None:
        full = self.full_key(key)
        with self.errors("HEAD", key):
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=full)
            except ClientError as exc:
                if status_of(exc) == 404:
                    return None
                raise
        sha = head.get("Metadata", {}).get("sha256")
        return ObjectInfo(key, int(head["ContentLength"]), sha, strip_etag(head.get("ETag")))

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        if offset < 0 or length < 1:
            raise StorageError(f"get_range {key!r}: bad range offset={offset} length={length}")
        return self._read(key, offset, offset + length - 1)

    def get_bytes(self, key: str) -> bytes:
        return self._read(key, 0, None)

    def _read(self, key: str, first: int, last: int | None) -> bytes:
        """GET bytes first..last (None: to the end); if the body is cut mid-stream, ask again for
        the rest (bounded), pinned to the first response's ETag so a changed object is noticed."""
        full = self.full_key(key)
        chunks: list[bytes] = []
        got = 0
        etag = None
        for attempt in range(self.options.read_retries + 1):
            args: dict[str, Any] = {"Bucket": self.bucket, "Key": full}
            if got or first or last is not None:
                args["Range"] = f"bytes={first + got}-{'' if last is None else last}"
            if etag:
                args["IfMatch"] = etag
            with self.errors("GET", key):
                resp = self.client.get_object(**args)
            etag = etag or resp.get("ETag")
            body = resp["Body"]
            try:
                for chunk in body.iter_chunks(MiB):
                    chunks.append(chunk)
                    got += len(chunk)
                return b"".join(chunks)
            except STREAM_ERRORS as exc:
                logger.warning(
                    "S3 GET %s/%s: body cut after %d bytes (%s); retry %d of %d",
                    self.uri, key, got, type(exc).__name__, attempt + 1, self.options.read_retries,
                )  # fmt: skip
            finally:
                body.close()
        raise StorageUnavailable(
            f"S3 GET {self.uri}/{key}: body cut mid-stream {self.options.read_retries + 1} times"
        )

    def iter(self, prefix: str = "") -> Iterator[ObjectInfo]:
        split_prefix(prefix)
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        try:
            yield from self._objects(pages, prefix)
        except ObjectNotFound:
            return  # no bucket yet: an empty storage, like a local root not yet created

    def children(self, prefix: str = "") -> list[str]:
        split_prefix(prefix)
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix, Delimiter="/"
        )
        names: list[str] = []
        try:
            with self.errors("LIST", prefix):
                for page in pages:
                    names += [
                        p["Prefix"][len(self.prefix + prefix) : -1]
                        for p in page.get("CommonPrefixes", [])
                    ]
        except ObjectNotFound:
            return []
        return sorted(n for n in names if not segment_problem(n))

    def _objects(self, pages: Any, prefix: str) -> Iterator[ObjectInfo]:
        with self.errors("LIST", prefix):
            for page in pages:
                for obj in page.get("Contents", []):
                    key = obj["Key"][len(self.prefix) :]
                    if any(segment_problem(s) for s in key.split("/")):
                        logger.debug("S3 LIST %s: skipping unusable key %r", self.uri, key)
                        continue
                    yield ObjectInfo(key, int(obj["Size"]), None, strip_etag(obj.get("ETag")))

    # -- internal helpers used by storage_s3_put -------------------------------------------
    def delete_quietly(self, key: str) -> None:
        try:
            with self.errors("DELETE", key):
                self.client.delete_object(Bucket=self.bucket, Key=self.full_key(key))
        except StorageError as exc:
            logger.warning("could not delete unverified object: %s", exc)

    def call(self, op: str, key: str, fn: Callable[[], T]) -> T:
        with self.errors(op, key):
            return fn()
