"""newsarc's downloader middlewares, one module each (pure cores in ``crawler/policy/``).

Order in ``DOWNLOADER_MIDDLEWARES`` (requests go low → high, responses high → low)::

    45   HostSlotMiddleware              download slot = host:port (also a spider middleware)
    60   TrapMiddleware                  refuse trap URLs before they cost a robots.txt fetch
    100  CrawlDelayRobotsTxtMiddleware   replaces Scrapy's RobotsTxtMiddleware (set that to None)
    560  RetryAfterMiddleware            429/503: pause the host's slot, re-schedule the request
    580  MetaRefreshMiddleware           Scrapy's, without decoding pages that cannot refresh
    590  ContentDecodingMiddleware       crawler/middlewares/contentcoding.py; Scrapy's
    HttpCompression off

How a host is slowed without blocking the reactor: Scrapy's downloader dispatches a slot's next
request only once ``monotonic() >= slot.lastseen + slot.download_delay()``, arming a timer
otherwise. Crawl-delay raises that slot's ``delay`` (and lowers its ``jitter`` so the random
0.5-1.5x factor never undercuts the robots value). A Retry-After pause sets the slot's
``lastseen`` to the end of the pause, so the slot sends nothing before it (plus its usual delay),
while every other slot runs on; a slot without delay gets a 1 ms delay for the pause, reset to 0
by the first response after the pause. The pause is applied from the ``response_downloaded``
signal, which Scrapy sends before the slot picks its next request, so no queued request of the
host slips out in between.
"""
