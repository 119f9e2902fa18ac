"""华夏新闻网 (xinwen.test): a Chinese news portal. No structured date anywhere: the publication
date is only written in the page (``2025年04月01日 18:20``), as on many Chinese portals."""

from __future__ import annotations

from ..content import Article
from ..render import Link, a, esc, link_list

NAME = "华夏新闻网"
CHARSET = "utf-8"
HOME = "http://xinwen.test/"


def page(title: str, main: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta property="og:site_name" content="{NAME}">
<title>{esc(title)}_{NAME}</title>
</head>
<body>
<div class="top"><a href="{HOME}">{NAME}</a> | <a href="http://xinwen.test/guoji/">国际</a> |
<a href="http://xinwen.test/zhuanzai/">转载</a></div>
<div class="main">
{main}
</div>
<footer><p>版权所有 华夏新闻网 未经授权禁止转载</p></footer>
</body>
</html>
"""


def article_page(art: Article, related: list[Link]) -> str:
    body = "\n".join(f"<p>{esc(p)}</p>" for p in art.paragraphs)
    d = art.published_at
    stamp = f"{d:%Y}年{d:%m}月{d:%d}日 {d:%H:%M}"
    main = f"""<div class="article">
<h1>{esc(art.title)}</h1>
<div class="info"><span class="time">{stamp}</span>
<span class="source">来源：{esc(art.author)}</span></div>
<div class="content">
{body}
</div>
</div>
<div class="related"><h2>相关新闻</h2>{link_list(related)}</div>"""
    return page(art.title, main)


def listing_page(title: str, stories: list[Article], extra: list[Link]) -> str:
    items = "".join(
        f"<li>{a(Link(s.url, s.title))} <span>{s.published_at:%m-%d %H:%M}</span></li>"
        for s in stories
    )
    more = f'<div class="more">{link_list(extra)}</div>' if extra else ""
    return page(title, f'<h1>{esc(title)}</h1>\n<ul class="list">{items}</ul>\n{more}')


def simple_page(title: str, body_html: str) -> str:
    return page(title, f"<h1>{esc(title)}</h1>\n{body_html}")
