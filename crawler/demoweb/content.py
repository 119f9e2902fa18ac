"""The demo web's articles: the manifest (ground truth labels) and the article texts.

``content/manifest.json`` holds one entry per article (where it is served, its labels);
``content/articles/<id>.toml`` holds the text. A syndicated copy
names its original with ``body_from`` so that the copied text is byte-identical by construction.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

ARTICLE_FIELDS = (
    "id",
    "host",
    "path",
    "url",
    "title",
    "published",
    "published_at",
    "template",
    "on_event",
    "expected_dup",
    "dup_of",
    "story",
)
DUP_LABELS = ("unique", "exact", "near", "rewrite")


@dataclass(frozen=True)
class Article:
    """One article as the templates render it."""

    id: str
    host: str
    path: str
    url: str
    title: str
    published_at: datetime
    template: str
    author: str
    section: str
    keywords: tuple[str, ...]
    standfirst: str
    caption: str
    paragraphs: tuple[str, ...]
    copied_from: str | None  # URL of the original for syndicated copies


def _content_file(*parts: str) -> bytes:
    return resources.files("crawler.demoweb").joinpath("content", *parts).read_bytes()


@cache
def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_content_file("manifest.json"))
    return data


def load_manifest() -> list[dict[str, Any]]:
    """Every article of the demo web with its labels (a fresh copy each call)."""
    return [dict(entry) for entry in _manifest()["articles"]]


def _text(article_id: str) -> dict[str, Any]:
    return tomllib.loads(_content_file("articles", f"{article_id}.toml").decode("utf-8"))


@cache
def load_articles() -> tuple[Article, ...]:
    """All articles, text included, in manifest order."""
    entries = {e["id"]: e for e in _manifest()["articles"]}
    return tuple(_article(entry, entries) for entry in entries.values())


def _article(entry: dict[str, Any], entries: dict[str, dict[str, Any]]) -> Article:
    text = _text(entry["id"])
    source, copied_from = text, None
    if "body_from" in text:
        source = _text(text["body_from"])
        copied_from = entries[text["body_from"]]["url"]
    paragraphs = tuple(p.strip() for p in source["body"].split("\n\n") if p.strip())
    return Article(
        id=entry["id"],
        host=entry["host"],
        path=entry["path"],
        url=entry["url"],
        title=entry["title"],
        published_at=datetime.fromisoformat(entry["published_at"]),
        template=entry["template"],
        author=text["author"],
        section=text["section"],
        keywords=tuple(text.get("keywords", ())),
        standfirst=source.get("standfirst", ""),
        caption=source.get("caption", ""),
        paragraphs=paragraphs,
        copied_from=copied_from,
    )


def articles_of(host: str) -> list[Article]:
    """The host's articles, newest first."""
    return sorted(
        (a for a in load_articles() if a.host == host), key=lambda a: a.published_at, reverse=True
    )
