"""The article set: ``store`` (writing ``articles/<crawl-id>.jsonl`` and texts), ``sets`` (reading
them), ``search`` (+ ``query``, ``rows``: the SQLite FTS5 index) and ``export`` (JSONL, CSV,
Parquet).
"""
