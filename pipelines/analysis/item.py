"""The analysed article on its way through the item pipelines, and the stored record it becomes.

Pure (no Scrapy): the crawl's pipelines (``pipelines/extraction.py``, ``pipelines/stages.py``) and
the offline re-extraction (``pipelines/analysis/offline.py``) make the same items and records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archive.articles.record import ArticleRecord, Dup, WarcRef
from archive.articles.record import Relevance as StoredRelevance
from pipelines.dedup.revision import Change
from pipelines.extract.article import Article, Hints
from pipelines.relevance.scorer import Relevance

HINT_SOURCES = {"feed": "feed", "sitemap": "news-sitemap", "gdelt": "gdelt"}


@dataclass
class ArticleItem:
    """A page on its way through the article pipelines."""

    id: str
    url: str
    fetched_at: str | None
    warc: dict[str, Any]
    article: Article
    signatures: Any
    relevance: Relevance | None = None
    verdict: Any = None
    revision: int = 1  # a later revision of an article already stored for this URL: 2, 3, …
    previous_id: str | None = None
    change: Change | None = None

    def record(self, crawl_id: str, event: str) -> ArticleRecord:
        """The stored record (one line of ``articles/<crawl-id>.jsonl``)."""
        a, v, r = self.article, self.verdict, self.relevance
        return ArticleRecord(
            id=self.id,
            url=self.url,
            canonical_url=a.canonical_url,
            title=a.title,
            author="; ".join(a.authors) or None,
            authors=tuple(a.authors),
            date=a.date,
            date_source=a.date_source,
            sitename=a.sitename,
            language=a.language,
            tags=tuple(a.tags),
            text=a.text,
            word_count=a.word_count,
            text_sha256=a.text_sha256,
            truncated=a.truncated,
            fetched_at=self.fetched_at,
            crawl_id=crawl_id,
            event=event,
            relevance=StoredRelevance(score=round(r.score, 3), on_event=r.on_event, reason=r.reason)
            if r
            else None,
            dup=Dup(kind=v.kind, of=v.of, score=round(v.score, 3)) if v else None,
            story=v.story if v else None,
            cross_story=(getattr(v, "cross_story", None) or v.story) if v else None,
            revision=self.revision,
            previous_id=self.previous_id,
            words_added=self.change.words_added if self.change else None,
            words_removed=self.change.words_removed if self.change else None,
            warc=WarcRef(**self.warc),
            extractor=a.extractor,
        )


def hints_for(source: str, discovered_date: str | None) -> Hints | None:
    if not discovered_date:
        return None
    kind = HINT_SOURCES.get(source.split(":", 1)[0])
    return Hints(date=discovered_date, date_source=kind) if kind else None
