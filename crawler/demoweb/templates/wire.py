"""Global Wire (wire.test): a news agency's plain story page; ``<time>`` and meta tags only."""

from __future__ import annotations

from ..catalog import SPECIALS
from ..content import Article
from ..render import Link, a, esc, iso, link_list

NAME = "Global Wire"
CHARSET = "utf-8"
HOME = "http://wire.test/"
SERVICES = [
    Link(SPECIALS["slow"].url, "Delayed market quotes"),
    Link(SPECIALS["retry-429"].url, "Interest rates table"),
    Link(SPECIALS["retry-503"].url, "Photo service"),
    Link(SPECIALS["redirect-internal"].url, "Client login"),
    Link(SPECIALS["redirect-metadata"].url, "Cloud status"),
]


def page(title: str, main: str, *, head: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{esc(title)} | {NAME}</title>
{head}
</head>
<body>
<div class="gw-header"><a href="{HOME}"><b>GLOBAL WIRE</b></a>
<span class="gw-nav"><a href="http://wire.test/latest/">Latest</a> ·
<a href="http://wire.test/world/">World</a></span></div>
<div class="consent">We use essential cookies to run this site.
<a href="http://wire.test/legal/cookies">Learn more</a></div>
<div class="gw-main">
{main}
</div>
<div class="gw-footer"><div class="services"><b>Services</b>{link_list(SERVICES)}</div>
<p>© 2025 Global Wire. All rights reserved. Republication or redistribution of Global Wire content,
including by framing or similar means, is prohibited without prior written consent.</p></div>
</body>
</html>
"""


def _head(art: Article) -> str:
    return f"""<link rel="canonical" href="{esc(art.url)}">
<meta name="description" content="{esc(art.paragraphs[0][:200])}">
<meta property="og:title" content="{esc(art.title)}">
<meta property="og:type" content="article">
<meta property="article:published_time" content="{iso(art)}">
<meta name="twitter:card" content="summary">"""


def article_page(art: Article, related: list[Link]) -> str:
    body = "\n".join(f"<p>{esc(p)}</p>" for p in art.paragraphs)
    d = art.published_at
    stamp = f"{d:%B} {d.day}, {d:%Y %I:%M %p} UTC"
    caption = f'<div class="photo-caption">{esc(art.caption)}</div>' if art.caption else ""
    main = f"""<div class="story">
<h1>{esc(art.title)}</h1>
<div class="story-meta">By {esc(art.author)} · <time datetime="{iso(art)}">{stamp}</time></div>
{caption}
<div class="story-body">
{body}
</div>
<div class="licensing">Our Standards:
<a href="http://wire.test/legal/trust-principles">The Global Wire Trust Principles.</a>
Purchase licensing rights for this story from our syndication desk.</div>
<div class="tools"><button data-share="linkedin">Share</button>
<button data-share="email">Email</button></div>
</div>
<div class="picks"><h2>Editor&rsquo;s picks</h2>{link_list(related)}</div>"""
    return page(art.title, main, head=_head(art))


def listing_page(title: str, stories: list[Article], extra: list[Link]) -> str:
    items = "".join(
        f'<li><time datetime="{iso(s)}">{s.published_at:%Y-%m-%d %H:%M}</time> '
        f"{a(Link(s.url, s.title))}</li>"
        for s in stories
    )
    more = f'<div class="more"><h2>More</h2>{link_list(extra)}</div>' if extra else ""
    return page(title, f'<h1>{esc(title)}</h1>\n<ul class="wire-list">{items}</ul>\n{more}')


def simple_page(title: str, body_html: str) -> str:
    return page(title, f"<h1>{esc(title)}</h1>\n{body_html}")
