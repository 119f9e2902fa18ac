"""A page's extraction signals, from what the worker returned (no second parse). Pure."""

from __future__ import annotations

from typing import Any

from archive.health.signals import PageObservation


def observe(url: str, html_bytes: int, fetched_at: str | None, analysis: Any) -> PageObservation:
    """The observation of one page sent to extraction; ``analysis`` is the worker's
    :class:`~pipelines.analysis.worker.Analysis`, or None when the page held no article."""
    if analysis is None:
        return PageObservation(url, html_bytes, fetched_at)
    article, relevance = analysis.article, analysis.relevance
    on_event = relevance.on_event if relevance is not None else None
    return PageObservation(
        url,
        html_bytes,
        fetched_at,
        article=True,
        text_chars=len(article.text),
        title=bool(article.title),
        date=article.date,
        author=bool(article.authors),
        on_event=on_event,
        language=bool(article.language) and on_event is not False,
        text_sha256=article.text_sha256,
        extractor=article.extractor,
    )
