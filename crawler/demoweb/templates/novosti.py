"""Новости дня (novosti.test): a Russian news site. The date is only written in the page
(``1 апреля 2025, 16:05``): no meta tag, no JSON-LD, no ``<time datetime>``, none in the URL."""

from __future__ import annotations

from ..content import Article
from ..render import Link, a, esc, link_list

NAME = "Новости дня"
CHARSET = "utf-8"
HOME = "http://novosti.test/"
MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
          "октября", "ноября", "декабря")  # fmt: skip


def page(title: str, main: str, *, head: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
{head}
<title>{esc(title)} — {NAME}</title>
</head>
<body>
<header><a href="{HOME}">{NAME}</a>
<nav><a href="http://novosti.test/politika/">Политика</a> <a href="http://novosti.test/gorod/">Город</a></nav>
</header>
<main>
{main}
</main>
<footer><p>© 2025 Новости дня. Все права защищены.</p></footer>
</body>
</html>
"""


def stamp(art: Article) -> str:
    d = art.published_at
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}, {d:%H:%M}"


def article_page(art: Article, related: list[Link]) -> str:
    body = "\n".join(f"<p>{esc(p)}</p>" for p in art.paragraphs)
    main = f"""<article>
<h1>{esc(art.title)}</h1>
<div class="meta">{stamp(art)} · {esc(art.author)}</div>
<div class="text">
{body}
</div>
</article>
<aside><h2>Читайте также</h2>{link_list(related)}</aside>"""
    return page(art.title, main, head='<meta property="og:type" content="article">')


def listing_page(title: str, stories: list[Article], extra: list[Link]) -> str:
    items = "".join(f"<li>{a(Link(s.url, s.title))} <span>{stamp(s)}</span></li>" for s in stories)
    more = f'<div class="more">{link_list(extra)}</div>' if extra else ""
    return page(title, f'<h1>{esc(title)}</h1>\n<ul class="news">{items}</ul>\n{more}')


def simple_page(title: str, body_html: str) -> str:
    return page(title, f"<h1>{esc(title)}</h1>\n{body_html}")
