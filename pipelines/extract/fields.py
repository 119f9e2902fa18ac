"""Metadata fusion: title, authors, site name, tags and date from the page, the hints and, only
when the page leaves a field empty, trafilatura's own metadata heuristics (about a fifth of the
extraction time, so they run only when needed).

Sources in order:

- title: JSON-LD headline, og:title/twitter:title, trafilatura, hint, <title> (site name cut off);
- authors: JSON-LD author, author meta tags, trafilatura, a visible "By …" line
  (``extract_meta.byline``);
- site name: og:site_name/application-name, JSON-LD publisher, the "| Site" suffix of <title>,
  trafilatura;
- tags: JSON-LD keywords and keyword/tag meta tags, else trafilatura's;
- date: ``dates.choose_date`` over the page's candidates and the hint, then a date written out in
  the page's text in Chinese, Russian or French (``dates.text_candidate``), trafilatura's htmldate
  last.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import trafilatura
from lxml import etree

from pipelines.extract.article import Hints
from pipelines.extract.dates import DateCandidate, candidate, choose_date, text_candidate
from pipelines.extract.meta import PageMeta, byline, site_from_title, split_authors, strip_site


@dataclass(frozen=True)
class Fields:
    title: str | None
    authors: tuple[str, ...]
    sitename: str | None
    tags: tuple[str, ...]
    date: DateCandidate | None


def resolve_fields(
    meta: PageMeta, hints: Hints | None, tree: etree._Element, url: str, now: datetime | None
) -> Fields:
    """Fuse the fields; may run trafilatura's metadata extraction on a copy of ``tree``."""
    candidates = list(meta.dates)
    if hints and hints.date:
        hinted = candidate(hints.date_source or "hint", hints.date)
        if hinted:
            candidates.append(hinted)
    date = choose_date(candidates, now)
    own_site = meta.sitename or site_from_title(meta.html_title)
    fallback: Any = None
    if not meta.title or not meta.authors or date is None or not own_site:
        fallback = trafilatura.extract_metadata(deepcopy(tree), default_url=url)
    if date is None:
        written = text_candidate(_page_text(tree))
        date = choose_date([written], now) if written else None
    if date is None and fallback is not None and fallback.date:
        htmldate = candidate("htmldate", fallback.date)
        date = choose_date([htmldate], now) if htmldate else None
    sitename = own_site or (fallback.sitename if fallback else None)
    sitename = " ".join(sitename.split()) if sitename and sitename.strip() else None
    raw_title = meta.title or (fallback.title if fallback else None)
    raw_title = raw_title or (hints.title if hints else None) or meta.html_title
    return Fields(
        title=strip_site(raw_title, sitename) or None,
        authors=meta.authors or _authors(fallback) or byline(tree),
        sitename=sitename,
        tags=meta.tags or _tags(fallback),
        date=date,
    )


def _page_text(tree: etree._Element) -> str:
    body = tree.find(".//body")
    node = body if body is not None else tree
    return " ".join(" ".join(node.itertext()).split())


def _authors(doc: Any) -> tuple[str, ...]:
    if not doc or not doc.author:
        return ()
    names = [n for part in doc.author.split(";") for n in split_authors(part)]
    return tuple(dict.fromkeys(n for n in names if 1 < len(n) <= 100))


def _tags(doc: Any) -> tuple[str, ...]:
    if not doc:
        return ()
    values = [t.strip() for group in (doc.tags or []) for t in group.split(",")]
    return tuple(dict.fromkeys(t for t in values if t))[:50]
