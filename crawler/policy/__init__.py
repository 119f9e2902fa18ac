"""Crawl policy decisions, pure (no Scrapy): ``politeness`` (host keys, Crawl-delay,
Retry-After, back-off) and ``traps`` (spider-trap heuristics). The middlewares in
``crawler/middlewares/`` adapt them.
"""
