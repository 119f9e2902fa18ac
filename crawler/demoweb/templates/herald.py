"""Metro Herald (herald.test): HTML5 with a JSON-LD ``@graph`` and Open Graph article tags."""

from __future__ import annotations

import json

from ..catalog import SPECIALS
from ..content import Article
from ..render import Link, a, comments_for, esc, image_url, iso, json_ld, link_list, paragraphs

NAME = "Metro Herald"
CHARSET = "utf-8"
HOME = "http://herald.test/"
NAV = [
    Link("http://herald.test/news/", "News"),
    Link("http://herald.test/city/", "City"),
    Link(SPECIALS["gzip"].url, "Morning digest"),
]
FOOTER = [
    Link(SPECIALS["pdf"].url, "Annual report (PDF)"),
    Link(SPECIALS["huge"].url, "The complete archive on one page"),
    Link(SPECIALS["loop-a"].url, "Reader offers"),
    Link(SPECIALS["robots-herald"].url, "Staff area"),
]


def page(title: str, main: str, *, head: str = "") -> str:
    nav = " ".join(a(link, "menu-item") for link in NAV)
    return f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{esc(title)} &ndash; {NAME}</title>
<meta name="viewport" content="width=device-width">
{head}
</head>
<body class="herald">
<div class="topbar"><a href="http://herald.test/subscribe/">Subscribe</a> ·
<a href="http://herald.test/login/">Sign in</a></div>
<div class="masthead"><a href="{HOME}" class="brand">{NAME}</a>
<nav class="menu">{nav}</nav></div>
<div class="page">
{main}
</div>
<aside class="gdpr" id="gdpr">Metro Herald and our partners use cookies to improve your experience.
<a href="http://herald.test/cookies/">Cookie settings</a> <button>I agree</button></aside>
<div class="site-footer"><div class="links">{link_list(FOOTER)}</div>
<p class="copyright">© Metro Herald Newspapers 2025 · All rights reserved</p></div>
</body>
</html>
"""


def _head(art: Article) -> str:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": art.url, "url": art.url, "name": art.title},
            {
                "@type": "NewsArticle",
                "@id": art.url + "#article",
                "isPartOf": {"@id": art.url},
                "headline": art.title,
                "datePublished": iso(art),
                "author": {"@type": "Person", "name": art.author},
                "publisher": {"@type": "NewsMediaOrganization", "name": NAME},
                "keywords": ", ".join(art.keywords),
            },
        ],
    }
    return f"""<link rel="canonical" href="{esc(art.url)}">
<meta property="og:site_name" content="{NAME}">
<meta property="og:title" content="{esc(art.title)}">
<meta property="og:description" content="{esc(art.standfirst)}">
<meta property="article:published_time" content="{iso(art)}">
<meta property="article:section" content="{esc(art.section.title())}">
{json_ld(graph)}"""


def article_page(art: Article, related: list[Link]) -> str:
    readmore = ""
    if related:
        readmore = f'<p class="read-more"><strong>Read more:</strong> {a(related[0])}</p>'
    figure = ""
    if art.caption:
        figure = (
            f'<figure><img src="{esc(image_url(art))}" alt="{esc(art.caption)}" loading="lazy">'
            f"<figcaption>{esc(art.caption)}</figcaption></figure>"
        )
    comments = "".join(
        f'<div class="comment"><span class="user">{esc(w)}</span><div class="text">{esc(t)}</div>'
        f"</div>"
        for w, t in comments_for(art)
    )
    stamp = f"{art.published_at:%A} {art.published_at.day} {art.published_at:%B %Y, %H:%M}"
    main = f"""<article>
<header class="article-header">
<h1>{esc(art.title)}</h1>
{f'<h2 class="dek">{esc(art.standfirst)}</h2>' if art.standfirst else ""}
<div class="article-meta"><span class="author">{esc(art.author)}</span> ·
<time datetime="{iso(art)}" pubdate>{stamp}</time></div>
</header>
{figure}
<section class="article-content">
{paragraphs(art, insert_at=3, insert=readmore)}
</section>
<div class="newsletter"><h3>Get the Herald&rsquo;s morning briefing</h3>
<form action="/newsletter/" method="post"><input type="email" name="email">
<button>Sign up</button></form></div>
<div class="share-tools"><button data-share="facebook">Facebook</button>
<button data-share="x">X</button> <button data-share="copy">Copy link</button></div>
</article>
<aside class="related"><h3>Related</h3>{link_list(related)}</aside>
<div class="comments" id="comments"><h3>Join the discussion</h3>{comments}</div>"""
    return page(art.title, main, head=_head(art))


def listing_page(title: str, stories: list[Article], extra: list[Link]) -> str:
    teasers = "".join(
        f'<div class="teaser"><h2>{a(Link(s.url, s.title))}</h2>'
        f'<time datetime="{iso(s)}">{s.published_at:%d/%m/%Y}</time></div>'
        for s in stories
    )
    more = f'<div class="more">{link_list(extra)}</div>' if extra else ""
    return page(title, f"<h1>{esc(title)}</h1>\n{teasers}\n{more}")


def simple_page(title: str, body_html: str) -> str:
    return page(title, f"<h1>{esc(title)}</h1>\n{body_html}")


def app_article_page(art: Article, related: list[Link]) -> str:
    """The Herald after its redesign (``DemoWeb(redesigned=("herald.test",))``): the page is a
    client-side app shell; headline, byline and body come in ``<script id="__APP_DATA__">`` and
    are rendered by script. What a publisher's move to a JavaScript framework does to an
    extractor that reads the HTML: the page is archived whole, but holds no article text."""
    data = {
        "headline": art.title,
        "standfirst": art.standfirst,
        "author": art.author,
        "published": iso(art),
        "body": list(art.paragraphs),
        "related": [{"url": link.url, "title": link.text} for link in related],
    }
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    main = f"""<div id="app" class="app-shell" data-route="article">
<div class="spinner">Loading…</div></div>
<noscript>Please enable JavaScript to read the Metro Herald.</noscript>
<script id="__APP_DATA__" type="application/json">{payload}</script>
<script src="http://herald.test/static/app.js" defer></script>"""
    return page(art.title, main, head=_head(art))
