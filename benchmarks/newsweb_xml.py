"""The benchmark web's discovery files, which need absolute URLs (so the server's port).

``robots.txt`` (permissive but for ``/private/``, names the sitemap index), ``rss.xml`` (the
50 newest articles), ``sitemap.xml`` (an index of one sitemap per month, with ``lastmod``) and
``sitemaps/news.xml`` (a Google News sitemap of the last two days). Rewritten for each run
from ``manifest.json``, so a cached web can be served on any port.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def write_discovery(root: Path, manifest: dict[str, Any], base_url: str) -> None:
    base = base_url.rstrip("/")
    articles = [
        (a["path"], datetime.fromisoformat(a["published"]), a["headline"])
        for a in manifest["articles"]
    ]
    (root / "robots.txt").write_text(
        f"User-agent: *\nDisallow: /private/\nAllow: /\n\nSitemap: {base}/sitemap.xml\n",
        encoding="utf-8",
    )
    (root / "rss.xml").write_text(_rss(base, articles[-50:]), encoding="utf-8")
    months: dict[str, list[tuple[str, datetime, str]]] = defaultdict(list)
    for item in articles:
        months[item[1].strftime("%Y-%m")].append(item)
    sitemaps = root / "sitemaps"
    sitemaps.mkdir(exist_ok=True)
    index = []
    for month, items in sorted(months.items()):
        (sitemaps / f"{month}.xml").write_text(_urlset(base, items), encoding="utf-8")
        index.append((f"{base}/sitemaps/{month}.xml", max(i[1] for i in items)))
    newest = articles[-1][1] if articles else datetime(2025, 1, 1)
    recent = [a for a in articles if a[1] >= newest - timedelta(days=2)]
    (sitemaps / "news.xml").write_text(_news(base, recent), encoding="utf-8")
    index.append((f"{base}/sitemaps/news.xml", newest))
    entries = "".join(
        f"<sitemap><loc>{loc}</loc><lastmod>{when:%Y-%m-%d}</lastmod></sitemap>\n"
        for loc, when in index
    )
    (root / "sitemap.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        f"{entries}</sitemapindex>\n",
        encoding="utf-8",
    )


def _rss(base: str, items: list[tuple[str, datetime, str]]) -> str:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{base}{path}</link>"
        f"<guid>{base}{path}</guid><pubDate>{_rfc822(when)}</pubDate></item>\n"
        for path, when, title in reversed(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>The Benchmark Herald</title><link>{base}/</link>"
        f"<description>Latest stories</description>\n{entries}</channel></rss>\n"
    )


def _urlset(base: str, items: list[tuple[str, datetime, str]]) -> str:
    entries = "".join(
        f"<url><loc>{base}{path}</loc><lastmod>{when:%Y-%m-%d}</lastmod></url>\n"
        for path, when, _ in items
    )
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
    return f"{head}{entries}</urlset>\n"


def _news(base: str, items: list[tuple[str, datetime, str]]) -> str:
    entries = "".join(
        f"<url><loc>{base}{path}</loc><news:news><news:publication>"
        "<news:name>The Benchmark Herald</news:name><news:language>en</news:language>"
        f"</news:publication><news:publication_date>{when:%Y-%m-%dT%H:%M}:00Z"
        f"</news:publication_date><news:title>{escape(title)}</news:title></news:news></url>\n"
        for path, when, title in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}" '
        f'xmlns:news="{NEWS_NS}">\n{entries}</urlset>\n'
    )


def _rfc822(when: datetime) -> str:
    return format_datetime(when.replace(tzinfo=None), usegmt=False).replace("-0000", "+0000")
