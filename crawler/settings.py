"""newsarc's Scrapy settings: component order and every ``NEWSARC_*`` default, in one place.

The event file (``[limits]``, ``[politeness]``) overrides the crawl-shaping values below at
spider priority; the ``newsarc`` CLI sets the output and address options.
"""

from __future__ import annotations

from crawler import __version__

BOT_NAME = "newsarc"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

# --- Fetching ----------------------------------------------------------------------------------
# Our handler writes the bytes on the wire to WARC; Scrapy's would hand us a normalised Response.
DOWNLOAD_HANDLERS = {
    "http": "crawler.capture.handler.CaptureDownloadHandler",
    "https": "crawler.capture.handler.CaptureDownloadHandler",
}
USER_AGENT = f"newsarc/{__version__} (+https://github.com/newsarc/newsarc)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # event [limits] per_host_concurrency
# Items (and requests) of one response handled in parallel. Scrapy starts this many tasks for
# every response (default 100); a page yields one Page and a few new links, so 100 tasks per
# page were ~5 % of the crawl's CPU for nothing (benchmarks/README.md).
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 0.5  # event [limits] download_delay
DOWNLOAD_TIMEOUT = 30  # event [limits] download_timeout
DOWNLOAD_MAXSIZE = 10_000_000  # event [limits] max_page_bytes
DOWNLOAD_WARNSIZE = 0
REDIRECT_MAX_TIMES = 5  # event [limits] max_redirects
RETRY_TIMES = 2
RETRY_GIVE_UP_LOG_LEVEL = "INFO"  # a dead page is counted in stats, not shouted about
COOKIES_ENABLED = True

DOWNLOADER_MIDDLEWARES: dict[str, int | None] = {  # crawler/middlewares/, one module each
    "crawler.middlewares.hostslot.HostSlotMiddleware": 45,  # download slot = host:port
    "crawler.middlewares.traps.TrapMiddleware": 60,  # trap URLs refused before a robots fetch
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.CrawlDelayRobotsTxtMiddleware": 100,  # + Crawl-delay; 4xx: allow
    "crawler.middlewares.retryafter.RetryAfterMiddleware": 560,  # 429/503, before Retry (550)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.metarefresh.MetaRefreshMiddleware": 580,  # no full decode per page
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.contentcoding.ContentDecodingMiddleware": 590,  # br/zstd/gzip/deflate
    "crawler.middlewares.incremental.IncrementalMiddleware": 595,  # due? conditional; revisits
    # Scope is the spider's job (links stay inside allowed_domains); feed/sitemap/search entries
    # and redirects may leave it, and still pass robots.txt, the address guard and trap checks.
    # Scrapy's OffsiteMiddleware would also drop robots.txt requests of such hosts unseen.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.middlewares.cookies.OfflineCookiesMiddleware": 700,  # same slot, no PSL download
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
    "crawler.middlewares.proxy.ProxyMiddleware": 750,  # NEWSARC_PROXY, else http(s)_proxy
}
SPIDER_MIDDLEWARES: dict[str, int | None] = {
    "crawler.middlewares.hostslot.HostSlotMiddleware": 900,  # stamp slots when requests are yielded
}
SCHEDULER = "crawler.scheduler.LayeredScheduler"  # breadth first: depth is the shortest path
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"  # slow hosts can't hog
SCHEDULER_DISK_QUEUE = "crawler.scheduler.DiskRequestQueue"  # the frontier on disk, pickled
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]  # 429/503 belong to RetryAfterMiddleware
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's token-protected code-execution server: off
ITEM_PIPELINES: dict[str, int] = {
    "pipelines.extraction.ExtractionPipeline": 100,  # pool: links, text, relevance, signatures
    "pipelines.stages.RelevancePipeline": 200,  # off-event articles are counted, not kept
    "pipelines.stages.DedupPipeline": 300,  # dup kind + story from the persistent index
    "pipelines.stages.StorePipeline": 400,  # articles/<crawl-id>.jsonl + text/<id>.txt
}
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"  # drops are counted in newsarc/* stats
EXTENSIONS: dict[str, int | None] = {
    "crawler.cluster.worker.ClusterWorker": 50,  # only with NEWSARC_REDIS_URL: leases, heartbeat
    "crawler.capture.failures.FailureLog": 60,  # expected fetch failures: counted, one line each
    "pipelines.warc.WarcService": 100,  # the WARC writer (its process): handler, spider, upload
    "pipelines.upload.UploadExtension": 500,  # WARCs, texts, articles to storage; manifest last
    "pipelines.state.CrawlStateExtension": 550,  # per-URL state (fetched from storage by 500)
    "pipelines.health.HealthExtension": 600,  # per-site extraction signals, drift alarms
    "crawler.memory.MemoryTrim": 700,  # freed memory back to the system (glibc malloc_trim)
}

