"""What a page says about itself: JSON-LD, ``<meta>`` tags, ``<link rel=canonical>``, ``<time>``.

``page_meta`` reads one parsed document (never modified) into a ``PageMeta``; trafilatura's own
metadata and the discovery hints only fill what the page leaves empty (see ``extract.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from pipelines.extract import jsonld as jl
from pipelines.extract.dates import DateCandidate, candidate, url_candidate
from pipelines.words import count_words

META_DATES = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued", "dcterms.created",
    "dc.date.created", "dc.date", "dcterms.date", "citation_publication_date",
    "citation_date", "pubdate", "publishdate", "publish-date", "publish_date", "published_time",
    "published-date", "date", "article.published", "og:pubdate", "datepublished",
    "cxenseparse:recs:publishtime",
)  # fmt: skip
META_AUTHORS = (
    "author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
    "dcterms.creator", "byl", "citation_author", "twitter:creator",
)  # fmt: skip
META_TAGS = ("article:tag", "news_keywords", "keywords", "parsely-tags", "sailthru.tags")
PAYWALL_MARK = re.compile(
    r"(?:^|[\s_-])(?:pay-?wall(?:ed)?|reg-?wall|subscriber-?only|subscribers-?only|premium-?(?:content|article|story)"
    r"|(?:content|article|story)-?(?:locked|gated)|locked-?(?:content|article)|piano-?(?:paywall|offer)"
    r"|tp-?modal|meter-?(?:wall|block))(?:$|[\s_-])",
    re.IGNORECASE,
)
BYLINE_START = re.compile(
    r"^\s*(?:by|words\s+by|written\s+by|reporting\s+by)\s+(?=\S)", re.IGNORECASE
)
BYLINE_END = re.compile(
    r"\s*(?:[\u00b7\u2022|\u2013\u2014/]|\s-\s|\bon\s|\bupdated\b|\bpublished\b|\bposted\b|\d"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d).*$",
    re.IGNORECASE | re.DOTALL,
)
BYLINE_ATTR = re.compile(r"byline|author|writer|reporter|contributor", re.IGNORECASE)
URLISH = re.compile(r"^(?:https?://|@|www\.)")
PAYWALL_PROMPT = re.compile(
    r"\bsubscri(?:be|ption|bers?)\b|\balready\s+a\s+member|\bbecome\s+a\s+member|\bunlock\b"
    r"|\bto\s+(?:continue|keep)\s+reading|\bcreate\s+(?:a\s+)?free\s+account",
    re.IGNORECASE,
)
PROMPT_MAX_WORDS = 120
SEPARATORS = (" | ", " - ", " \u2013 ", " \u2014 ", " :: ", " \u00b7 ", " \u00bb ", " / ")


@dataclass(frozen=True)
class PageMeta:
    title: str | None = None
    authors: tuple[str, ...] = ()
    sitename: str | None = None
    canonical_url: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None  # declared: JSON-LD inLanguage, <html lang>, og:locale
    dates: tuple[DateCandidate, ...] = ()
    accessible_for_free: bool | None = None
    promised_words: int = 0  # JSON-LD wordCount, or the words of its articleBody
    content_tier: str | None = None
    paywall_markup: bool = False
    html_title: str | None = None
    article_signals: tuple[str, ...] = ()  # JSON-LD Article, og:type article, a dated page


def _meta_map(tree: etree._Element) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        content = el.get("content")
        if content is None or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                found.setdefault(key.strip().lower(), []).append(content.strip())
    return found


def _first(meta: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        if meta.get(key):
            return meta[key][0]
    return None


def strip_by(name: str) -> str:
    return re.sub(r"^\s*(?:by|von|par|por|di)\s+", "", " ".join(name.split()), flags=re.I).strip()


def split_authors(raw: str) -> list[str]:
    """A flat author string ("By Jane Doe and John Roe") → names; URLs and handles dropped."""
    parts = re.split(r"\s*(?:,|;|&|\||\band\b)\s*", strip_by(raw))
    return [p.strip(" .") for p in parts if p and not URLISH.match(p)]


def _authors(article: dict[str, Any] | None, meta: dict[str, list[str]]) -> tuple[str, ...]:
    """JSON-LD author names as given (one per Person), else the first author meta tag, split."""
    found = [strip_by(n) for n in jl.names(article.get("author"))] if article else []
    if not found:
        raw = [v for key in META_AUTHORS for v in meta.get(key, [])][:1]
        found = [n for value in raw for n in split_authors(value)]
    seen: dict[str, str] = {}
    for name in found:
        if 1 < len(name) <= 100 and not URLISH.match(name) and name.casefold() not in seen:
            seen[name.casefold()] = name
    return tuple(seen.values())[:20]


def _tags(article: dict[str, Any] | None, meta: dict[str, list[str]]) -> tuple[str, ...]:
    values = jl.strings(article.get("keywords")) if article else []
    for key in META_TAGS:
        for value in meta.get(key, []):
            values.extend(jl.strings(value))
    seen: dict[str, str] = {}
    for tag in values:
        if tag.casefold() not in seen and len(tag) <= 100:
            seen[tag.casefold()] = tag
    return tuple(seen.values())[:50]


def _dates(
    tree: etree._Element, url: str, article: dict[str, Any] | None, meta: dict[str, list[str]]
) -> list[DateCandidate]:
    found: list[DateCandidate | None] = [
        candidate("json-ld", jl.first_str(article, "datePublished"))
    ]
    found += [candidate("meta", v) for key in META_DATES for v in meta.get(key, [])[:1]]
    for el in tree.xpath('//*[@itemprop="datePublished"]')[:3]:
        found.append(candidate("microdata", el.get("content") or el.get("datetime")))
    found += [candidate("time", t) for t in _time_values(tree)]
    found.append(url_candidate(url))
    return [c for c in found if c is not None]


def _time_values(tree: etree._Element) -> list[str]:
    """``<time datetime>`` values: pubdate-marked first, then those inside <article>, then any."""
    times = tree.xpath("//time[@datetime]")[:20]
    marked = [
        t for t in times if t.get("pubdate") is not None or "publish" in (t.get("class") or "")
    ]
    inside = [t for t in times if t.xpath("ancestor::article")]
    ordered = marked + inside + times
    return [t.get("datetime") for t in ordered[:3]]


def _language(
    tree: etree._Element, article: dict[str, Any] | None, meta: dict[str, list[str]]
) -> str | None:
    raw = jl.first_str(article, "inLanguage") or tree.get("lang") or tree.get("xml:lang")
    raw = raw or _first(meta, "og:locale", "content-language", "language", "dc.language")
    if not raw:
        return None
    code = re.split(r"[-_,; ]", raw.strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def _canonical(
    tree: etree._Element, url: str, article: dict[str, Any] | None, meta: dict[str, list[str]]
) -> str | None:
    links = [el for el in tree.iter("link") if "canonical" in (el.get("rel") or "").lower().split()]
    raw = links[0].get("href") if links else None
    raw = raw or _first(meta, "og:url") or jl.first_str(article, "url", "mainEntityOfPage")
    if not raw or not raw.strip():
        return None
    resolved = urljoin(url, raw.strip())
    return resolved if resolved.startswith(("http://", "https://")) else None


def _promised_words(article: dict[str, Any] | None) -> int:
    if not article:
        return 0
    count = article.get("wordCount")
    if isinstance(count, (int, float)) or (isinstance(count, str) and count.strip().isdigit()):
        return int(count)
    body = article.get("articleBody")
    return count_words(body) if isinstance(body, str) else 0


def byline_names(text: str) -> list[str]:
    """ "By Jane Doe and John Roe · 1 April 2025" → ["Jane Doe", "John Roe"]; [] if not a byline."""
    text = " ".join(text.split())
    if not BYLINE_START.match(text):
        return []
    rest = BYLINE_END.sub("", BYLINE_START.sub("", text, count=1)).strip(" ,.;:")
    names = split_authors(rest)
    if not names or any(len(n.split()) > 6 or not n[:1].isupper() for n in names):
        return []
    return names


def byline(tree: etree._Element) -> tuple[str, ...]:
    """A visible byline: a byline/author-classed element, else a "By …" text after the <h1>."""
    for el in tree.xpath("//body//*[@class or @id or @rel or @itemprop]")[:3000]:
        attrs = " ".join(el.get(a) or "" for a in ("class", "id", "rel", "itemprop"))
        if el.tag not in ("meta", "link", "body") and BYLINE_ATTR.search(attrs):
            text = " ".join(el.itertext())
            names = byline_names(text if BYLINE_START.match(text) else "By " + text)
            if names and len(text) < 200:
                return tuple(names)
    heading = tree.find(".//h1")
    nodes = (
        heading.xpath("following::text()") if heading is not None else tree.xpath("//body//text()")
    )
    for node in nodes[:80]:
        if BYLINE_START.match(node):
            parent = node.getparent()
            full = " ".join(parent.itertext()) if parent is not None else str(node)
            names = byline_names(full if BYLINE_START.match(full) else str(node))
            if names:
                return tuple(names)
    return ()


def _paywall_markup(tree: etree._Element) -> bool:
    """A paywall-classed element showing a subscription prompt (not merely a "paywall" class,
    which many sites put on free articles' content wrappers or on empty modal templates)."""
    for el in tree.xpath("//body//*[@class or @id]"):
        attrs = f"{el.get('class') or ''} {el.get('id') or ''}"
        if PAYWALL_MARK.search(attrs):
            text = " ".join(" ".join(el.itertext()).split())
            if len(text.split()) <= PROMPT_MAX_WORDS and PAYWALL_PROMPT.search(text):
                return True
    return False


def page_meta(tree: etree._Element, url: str) -> PageMeta:
    meta = _meta_map(tree)
    article = jl.article_object(jl.jsonld_objects(tree))
    publisher = article.get("publisher") if article else None
    titles = tree.xpath("//title/text()")
    html_title = " ".join(titles[0].split()) if titles else None
    title = jl.first_str(article, "headline", "name") or _first(meta, "og:title", "twitter:title")
    sitename = _first(meta, "og:site_name", "application-name")
    sitename = sitename or next(iter(jl.names(publisher)), None)
    dates = tuple(_dates(tree, url, article, meta))
    authors = _authors(article, meta)
    signals = {
        "json-ld": bool(article and jl.types_of(article) & jl.ARTICLE_TYPES),
        "og:type": (_first(meta, "og:type") or "").lower() == "article",
        "date": any(d.source != "time" for d in dates),
        "author": bool(authors),
    }
    return PageMeta(
        title=title,
        authors=authors,
        sitename=sitename,
        canonical_url=_canonical(tree, url, article, meta),
        tags=_tags(article, meta),
        language=_language(tree, article, meta),
        dates=dates,
        accessible_for_free=jl.accessible_for_free(article),
        promised_words=_promised_words(article),
        content_tier=_first(meta, "article:content_tier"),
        paywall_markup=_paywall_markup(tree),
        html_title=html_title,
        article_signals=tuple(name for name, present in signals.items() if present),
    )


def strip_site(title: str | None, sitename: str | None) -> str | None:
    """ "Headline | Site" → "Headline" (also "Site - Headline") when the site name is known."""
    if not title:
        return title
    title = " ".join(title.split())
    if not sitename:
        return title
    for sep in SEPARATORS:
        head, _, tail = title.rpartition(sep)
        if head and tail.strip().casefold() == sitename.casefold():
            return head.strip()
        tail2, _, rest = title.partition(sep)
        if rest and tail2.strip().casefold() == sitename.casefold():
            return rest.strip()
    return title


def site_from_title(title: str | None) -> str | None:
    """The "Site" of "Headline | Site": the short last part after a separator, if any."""
    if not title:
        return None
    for sep in SEPARATORS[:4]:
        head, _, tail = title.rpartition(sep)
        if head and tail and len(tail.split()) <= 4 and len(tail) < len(head):
            return tail.strip()
    return None
