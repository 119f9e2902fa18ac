"""Verified uploads for :class:`archive.storage_s3.S3Storage`.

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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from botocore.exceptions import ClientError

from archive.errors import StorageError, StorageVerifyError
from archive.storage import ObjectInfo
from archive.storage_s3 import MiB
from archive.storage_s3_errors import code_of

if TYPE_CHECKING:
    from pathlib import Path

    from archive.storage_s3 import S3Storage

logger = logging.getLogger(__name__)
MAX_PARTS = 10_000
CORRUPTED = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"})


def put_bytes(s3: S3Storage, key: str, data: bytes, content_type: str | None) -> ObjectInfo:
    s3.full_key(key)
    digest = hashlib.sha256(data).hexdigest()
    s3.ensure_bucket()
    if len(data) <= s3.options.multipart_threshold:
        _put_single(s3, key, data, digest, content_type)
    else:
        _put_multipart(s3, key, io.BytesIO(data), len(data), digest, content_type)
    return verify(s3, key, len(data), digest)


def put_file(
    s3: S3Storage, key: str, path: Path, sha256: str | None, content_type: str | None
) -> ObjectInfo:
    s3.full_key(key)
    expected = sha256.lower() if sha256 else None
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise StorageError(f"put_file {key!r}: cannot read {path}: {exc.strerror}") from None
    with fh:
        size = _fsize(fh)
        s3.ensure_bucket()
        if size <= s3.options.multipart_threshold:
            data = fh.read()
            size = len(data)
            digest = hashlib.sha256(data).hexdigest()
            _check_source(key, path, fh, len(data), digest, expected)
            _put_single(s3, key, data, digest, content_type)
        else:
            digest = expected or _hash_stream(fh)
            fh.seek(0)
            _put_multipart(s3, key, fh, size, digest, content_type, path=path)
    return verify(s3, key, size, digest)


def verify(s3: S3Storage, key: str, size: int, digest: str) -> ObjectInfo:
    """HEAD the object: its size and sha256 metadata must be what we sent."""
    info = s3.stat(key)
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
        s3.delete_quietly(key)
    raise StorageVerifyError(f"S3 PUT {s3.uri}/{key}: {problem}")


def _put_single(s3: S3Storage, key: str, data: bytes, digest: str, ctype: str | None) -> None:
    args = _object_args(s3, key, digest, ctype)
    args.update(Body=data, ContentMD5=_md5(data))
    _resend_corrupted(s3, "PUT", key, lambda: s3.client.put_object(**args))


def _put_multipart(
    s3: S3Storage,
    key: str,
    fh: BinaryIO,
    size: int,
    digest: str,
    ctype: str | None,
    *,
    path: Path | None = None,
) -> None:
    part_size = part_size_for(size, s3.options.part_size)
    args = _object_args(s3, key, digest, ctype)
    created = s3.call(
        "CreateMultipartUpload", key, lambda: s3.client.create_multipart_upload(**args)
    )
    upload = {"Bucket": s3.bucket, "Key": args["Key"], "UploadId": created["UploadId"]}
    try:
        parts: list[dict[str, Any]] = []
        sent = hashlib.sha256()
        total = 0
        while chunk := fh.read(part_size):
            sent.update(chunk)
            total += len(chunk)
            number = len(parts) + 1
            etag = _upload_part(s3, key, upload, number, chunk)
            parts.append({"ETag": etag, "PartNumber": number})
        source = path.name if path else "data"
        _check_sent(key, source, size, digest, total, sent.hexdigest())
        _complete(s3, key, upload, parts)
    except BaseException:
        _abort(s3, key, upload)
        raise


def part_size_for(size: int, configured: int) -> int:
    """``configured``, or a larger whole number of MiB if the object would need > 10 000 parts."""
    needed = -(-size // MAX_PARTS)  # ceil(size / 10 000)
    return configured if needed <= configured else -(-needed // MiB) * MiB


def _upload_part(s3: S3Storage, key: str, upload: dict[str, str], number: int, chunk: bytes) -> str:
    md5 = _md5(chunk)

    def send() -> Any:
        return s3.client.upload_part(**upload, PartNumber=number, Body=chunk, ContentMD5=md5)

    return str(_resend_corrupted(s3, f"UploadPart #{number}", key, send)["ETag"])


def _complete(s3: S3Storage, key: str, upload: dict[str, str], parts: list[dict[str, Any]]) -> None:
    def complete() -> Any:
        try:
            return s3.client.complete_multipart_upload(**upload, MultipartUpload={"Parts": parts})
        except ClientError as exc:
            # a retried Complete whose first attempt succeeded (response lost): the HEAD decides
            if code_of(exc) in ("NoSuchUpload", "NoSuchKey"):
                logger.warning("S3 complete %s/%s: %s; verifying", s3.uri, key, code_of(exc))
                return {}
            raise

    s3.call("CompleteMultipartUpload", key, complete)


def _abort(s3: S3Storage, key: str, upload: dict[str, str]) -> None:
    try:
        s3.client.abort_multipart_upload(**upload)
    except ClientError as exc:
        if code_of(exc) not in ("NoSuchUpload", "NoSuchKey"):
            logger.warning("S3 abort %s/%s failed: %s", s3.uri, key, code_of(exc))
    except Exception as exc:
        logger.warning("S3 abort %s/%s failed: %s", s3.uri, key, type(exc).__name__)


def _resend_corrupted(s3: S3Storage, op: str, key: str, send: Callable[[], Any]) -> Any:
    """Call ``send``; if the server says the body arrived corrupted, send it again (bounded)."""
    retries = s3.options.digest_retries
    with s3.errors(op, key):
        for attempt in range(retries + 1):
            try:
                return send()
            except ClientError as exc:
                if code_of(exc) not in CORRUPTED or attempt == retries:
                    raise
                logger.warning(
                    "S3 %s %s/%s: %s, sending again (%d of %d)",
                    op, s3.uri, key, code_of(exc), attempt + 1, retries,
                )  # fmt: skip
    raise AssertionError("unreachable")


def _object_args(s3: S3Storage, key: str, digest: str, ctype: str | None) -> dict[str, Any]:
    args: dict[str, Any] = {"Bucket": s3.bucket, "Key": s3.full_key(key)}
    args["Metadata"] = {"sha256": digest}
    if ctype:
        args["ContentType"] = ctype
    return args


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
