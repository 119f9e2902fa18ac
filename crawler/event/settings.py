"""Map an EventSpec onto Scrapy settings (called from the spider's ``from_crawler``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler import __version__
from crawler.event.spec import EventSpec

PRIORITY = "spider"


def event_settings(event: EventSpec, output: str) -> dict[str, Any]:
    lim, pol = event.limits, event.politeness
    values: dict[str, Any] = {
        "USER_AGENT": pol.user_agent,
        "ROBOTSTXT_OBEY": pol.obey_robots,
        "CLOSESPIDER_PAGECOUNT": lim.max_pages,
        "DOWNLOAD_MAXSIZE": lim.max_page_bytes,
        "CONCURRENT_REQUESTS_PER_DOMAIN": lim.per_host_concurrency,
        "DOWNLOAD_DELAY": lim.download_delay,
        "DOWNLOAD_TIMEOUT": lim.download_timeout,
        "REDIRECT_MAX_TIMES": lim.max_redirects,
        "URLLENGTH_LIMIT": lim.max_url_length,
        "NEWSARC_MAX_CRAWL_DELAY": lim.max_crawl_delay,
        "NEWSARC_MAX_URL_LENGTH": lim.max_url_length,
        "NEWSARC_EVENT_DIR_DEFAULT": str(Path(output) / event.slug),
        "NEWSARC_CRAWL_ID_DEFAULT": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        "NEWSARC_WARC_DIR_DEFAULT": str(Path(output) / event.slug / "warc"),
        "NEWSARC_WARC_PREFIX_DEFAULT": event.slug,
    }
    values["NEWSARC_MAX_PAGES_PER_HOST"] = lim.max_pages_per_host or 0  # documented: no limit
    if event.network.proxy is not None:
        values["NEWSARC_PROXY"] = event.network.proxy
    if event.network.no_proxy is not None:
        values["NEWSARC_NO_PROXY"] = ",".join(event.network.no_proxy)
    return values


def warcinfo(event: EventSpec, operator: str) -> dict[str, str]:
    pol = event.politeness
    info = {
        "software": f"newsarc/{__version__} (Scrapy-based; https://github.com/newsarc/newsarc)",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "isPartOf": event.slug,
        "description": event.name,
        "event-window": f"{event.start.isoformat()}/{event.end.isoformat()}",
        "robots": "obey" if pol.obey_robots else "ignore",
        "http-header-user-agent": pol.user_agent,
        "payload-digest": "sha1, base32, of the entity body with transfer-coding removed",
    }
    if operator:
        info["operator"] = operator
    return info


def apply_event_settings(settings: Any, event: EventSpec) -> None:
    """Set the event's values unless a higher-priority source (e.g. the command line) set them."""
    output = settings.get("NEWSARC_OUTPUT") or "newsarc-data"
    for name, value in event_settings(event, output).items():
        if name.endswith("_DEFAULT"):
            target = name[: -len("_DEFAULT")]
            if not settings.get(target):
                settings.set(target, value, priority=PRIORITY)
            continue
        settings.set(name, value, priority=PRIORITY)
    settings.set("NEWSARC_EVENT", event, priority=PRIORITY)
    info = warcinfo(event, settings.get("NEWSARC_OPERATOR") or "")
    info.update(settings.getdict("NEWSARC_WARCINFO"))
    settings.set("NEWSARC_WARCINFO", info, priority=PRIORITY)
