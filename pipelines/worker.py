"""The function extraction workers run: extraction and the dedup signatures, in one process hop.

Runs in a process pool (never on the reactor). Everything in and out is picklable.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipelines.article import Article, Hints


def analyse(
    url: str, headers: Mapping[str, str], body: bytes, hints: Hints | None = None
) -> tuple[Article, object] | None:
    """Extract the article and compute its dedup signatures; None when the page has no article."""
    from pipelines.extract import extract
    from pipelines.signatures import signatures

    article = extract(url, headers, body, hints=hints)
    if article is None:
        return None
    return article, signatures(article.text, article.title)


def warm() -> bool:
    """Import the heavy modules once per worker, before the first page arrives."""
    import pipelines.signatures  # noqa: F401
    from pipelines.extract import warm_up

    warm_up()  # the language model, once per worker
    return True
