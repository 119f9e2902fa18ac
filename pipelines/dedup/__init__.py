"""Deduplication, pure (no Scrapy): exact, near (MinHash-LSH), rewrite, same-story clusters.

``signatures`` (CPU-heavy, run in the extraction workers) from ``text``; ``index`` (``DedupIndex``,
the streaming decision) with ``rules`` (pairwise layers), ``lsh`` (banded keys), ``story``
(clusters), ``store`` (SQLite persistence) and ``canonical`` (URL keys).
"""
