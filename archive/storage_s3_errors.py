"""How S3 client errors become newsarc's storage errors (no credentials, no chaining)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from archive.errors import ObjectNotFound, StorageError, StorageUnavailable

__all__ = ["client_error", "code_of", "status_of"]


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
    return StorageError(message)
