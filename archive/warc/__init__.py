"""WARC files, no Scrapy: ``records`` (building records), ``writer`` (rotating files),
``reader`` (member by member), ``repair`` (``.open`` files of a killed crawl), ``chunked``
(transfer-coding), ``http`` (the HTTP message in a response block) and ``encodings``
(Content-Encoding).
"""
