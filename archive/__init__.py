"""Pure archive layer: WARC, CDXJ, storage, retrieval. Never imports Scrapy."""
