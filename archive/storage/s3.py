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

Verified uploads:

- Up to ``multipart_threshold`` bytes: one PutObject with ``Content-MD5``.
- Above: an explicit multipart upload, ``Content-MD5`` on each part, parts of ``part_size`` bytes
  (grown if the object would need more than 10 000 parts); any failure aborts the upload, so no
  incomplete upload is left behind (unless the server is unreachable even for the abort: logged).
- The sha256 goes into user metadata before the first byte is sent; the bytes actually sent are
  hashed again, so a file modified between hashing and upload is caught before completion.
- Afterwards a HEAD must show the sent size and sha256; if not, the object is deleted and
  ``StorageVerifyError`` raised.
- A PUT or part the server rejects as corrupted in transit (BadDigest and friends) is re-sent up
  to ``digest_retries`` times; botocore's own retries cover 5xx, throttling and connection errors.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

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

from archive.errors import (
    ObjectNotFound,
    PreconditionFailed,
    StorageError,
    StorageUnavailable,
    StorageVerifyError,
)
from archive.storage.keys import ObjectInfo, check_key, segment_problem, split_prefix

logger = logging.getLogger(__name__)
MiB = 1 << 20
MAX_PARTS = 10_000
CORRUPTED = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"})
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

    # -- writes: verified uploads (see the module docstring) ------------------------------------
    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        return self._put_bytes(key, data, content_type)

    def put_file(
        self, key: str, path: Path, *, sha256: str | None = None, content_type: str | None = None
    ) -> ObjectInfo:
        return self._put_file(key, Path(path), sha256, content_type)

    # -- conditional writes (leases) -----------------------------------------------------------
    def put_conditional(
        self, key: str, data: bytes, *, if_none_match: bool = False, if_match: str | None = None
    ) -> str:
        """PUT ``data`` only if ``key`` does not exist (``if_none_match``) or still has the ETag
        ``if_match``; returns the new ETag. :class:`PreconditionFailed` when the condition fails
        (S3 412: another writer got there first)."""
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self.full_key(key), "Body": data}
        if if_none_match:
            args["IfNoneMatch"] = "*"
        if if_match is not None:
            # unquoted: Ceph RGW 16 compares the raw value and refuses a quoted ETag (412)
            args["IfMatch"] = if_match.strip('"')
        self.ensure_bucket()
        with self.errors("PUT", key):
            return str(self.client.put_object(**args).get("ETag") or "")

    def get_with_etag(self, key: str) -> tuple[bytes, str] | None:
        """The object's bytes and ETag, or None if it does not exist."""
        try:
            with self.errors("GET", key):
                got = self.client.get_object(Bucket=self.bucket, Key=self.full_key(key))
                return got["Body"].read(), str(got.get("ETag") or "")
        except ObjectNotFound:
            return None

    def delete(self, key: str) -> None:
        with self.errors("DELETE", key):
            self.client.delete_object(Bucket=self.bucket, Key=self.full_key(key))

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

    # -- internal helpers ----------------------------------------------------------------------
    def delete_quietly(self, key: str) -> None:
        try:
            with self.errors("DELETE", key):
                self.client.delete_object(Bucket=self.bucket, Key=self.full_key(key))
        except StorageError as exc:
            logger.warning("could not delete unverified object: %s", exc)

    def call(self, op: str, key: str, fn: Callable[[], T]) -> T:
        with self.errors(op, key):
            return fn()

    # -- uploads -----------------------------------------------------------------------------
    def _put_bytes(self, key: str, data: bytes, content_type: str | None) -> ObjectInfo:
        self.full_key(key)
        digest = hashlib.sha256(data).hexdigest()
        self.ensure_bucket()
        if len(data) <= self.options.multipart_threshold:
            self._put_single(key, data, digest, content_type)
        else:
            self._put_multipart(key, io.BytesIO(data), len(data), digest, content_type)
        return self.verify(key, len(data), digest)

    def _put_file(
        self, key: str, path: Path, sha256: str | None, content_type: str | None
    ) -> ObjectInfo:
        self.full_key(key)
        expected = sha256.lower() if sha256 else None
        try:
            fh = path.open("rb")
        except OSError as exc:
            raise StorageError(f"put_file {key!r}: cannot read {path}: {exc.strerror}") from None
        with fh:
            size = _fsize(fh)
            self.ensure_bucket()
            if size <= self.options.multipart_threshold:
                data = fh.read()
                size = len(data)
                digest = hashlib.sha256(data).hexdigest()
                _check_source(key, path, fh, len(data), digest, expected)
                self._put_single(key, data, digest, content_type)
            else:
                digest = expected or _hash_stream(fh)
                fh.seek(0)
                self._put_multipart(key, fh, size, digest, content_type, path=path)
        return self.verify(key, size, digest)

    def verify(self, key: str, size: int, digest: str) -> ObjectInfo:
        """HEAD the object: its size and sha256 metadata must be what we sent."""
        info = self.stat(key)
        problem = None
        if info is None:
            problem = "missing after upload"
        elif info.size != size:
            problem = f"stored size {info.size} != sent size {size}"
        elif info.sha256 != digest:
            problem = f"stored sha256 {info.sha256} != sent {digest}"
        if problem is None and info is not None:
            return info
        if info is not None:
            self.delete_quietly(key)
        raise StorageVerifyError(f"S3 PUT {self.uri}/{key}: {problem}")

    def _put_single(self, key: str, data: bytes, digest: str, ctype: str | None) -> None:
        args = self._object_args(key, digest, ctype)
        args.update(Body=data, ContentMD5=_md5(data))
        self._resend_corrupted("PUT", key, lambda: self.client.put_object(**args))

    def _put_multipart(
        self,
        key: str,
        fh: BinaryIO,
        size: int,
        digest: str,
        ctype: str | None,
        *,
        path: Path | None = None,
    ) -> None:
        part_size = part_size_for(size, self.options.part_size)
        args = self._object_args(key, digest, ctype)
        created = self.call(
            "CreateMultipartUpload", key, lambda: self.client.create_multipart_upload(**args)
        )
        upload = {"Bucket": self.bucket, "Key": args["Key"], "UploadId": created["UploadId"]}
        try:
            parts: list[dict[str, Any]] = []
            sent = hashlib.sha256()
            total = 0
            while chunk := fh.read(part_size):
                sent.update(chunk)
                total += len(chunk)
                number = len(parts) + 1
                etag = self._upload_part(key, upload, number, chunk)
                parts.append({"ETag": etag, "PartNumber": number})
            source = path.name if path else "data"
            _check_sent(key, source, size, digest, total, sent.hexdigest())
            self._complete(key, upload, parts)
        except BaseException:
            self._abort(key, upload)
            raise

    def _upload_part(self, key: str, upload: dict[str, str], number: int, chunk: bytes) -> str:
        md5 = _md5(chunk)

        def send() -> Any:
            return self.client.upload_part(**upload, PartNumber=number, Body=chunk, ContentMD5=md5)

        return str(self._resend_corrupted(f"UploadPart #{number}", key, send)["ETag"])

    def _complete(self, key: str, upload: dict[str, str], parts: list[dict[str, Any]]) -> None:
        def complete() -> Any:
            try:
                return self.client.complete_multipart_upload(
                    **upload, MultipartUpload={"Parts": parts}
                )
            except ClientError as exc:
                # a retried Complete whose first attempt succeeded (response lost): HEAD decides
                if code_of(exc) in ("NoSuchUpload", "NoSuchKey"):
                    logger.warning("S3 complete %s/%s: %s; verifying", self.uri, key, code_of(exc))
                    return {}
                raise

        self.call("CompleteMultipartUpload", key, complete)

    def _abort(self, key: str, upload: dict[str, str]) -> None:
        try:
            self.client.abort_multipart_upload(**upload)
        except ClientError as exc:
            if code_of(exc) not in ("NoSuchUpload", "NoSuchKey"):
                logger.warning("S3 abort %s/%s failed: %s", self.uri, key, code_of(exc))
        except Exception as exc:
            logger.warning("S3 abort %s/%s failed: %s", self.uri, key, type(exc).__name__)

    def _resend_corrupted(self, op: str, key: str, send: Callable[[], Any]) -> Any:
        """Call ``send``; if the server says the body arrived corrupted, send it again (bounded)."""
        retries = self.options.digest_retries
        with self.errors(op, key):
            for attempt in range(retries + 1):
                try:
                    return send()
                except ClientError as exc:
                    if code_of(exc) not in CORRUPTED or attempt == retries:
                        raise
                    logger.warning(
                        "S3 %s %s/%s: %s, sending again (%d of %d)",
                        op, self.uri, key, code_of(exc), attempt + 1, retries,
                    )  # fmt: skip
        raise AssertionError("unreachable")

    def _object_args(self, key: str, digest: str, ctype: str | None) -> dict[str, Any]:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self.full_key(key)}
        args["Metadata"] = {"sha256": digest}
        if ctype:
            args["ContentType"] = ctype
        return args


