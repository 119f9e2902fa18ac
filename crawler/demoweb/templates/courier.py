"""Evening Courier (courier.test): an old table-layout template, windows-1252, meta tags only.

No JSON-LD and no ``<time>``: the date is in ``<meta name="date">`` and in the visible text.
"""

from __future__ import annotations

from ..catalog import SPECIALS
from ..content import Article
from ..render import Link, a, comments_for, esc, image_url

NAME = "Evening Courier"
CHARSET = "windows-1252"
HOME = "http://courier.test/"
NAV = [
    Link("http://courier.test/", "Home"),
    Link("http://courier.test/news/", "News"),
    Link(SPECIALS["reason-phrase"].url, "Classifieds"),
    Link(SPECIALS["repeated-headers"].url, "Letters"),
]


def _date(art: Article) -> str:
    d = art.published_at
    hour = d.hour % 12 or 12
    return f"{d:%A, %B} {d.day}, {d.year} {hour}:{d:%M} {'AM' if d.hour < 12 else 'PM'}"


def page(title: str, content: str, *, head: str = "", side: list[Link] | None = None) -> str:
    nav = " | ".join(a(link) for link in NAV)
    side_html = "<br>\n".join(a(link) for link in (side or []))
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={CHARSET}">
<title>{esc(title)} - {NAME}</title>
{head}
</head>
<body bgcolor="#ffffff" topmargin="0" leftmargin="0" marginwidth="0" marginheight="0">
<table width="100%" border="0" cellpadding="0" cellspacing="0">
<tr><td colspan="3" bgcolor="#003366" height="60"><a href="{HOME}"><img
 src="http://courier.test/img/masthead.png" alt="{NAME}" border="0" width="400" height="60"></a>
</td></tr>
<tr><td colspan="3" bgcolor="#cccccc"><font face="Verdana, Arial" size="2">{nav}</font></td></tr>
<tr>
<td width="160" valign="top" bgcolor="#eeeeee"><font face="Verdana, Arial" size="1">
<b>MOST READ</b><br>
{side_html}</font></td>
<td width="10">&nbsp;</td>
<td valign="top"><font face="Georgia, Times New Roman, serif" size="3">
{content}
</font></td>
</tr>
<tr><td colspan="3" align="center" bgcolor="#cccccc"><font face="Verdana, Arial" size="1">
Copyright &copy; 1998-2025 Evening Courier Publishing Co. All rights reserved.
| <a href="http://courier.test/privacy.html">Privacy</a>
| <a href="http://courier.test/atom.xml">Atom feed</a></font></td></tr>
</table>
<div id="cookienotice" style="position:fixed;bottom:0;background:#ffffcc">This site uses cookies.
By continuing to browse the site you are agreeing to our use of cookies.
<a href="#" onclick="this.parentNode.style.display='none';return false;">OK</a></div>
</body>
</html>
"""


def _head(art: Article) -> str:
    return f"""<meta name="description" content="{esc(art.standfirst or art.title)}">
<meta name="keywords" content="{esc(", ".join(art.keywords))}">
<meta name="author" content="{esc(art.author)}">
<meta name="date" content="{art.published_at:%Y-%m-%d}">"""


def article_page(art: Article, related: list[Link]) -> str:
    caption = ""
    if art.caption:
        caption = (
            f'<table align="right" width="220" cellpadding="4" cellspacing="0" border="0">'
            f'<tr><td><img src="{esc(image_url(art))}" width="210" alt=""><br>'
            f'<font size="1">{esc(art.caption)}</font></td></tr></table>'
        )
    body = "\n".join(f"<p>{esc(p)}</p>" for p in art.paragraphs)
    rel = "".join(f"<li>{a(link)}</li>" for link in related)
    comments = "".join(
        f'<tr><td bgcolor="#f4f4f4"><font size="2"><b>{esc(who)}</b> wrote:<br>{esc(text)}'
        f"</font></td></tr>"
        for who, text in comments_for(art)
    )
    standfirst = f"<p><i>{esc(art.standfirst)}</i></p>" if art.standfirst else ""
    content = f"""<font size="5"><b>{esc(art.title)}</b></font><br>
<font size="2" color="#666666">Posted: {_date(art)}</font>
{standfirst}
<p><font size="2"><b>By {esc(art.author)}</b></font></p>
{caption}
{body}
<p><font size="2"><a href="mailto:?subject={esc(art.title)}">E-mail this story</a> |
<a href="javascript:window.print()">Print this page</a></font></p>
<table width="100%" cellpadding="4" border="0"><tr><td bgcolor="#eeeeee"><b>Related stories:</b>
<ul>{rel}</ul></td></tr></table>
<table width="100%" cellpadding="4" border="0"><tr><td><b>Reader comments (2)</b></td></tr>
{comments}</table>"""
    return page(art.title, content, head=_head(art), side=related[:3])


def listing_page(title: str, stories: list[Article], extra: list[Link]) -> str:
    rows = "".join(
        f'<tr><td><font size="3"><b>{a(Link(s.url, s.title))}</b></font><br>'
        f'<font size="1" color="#666666">{_date(s)}</font></td></tr>'
        for s in stories
    )
    more = "<br>\n".join(a(link) for link in extra)
    content = (
        f'<font size="4"><b>{esc(title)}</b></font>\n<table width="100%" cellpadding="4">{rows}'
        f"</table>\n<p>{more}</p>"
    )
    return page(title, content, side=[Link(s.url, s.title) for s in stories[:3]])


def simple_page(title: str, body_html: str) -> str:
    return page(title, f'<font size="4"><b>{esc(title)}</b></font>\n{body_html}')
