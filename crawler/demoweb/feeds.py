"""robots.txt, RSS 2.0 (globe), Atom (courier), sitemap index + gzipped + news sitemaps (herald)."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from email.utils import format_datetime
from xml.sax.saxutils import escape

from .content import Article, articles_of
from .render import iso

ROBOTS = {
    "globe.test": (
        "# The Daily Globe\nUser-agent: *\nDisallow: /private/\nDisallow: /subscribe/\n\n"
        "User-agent: GPTBot\nDisallow: /\n"
    ),
    "courier.test": "User-agent: *\nCrawl-delay: 1\nDisallow: /cgi-bin/\n",
    "herald.test": (
        "User-agent: *\nDisallow: /private/\nDisallow: /login/\n\n"
        "Sitemap: http://herald.test/sitemap_index.xml\n"
    ),
    "wire.test": "User-agent: *\nDisallow: /legal/drafts/\n",
    "xinwen.test": "User-agent: *\nDisallow:\n",
    "novosti.test": "User-agent: *\nDisallow: /admin/\n",
    "gdelt.test": "User-agent: *\nDisallow:\n",
}
SITEMAP_LASTMOD = "2025-04-05T12:00:00Z"


def x(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def rss(host: str, title: str, arts: Sequence[Article] | None = None) -> bytes:
    """The host's RSS feed (of ``arts``, newest first; default: its articles of edition 0)."""
    arts = articles_of(host) if arts is None else arts
    items = "".join(
        f"""  <item>
   <title>{x(art.title)}</title>
   <link>{x(art.url)}</link>
   <guid isPermaLink="true">{x(art.url)}</guid>
   <pubDate>{format_datetime(art.published_at)}</pubDate>
   <dc:creator>{x(art.author)}</dc:creator>
   <category>{x(art.section.title())}</category>
   <description>{x(art.standfirst or art.paragraphs[0])}</description>
  </item>
"""
        for art in arts
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
 <channel>
  <title>{x(title)}</title>
  <link>http://{host}/</link>
  <atom:link href="http://{host}/rss.xml" rel="self" type="application/rss+xml"/>
  <description>Latest news from {x(title)}</description>
  <language>en-gb</language>
  <lastBuildDate>Sat, 05 Apr 2025 12:00:00 +0000</lastBuildDate>
{items} </channel>
</rss>
""".encode()


def atom(host: str, title: str) -> bytes:
    entries = "".join(
        f"""  <entry>
    <id>tag:{host},{art.published_at:%Y-%m-%d}:{art.id}</id>
    <title>{x(art.title)}</title>
    <link rel="alternate" type="text/html" href="{x(art.url)}"/>
    <published>{iso(art)}</published>
    <updated>{iso(art)}</updated>
    <author><name>{x(art.author)}</name></author>
    <summary>{x(art.standfirst or art.paragraphs[0])}</summary>
  </entry>
"""
        for art in articles_of(host)
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>tag:{host},1998:feed</id>
  <title>{x(title)}</title>
  <updated>2025-04-05T12:00:00Z</updated>
  <link rel="self" href="http://{host}/atom.xml"/>
  <link rel="alternate" type="text/html" href="http://{host}/"/>
{entries}</feed>
""".encode()


def sitemap_index(host: str) -> bytes:
    maps = "".join(
        f"  <sitemap><loc>http://{host}/{name}</loc><lastmod>{SITEMAP_LASTMOD}</lastmod></sitemap>\n"
        for name in ("sitemap-pages.xml.gz", "news-sitemap.xml")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{maps}</sitemapindex>\n"
    ).encode()


def sitemap_pages_gz(host: str, sections: list[str]) -> bytes:
    """A regular sitemap (home, sections, articles with lastmod), as raw gzip bytes (mtime 0)."""
    urls = [f"  <url><loc>http://{host}/</loc><changefreq>hourly</changefreq></url>\n"]
    urls += [
        f"  <url><loc>http://{host}{s}</loc><changefreq>hourly</changefreq></url>\n"
        for s in sections
    ]
    urls += [
        f"  <url><loc>{x(a.url)}</loc><lastmod>{iso(a)}</lastmod></url>\n"
        for a in articles_of(host)
    ]
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{''.join(urls)}</urlset>\n"
    )
    return gzip.compress(xml.encode(), mtime=0)


def _news_url(art: Article, publication: str) -> str:
    return f"""  <url>
    <loc>{x(art.url)}</loc>
    <lastmod>{iso(art)}</lastmod>
    <news:news>
      <news:publication><news:name>{x(publication)}</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>{iso(art)}</news:publication_date>
      <news:title>{x(art.title)}</news:title>
      <news:keywords>{x(", ".join(art.keywords))}</news:keywords>
    </news:news>
  </url>
"""


def news_sitemap(host: str, publication: str) -> bytes:
    """A Google news sitemap listing every article of ``host``, in and outside the event window."""
    urls = "".join(_news_url(art, publication) for art in articles_of(host))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"\n'
        '        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{urls}</urlset>\n"
    ).encode()
