"""CDXJ indexes, no Scrapy: ``index`` (lines byte-identical to cdxj-indexer), ``indexing`` (per
WARC, crawl and event, written and merged), ``lookup`` (binary search by ranged reads) over
``sources`` (a local file or a storage object).
"""