# --- newsarc -----------------------------------------------------------------------------------
NEWSARC_OUTPUT = "newsarc-data"  # root of the archive: <output>/<slug>/warc/…
NEWSARC_STORAGE = (
    None  # where the archive lives: a directory or s3://bucket/prefix (default: OUTPUT)
)
NEWSARC_KEEP_LOCAL = False  # keep spooled copies after a verified upload to S3
NEWSARC_SPOOL_LIMIT = 5_000_000_000  # bytes waiting for upload before fetching pauses
NEWSARC_UPLOAD_DRAIN_TIMEOUT = 300.0  # seconds the end of a crawl waits for pending uploads
NEWSARC_UPLOAD_THREADS = 2  # upload worker threads
NEWSARC_UPLOAD_BACKOFF = 1.0  # first wait (s) before retrying while the store is unavailable
NEWSARC_UPLOAD_MAX_BACKOFF = 60.0  # longest wait (s) between retries (doubling up to this)
NEWSARC_EVENT = None  # the EventSpec being crawled (set by the event spider from its file)
NEWSARC_EVENT_DIR = None  # this event's directory (default <output>/<slug>)
NEWSARC_CRAWL_ID = None  # id of this crawl (default: its UTC start, e.g. 20250401T120000Z)
NEWSARC_EXTRACT_WORKERS = 0  # extraction processes (0: one per CPU)
NEWSARC_EXTRACT_LINE_MODEL = False  # learned line model edits the text: +0.009 F1 (WCXB), +75 % CPU
NEWSARC_FRONTIER_DISK = True  # queued requests on disk (crawler/scheduler.py): flat memory
NEWSARC_FRONTIER_DIR = None  # where the frontier's temporary directory goes (default: system temp)
NEWSARC_MALLOC_TRIM_INTERVAL = 10.0  # seconds between malloc_trim calls (crawler/memory.py; 0: off)
NEWSARC_BATCH_SCHEDULING = True  # crawl under SCHED_BATCH: wakeups don't preempt the workers
NEWSARC_HEALTH = True  # per-site extraction signals and drift alarms (crawls/<id>/health.json)
NEWSARC_HEALTH_ALPHA = 0.001  # significance of the drift test (one-sided Fisher exact, per signal)
NEWSARC_HEALTH_MIN_CHANGE = 0.1  # smallest change of a rate that raises an alarm
NEWSARC_HEALTH_MIN_CRAWLS = 3  # a site's baseline: at least this many earlier crawls …
NEWSARC_HEALTH_MIN_PAGES = 200  # … and at least this many pages (whichever reaches further back)
NEWSARC_RELEVANCE_THRESHOLD = 0.5  # minimum relevance score of an on-event article
NEWSARC_RELEVANCE_GATE = True  # skip extracting pages that lack a required term (relevance/gate.py)
NEWSARC_WARC_DIR = None  # override the WARC directory (default <output>/<slug>/warc)
NEWSARC_WARC_PREFIX = None  # WARC file name prefix (default: the event slug)
NEWSARC_WARC_HOST = None  # host part of WARC file names (default: this machine's short hostname)
NEWSARC_WARC_MAX_SIZE = 1_000_000_000  # rotate WARC files at this many bytes
NEWSARC_WARC_PROCESS = True  # build and write records in a process of their own (warc/process.py)
NEWSARC_CDXJ = True  # write sorted CDXJ indexes per WARC, crawl and event (archive/cdxj/)
NEWSARC_WARCINFO: dict[str, str] = {}  # extra warcinfo fields (operator, event…); set by the spider
NEWSARC_OPERATOR = ""  # contact of the person or institution running the crawl (warcinfo)
NEWSARC_CONNECT_TO: dict[
    str, str
] = {}  # {"host[:port]": "IP:PORT"}: connect there instead of resolving (trusted)
NEWSARC_INCREMENTAL = True  # keep per-URL crawl state; fetch only what is due, conditionally
NEWSARC_FULL = False  # --full: every known URL is due now (validators still sent)
NEWSARC_RECHECKS_PER_HOST = 100  # article revision checks per host and crawl (0: no limit)
NEWSARC_CLOCK_SKEW = 0.0  # seconds added to the clock deciding what is due (tests, demos)
NEWSARC_PROXY = None  # http://[user:pass@]host:port for http and https ("none": ignore env)
NEWSARC_NO_PROXY = None  # hosts fetched directly, "a.org,b.org" (default: env no_proxy)
NEWSARC_KEEPALIVE = True  # reuse HTTP/1.1 connections (one handshake per host, not per page)
NEWSARC_KEEPALIVE_IDLE = 4.0  # seconds an idle connection is kept (under common server timeouts)
NEWSARC_ALLOW_PRIVATE_ADDRESSES = (
    False  # allow loopback/private/link-local targets (never metadata)
)
# --- distributed crawls (Redis; docs: README "Several machines") --------------------------------
NEWSARC_LOG_INTERVAL = 30.0  # seconds between progress log lines and folded failure lines (0: off)
NEWSARC_PROGRESS = None  # "line" (live, a terminal) or "log" (a line per interval); set by the CLI
NEWSARC_REDIS_URL = None  # redis://host:port/db: this process is one worker of the event's crawl
NEWSARC_WORKER_ID = None  # this worker's id (in WARC names); set by `newsarc crawl --redis`
NEWSARC_CLUSTER_EVENT = None  # the slug of the event the worker crawls (Redis key prefix)
NEWSARC_CLUSTER_CREATED = False  # this worker created the crawl (copies the state into Redis)
NEWSARC_LEASE_TTL = 60.0  # seconds a leased request stays with a worker that stopped beating
NEWSARC_CLUSTER_MAX_ATTEMPTS = 5  # leases of one request before it goes to the failed list
NEWSARC_CLUSTER_MAX_PAGES = 0  # the crawl's page budget for all workers (event max_pages)
