"""newsarc's own Scrapy signals (``crawler.signals.send_catch_log(signal=...)``)."""

from __future__ import annotations

# The crawl must stop now (a second Ctrl-C): abort the downloads in flight so that the engine's
# ordinary close runs at once (WARC sealed, articles and manifest written). Sent by
# crawler.runner.CrawlProcess; the capture download handler cancels what it is fetching.
force_stop = object()

# A fetch failed for good (after retries): ``url``, ``exc`` (the exception) and ``exc_info``.
# crawler.capture.failures.FailureLog counts an expected one (DNS, refused, TLS, HTTP error…)
# as one line and logs an unexpected one with its traceback.
fetch_failed = object()

# Request meta: the download was cancelled by a forced stop, so the request is neither done
# nor failed (a distributed crawl leaves its lease to expire, and another worker fetches it).
ABANDONED = "newsarc_abandoned"
