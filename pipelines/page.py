"""What the spider yields for every fetched page: the input of the article pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrapy.http import Response

from archive.warc.records import RecordLocation


@dataclass
class Page:
    """A fetched page and where its response record lives in the WARC."""

    url: str
    status: int
    content_type: str
    body: bytes = field(repr=False)
    headers: dict[str, list[str]] = field(repr=False)
    record: RecordLocation | None
    source: str
    depth: int
    discovered_date: str | None = None
    fetched_at: str | None = None  # WARC-Date of the response record
    # Set when the spider had the page analysed (to read its links from the workers' parse):
    # the extraction pipeline then uses this instead of a second trip to the pool.
    analysed: bool = field(default=False, repr=False)
    analysis: Any = field(default=None, repr=False)  # pipelines.analysis.worker.Analysis | None
    analysis_error: BaseException | None = field(default=None, repr=False)
    gated: bool = field(default=False, repr=False)  # lacks a required term: not extracted

    @classmethod
    def from_response(cls, response: Response) -> Page:
        meta: dict[str, Any] = response.meta
        headers = {
            k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in response.headers.items()
        }
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        return cls(
            url=response.url,
            status=response.status,
            content_type=ctype,
            body=response.body,
            headers=headers,
            record=meta.get("newsarc_record"),
            source=meta.get("newsarc_source", "unknown"),
            depth=int(meta.get("newsarc_hops", 0)),
            discovered_date=meta.get("newsarc_date"),
            fetched_at=meta.get("newsarc_fetched_at"),
        )
