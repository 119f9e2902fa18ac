"""Keys no storage may accept, and the part sizes that make S3 multipart uploads small."""

from __future__ import annotations

import hashlib

MiB = 1 << 20


HOSTILE = [
    "",
    ".",
    "..",
    "../x",
    "a/../../etc/passwd",
    "a/./b",
    "/etc/passwd",
    "//x",
    "a//b",
    "a/",
    "a\\b",
    "..\\..\\x",
    "C:\\x",
    "a\x00b",
    "a\nb",
    "a\rb",
    "a\x7fb",
    "a\x85b",
    "~",
    "~root/.ssh/id_rsa",
    "a/~/b",
    "a\u202eb",  # right-to-left override
    "a\u200bb",  # zero-width space
    "a\u2028b",  # line separator
    "x" * 256,
    "a/" * 600 + "a",
    ".newsarc-tmp-0123",
]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
