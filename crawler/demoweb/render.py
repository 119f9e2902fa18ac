"""Small helpers shared by the publisher templates."""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from typing import Any

from .content import Article, articles_of

COMMENTS = (
    ("riverside_reader", "Thanks for the clear write-up, easier to follow than most."),
    ("J. Marsh", "Would be good to see the full transcript published somewhere."),
    ("night_owl_77", "Interesting. Let us see what actually comes of it."),
    ("Elena K.", "The photo caption has the wrong day, I think?"),
    ("pbrown", "First time commenting here. Keep up the good work."),
    ("T. Okafor", "Another long article and still no mention of the costs involved."),
)


@dataclass(frozen=True)
class Link:
    url: str
    text: str


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def a(link: Link, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f'<a href="{esc(link.url)}"{attr}>{esc(link.text)}</a>'


def link_list(links: list[Link], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    items = "".join(f"<li>{a(link)}</li>" for link in links)
    return f"<ul{attr}>{items}</ul>"


def json_ld(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def iso(article: Article) -> str:
    return article.published_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def comments_for(article: Article, n: int = 2) -> list[tuple[str, str]]:
    """Two reader comments, chosen deterministically per article."""
    start = hashlib.sha256(article.id.encode()).digest()[0] % len(COMMENTS)
    return [COMMENTS[(start + i) % len(COMMENTS)] for i in range(n)]


def related_links(article: Article, n: int = 4) -> list[Link]:
    """Other stories of the same host, nearest in time first (anchor text = headline)."""
    others = [x for x in articles_of(article.host) if x.id != article.id]
    others.sort(key=lambda x: abs((x.published_at - article.published_at).total_seconds()))
    return [Link(x.url, x.title) for x in others[:n]]


def story_links(stories: list[Article]) -> list[Link]:
    return [Link(x.url, x.title) for x in stories]


def paragraphs(article: Article, insert_at: int = -1, insert: str = "") -> str:
    """The body as <p> elements, with boilerplate ``insert`` after paragraph ``insert_at``."""
    out = []
    for i, para in enumerate(article.paragraphs):
        out.append(f"<p>{esc(para)}</p>")
        if i == insert_at and insert:
            out.append(insert)
    return "\n".join(out)


def image_url(article: Article) -> str:
    return f"http://{article.host}/img/{article.id}.png"
