"""Deduplication, pure (no Scrapy): exact, near (MinHash-LSH), rewrite, same-story clusters.

``signatures`` (CPU-heavy, run in the extraction workers) from ``text``; ``index`` (``DedupIndex``,
the streaming decision) with ``rules`` (pairwise layers), ``lsh`` (banded keys), ``story``
(clusters, and their links across languages), ``store`` (SQLite persistence) and ``canonical``
(URL keys). Words of every script come from ``pipelines.words``; an article's language keeps it
from being a duplicate of, or in a story with, an article of another language.
"""