# -- module helpers -------------------------------------------------------------------------


def status_of(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def code_of(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code") or "")


def client_error(op: str, where: str, exc: ClientError) -> StorageError:
    status, code = status_of(exc), code_of(exc)
    message = f"S3 {op} {where}: {code or 'error'} (HTTP {status})"
    if status >= 500 or status == 429:
        return StorageUnavailable(message + " after retries")
    if status == 404:  # NoSuchKey, or NoSuchBucket: a bucket not yet created holds nothing
        return ObjectNotFound(message)
    if status == 412:  # a conditional write (If-None-Match / If-Match) that lost
        return PreconditionFailed(message)
    return StorageError(message)


def part_size_for(size: int, configured: int) -> int:
    """``configured``, or a larger whole number of MiB if the object would need > 10 000 parts."""
    needed = -(-size // MAX_PARTS)  # ceil(size / 10 000)
    return configured if needed <= configured else -(-needed // MiB) * MiB


def _check_source(
    key: str, path: Path, fh: BinaryIO, size: int, digest: str, expected: str | None
) -> None:
    _check_sent(key, path.name, _fsize(fh), expected or digest, size, digest)


def _check_sent(key: str, source: str, size: int, digest: str, sent: int, sent_digest: str) -> None:
    """What we read and sent must be the caller's file: same size as now, same sha256."""
    if sent_digest != digest:
        raise StorageVerifyError(f"{key!r}: sha256 of {source} is {sent_digest}, expected {digest}")
    if sent != size:
        raise StorageVerifyError(
            f"{key!r}: {source} changed size while uploaded ({size} -> {sent})"
        )


def _fsize(fh: BinaryIO) -> int:
    return os.fstat(fh.fileno()).st_size


def _hash_stream(fh: BinaryIO) -> str:
    h = hashlib.sha256()
    while chunk := fh.read(MiB):
        h.update(chunk)
    return h.hexdigest()


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")
