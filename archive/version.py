"""newsarc's version: read from the installed package's metadata (``pyproject.toml`` is its one
source), so WARC warcinfo records, manifests and the User-Agent never disagree."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("newsarc")
except PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "0+unknown"
