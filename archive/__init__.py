"""Pure archive layer: WARC, CDXJ, storage, retrieval, extraction health and the event report.
Never imports Scrapy.

``from archive import open_archive`` is the Python API for reading an archive back
(:mod:`archive.access.api`); it is imported on first use so the crawl's hot paths stay light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["open_archive"]


def __getattr__(name: str) -> Any:
    if name in ("open_archive", "Archive"):
        from archive.access import api

        return getattr(api, name)
    raise AttributeError(f"module 'archive' has no attribute {name!r}")
