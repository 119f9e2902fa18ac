"""The byte-exact download handler and what it needs: ``handler`` (Scrapy's download handler),
``exchange`` (one HTTP/1.1 exchange over h11), ``wire`` (the request bytes), ``connpool``
(keep-alive), ``addresses`` (resolution and the address guard), ``proxy`` (forward proxies and
CONNECT tunnels).
"""
