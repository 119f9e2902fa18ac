"""The Daily Globe (globe.test): a modern HTML5 template with a JSON-LD NewsArticle."""

from __future__ import annotations

from ..catalog import SPECIALS
from ..content import Article
from ..render import (
    Link,
    a,
    comments_for,
    esc,
    image_url,
    iso,
    json_ld,
    link_list,
    paragraphs,
)

NAME = "The Daily Globe"
CHARSET = "utf-8"
HOME = "http://globe.test/"
NAV = [
    Link("http://globe.test/world/", "World"),
    Link("http://globe.test/business/", "Business"),
    Link("http://globe.test/sport/", "Sport"),
    Link(SPECIALS["chunked"].url, "Markets live"),
]
FOOTER = [
    Link(SPECIALS["calendar-trap"].url, "Archive calendar"),
    Link(SPECIALS["robots-globe"].url, "Staff drafts"),
    Link("http://globe.test/rss.xml", "RSS"),
]
DELETED = Link(SPECIALS["not-found"].url, "Kremlin talks: what we know so far")


def page(title: str, main: str, *, head: str = "") -> str:
    nav = "".join(f"<li>{a(link)}</li>" for link in NAV)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} | {NAME}</title>
<link rel="stylesheet" href="/static/globe.css">
<link rel="alternate" type="application/rss+xml" title="{NAME}" href="http://globe.test/rss.xml">
{head}
</head>
<body>
<div id="cookie-consent" class="cookie-banner" role="dialog" aria-label="Cookie consent">
<p>We use cookies and similar technologies to personalise content and ads, to provide social media
features and to analyse our traffic. You can change your choices at any time.</p>
<button type="button" class="accept">Accept all</button>
<button type="button" class="manage">Manage options</button>
</div>
<header class="site-header">
<a class="logo" href="{HOME}">{NAME}</a>
<nav class="primary" aria-label="Sections"><ul>{nav}</ul></nav>
<a class="subscribe" href="http://globe.test/subscribe/">Subscribe from £1 a week</a>
</header>
<main id="content">
{main}
</main>
<footer class="site-footer">
<nav aria-label="Footer">{link_list(FOOTER)}</nav>
<p>&copy; 2025 The Daily Globe Media Ltd. All rights reserved.
Registered in England No. 0123456.</p>
</footer>
</body>
</html>
"""


def _head(art: Article) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": art.title,
        "description": art.standfirst,
        "datePublished": iso(art),
        "dateModified": iso(art),
        "author": [{"@type": "Person", "name": art.author}],
        "publisher": {
            "@type": "Organization",
            "name": NAME,
            "logo": {"@type": "ImageObject", "url": "http://globe.test/img/logo.png"},
        },
        "mainEntityOfPage": art.url,
        "image": [image_url(art)],
        "articleSection": art.section.title(),
        "keywords": list(art.keywords),
        "inLanguage": "en",
    }
    return f"""<link rel="canonical" href="{esc(art.url)}">
<meta name="description" content="{esc(art.standfirst or art.title)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(art.title)}">
<meta property="og:url" content="{esc(art.url)}">
<meta property="og:image" content="{esc(image_url(art))}">
{json_ld(data)}"""


def _share(art: Article) -> str:
    buttons = "".join(
        f'<li><button type="button" data-network="{n.lower()}" data-url="{esc(art.url)}">'
        f"Share on {n}</button></li>"
        for n in ("Facebook", "X", "WhatsApp")
    )
    mail = f'<li><a href="mailto:?subject={esc(art.title)}">Email</a></li>'
    return f'<ul class="share" aria-label="Share this article">{buttons}{mail}</ul>'


def article_page(art: Article, related: list[Link]) -> str:
    also = related[0] if related else DELETED
    aside = f'<aside class="also-read"><strong>ALSO READ:</strong> {a(also)} · {a(DELETED)}</aside>'
    figure = ""
    if art.caption:
        figure = (
            f'<figure class="lead"><img src="{esc(image_url(art))}" alt="" width="1200" '
            f'height="675"><figcaption>{esc(art.caption)} <span class="credit">Photograph: '
            f"Globe Pictures</span></figcaption></figure>"
        )
    credit = ""
    if art.copied_from:
        credit = (
            f'<p class="syndication">This story was first published by '
            f'<a href="{esc(art.copied_from)}">Global Wire</a>.</p>'
        )
    comments = "".join(
        f'<li><p class="who">{esc(who)}</p><p>{esc(text)}</p></li>'
        for who, text in comments_for(art)
    )
    stamp = f"{art.published_at.day} {art.published_at:%b %Y %H.%M} GMT"
    section = Link(f"http://globe.test/{art.section}/", art.section.title())
    main = f"""<article class="story">
<p class="kicker">{a(section)}</p>
<h1 class="headline">{esc(art.title)}</h1>
{f'<p class="standfirst">{esc(art.standfirst)}</p>' if art.standfirst else ""}
<div class="meta"><span class="byline">By <a rel="author" href="http://globe.test/profile/">{esc(art.author)}</a></span>
<time datetime="{iso(art)}">{stamp}</time></div>
{figure}
{_share(art)}
<div class="article-body">
{paragraphs(art, insert_at=2, insert=aside)}
</div>
{credit}
<p class="tags">Topics: {", ".join(esc(k) for k in art.keywords)}</p>
{_share(art)}
</article>
<section class="read-more"><h2>Read more</h2>{link_list(related)}</section>
<section id="comments" class="comments"><h2>Comments (2)</h2><ol>{comments}</ol>
<p><a href="http://globe.test/subscribe/">Subscribe</a> to join the conversation.</p></section>"""
    return page(art.title, main, head=_head(art))


def listing_page(title: str, stories: list[Article], extra: list[Link]) -> str:
    items = "".join(
        f'<li class="card"><h3>{a(Link(s.url, s.title))}</h3>'
        f'<time datetime="{iso(s)}">{s.published_at:%d %b %Y}</time>'
        f"<p>{esc(s.standfirst)}</p></li>"
        for s in stories
    )
    more = f'<section class="more"><h2>More from the Globe</h2>{link_list(extra)}</section>'
    main = f'<h1>{esc(title)}</h1>\n<ol class="stream">{items}</ol>\n{more if extra else ""}'
    return page(title, main)


def simple_page(title: str, body_html: str) -> str:
    return page(title, f"<h1>{esc(title)}</h1>\n{body_html}")
