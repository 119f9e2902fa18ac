"""Distributed crawls: several ``newsarc`` processes, on one machine or many, crawl one event
through Redis. The Scrapy side lives here: :mod:`.worker` (the worker extension: heartbeat,
acknowledgements, outages), :mod:`.scheduler` (the leased frontier as Scrapy's scheduler),
:mod:`.gate` (per-host politeness for the whole cluster) and :mod:`.join` (starting or joining
a crawl). Redis structures without Scrapy are in :mod:`archive.cluster`; uploads and the
crawl's end in :mod:`pipelines.cluster`.
"""
