"""Links of an HTML page: pure, no Scrapy (the crawl's extraction workers read them too).

``extract_links`` reads ``<a href>`` and ``<area href>`` with lxml.html, resolves them against
``<base href>`` (itself resolved against the page URL) or the page URL, keeps only http(s)
targets (so ``javascript:``, ``mailto:``, ``tel:``, ``data:`` go), drops fragment-only links
(``#top``: the same page) and strips fragments, percent-encodes like Scrapy's link extractor
(w3lib ``safe_url_string``; pass the page encoding so query strings encode as a browser would),
and deduplicates by URL in first-seen order, keeping the longest anchor text.
``Link.nofollow`` is true when every occurrence of the URL had ``rel=nofollow``.
``links_in`` does the same on a tree already parsed (the extraction worker's, before it is
cleaned), so a crawled page is parsed once.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree
from w3lib.html import strip_html5_whitespace
from w3lib.url import safe_url_string

from pipelines.extract.decode import DOCUMENT_END_BYTES


@dataclass(frozen=True)
class Link:
    url: str
    text: str = ""
    nofollow: bool = False


def _document(body: bytes, encoding: str | None) -> lxml.html.HtmlElement | None:
    if not body.strip():
        return None
    parser = lxml.html.HTMLParser(encoding=encoding, remove_comments=True, no_network=True)
    try:  # links after a stray </body></html> are the page's too (as in parse_html)
        return lxml.html.document_fromstring(DOCUMENT_END_BYTES.sub(b"", body), parser=parser)
    except (etree.ParserError, ValueError):
        return None


_HAS_BASE = re.compile(rb"<base[\s/>]", re.IGNORECASE)
HAS_BASE_TEXT = re.compile(r"<base[\s/>]", re.IGNORECASE)  # the same, in decoded HTML


def _base(doc: lxml.html.HtmlElement, page_url: str, body: bytes = b"<base ") -> str:
    if not _HAS_BASE.search(body):  # most pages have none: skip the whole-document search
        return page_url
    for href in doc.xpath("//base/@href"):
        href = strip_html5_whitespace(str(href))
        if href:
            return urljoin(page_url, href)
    return page_url


def _absolute(href: str, base: str, encoding: str, origin: str = "") -> str | None:
    href = strip_html5_whitespace(href)
    if not href or href.startswith("#"):
        return None
    # A root-relative href resolves the same against any page of the origin, and an absolute one
    # against any page at all; a news site repeats the same few hundred of these (navigation,
    # most-read) on every page, so they are resolved once (about 12 % of the crawl's CPU).
    if origin and href.startswith("/") and not href.startswith("//"):
        return _resolve_cached(href, origin, encoding)
    if href.startswith(("http://", "https://")):
        return _resolve_cached(href, "", encoding)
    return _resolve(href, base, encoding)


@lru_cache(maxsize=65536)
def _resolve_cached(href: str, base: str, encoding: str) -> str | None:
    return _resolve(href, base, encoding)


def _resolve(href: str, base: str, encoding: str) -> str | None:
    url, _fragment = urldefrag(urljoin(base, href) if base else href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return safe_url_string(url, encoding)


def _anchor_text(element: lxml.html.HtmlElement, raw: str | None = None) -> str:
    if element.tag == "area":
        text = element.get("alt") or ""
    else:
        text = element.text_content() if raw is None else raw
        if not text.strip():
            alts = element.xpath(".//img/@alt")
            text = element.get("title") or (str(alts[0]) if alts else "")
    return " ".join(text.split())


def extract_links(
    body: bytes,
    base_url: str,
    encoding: str | None = None,
    known: Container[str] = (),
) -> list[Link]:
    """All followable http(s) links of a page, deduplicated (see the module docstring).

    Links whose URL is in ``known`` (already requested by the caller) are returned without
    anchor text: nobody scores them again, and reading text is the costly part.
    """
    doc = _document(body, encoding)
    if doc is None:
        return []
    return links_in(
        doc, base_url, encoding, has_base=_HAS_BASE.search(body) is not None, known=known
    )


def _in_page(href: str | None) -> bool:
    return href is not None and href.strip().startswith("#")


def links_in(
    doc: lxml.html.HtmlElement,
    base_url: str,
    encoding: str | None = None,
    *,
    has_base: bool = True,
    known: Container[str] = (),
    anchor_texts: list[str] | None = None,
) -> list[Link]:
    """``extract_links`` on a parsed document; ``has_base=False`` skips the ``<base>`` search.

    ``anchor_texts``, if given, receives the text of every ``<a>`` in document order (links or
    not), except links within the page (``href="#…"``), so extraction need not read them a
    second time."""
    base = _base(doc, base_url) if has_base else base_url
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else ""
    found: dict[str, Link] = {}
    for element in doc.iter("a", "area"):
        raw = None
        href = element.get("href")
        if anchor_texts is not None and element.tag == "a" and not _in_page(href):
            raw = element.text_content()
            anchor_texts.append(raw)
        url = _absolute(href or "", base, encoding or "utf-8", origin)
        if url is None:
            continue
        text = "" if url in known else _anchor_text(element, raw)
        nofollow = "nofollow" in (element.get("rel") or "").lower().split()
        seen = found.get(url)
        if seen is not None:
            text = max(seen.text, text, key=len)
            nofollow = seen.nofollow and nofollow
        found[url] = Link(url, text, nofollow)
    return list(found.values())


def canonical_url(body: bytes, base_url: str, encoding: str | None = None) -> str | None:
    """The page's ``<link rel="canonical" href>``, absolute and without fragment, or None."""
    doc = _document(body, encoding)
    if doc is None:
        return None
    base = _base(doc, base_url, body)
    for element in doc.iter("link"):
        if "canonical" in (element.get("rel") or "").lower().split():
            url = _absolute(element.get("href") or "", base, encoding or "utf-8")
            if url is not None:
                return url
    return None
