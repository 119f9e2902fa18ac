"""A distributed crawl's shared state in Redis, without Scrapy: the connection and key layout
(:mod:`.connection`), the leased frontier (:mod:`.frontier`), the crawl/worker registry
(:mod:`.registry`) and the workers' extraction-health observations (:mod:`.health`). The crawl
state on Redis is :mod:`archive.state.redis`; the shared dedup log is
:mod:`pipelines.dedup.shared`; the Scrapy side (scheduler, politeness gate, worker extension) is
:mod:`crawler.cluster`.

Every key of an event's crawl starts with ``newsarc:<slug>:<crawl-id>:``, so crawls never mix
and a finished crawl's keys can be dropped as one prefix.
"""
