"""JSON-LD in a page: every object, and the one that describes the article.

Tolerant of what publishers ship: several scripts, lists, ``@graph``, HTML comments or CDATA
around the JSON, control characters, a trailing semicolon. Broken JSON is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
     "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle", "blogposting",
     "liveblogposting", "socialmediaposting", "techarticle", "scholarlyarticle", "report",
     "satiricalarticle", "advertisercontentarticle", "medicalscholarlyarticle", "posting"}
)  # fmt: skip
PAGE_TYPES = frozenset({"webpage", "itempage", "collectionpage", "aboutpage", "qapage"})
WRAPPER = re.compile(r"^\s*(?:<!--|<!\[CDATA\[|//\s*<!\[CDATA\[)|(?:-->|\]\]>|//\s*\]\]>)\s*$")
MAX_SCRIPT = 2_000_000


def types_of(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for v in values if isinstance(v, str)}


def _load(text: str) -> Any:
    text = WRAPPER.sub("", text.strip()).strip().rstrip(";")
    try:
        return json.loads(text, strict=False)
    except ValueError:
        return None


def _flatten(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from _flatten(value["@graph"], depth + 1)
        for key in ("mainEntity", "mainEntityOfPage"):
            if isinstance(value.get(key), dict) and types_of(value[key]):
                yield from _flatten(value[key], depth + 1)


def jsonld_objects(tree: etree._Element) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, ``@graph`` members and nested main entities included."""
    objects: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        if kind != "application/ld+json" or not script.text or len(script.text) > MAX_SCRIPT:
            continue
        objects.extend(_flatten(_load(script.text)))
    return objects


def article_object(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The article-typed object (the one with the most fields if several), else a WebPage."""
    articles = [o for o in objects if types_of(o) & ARTICLE_TYPES]
    if articles:
        return max(articles, key=len)
    pages = [o for o in objects if types_of(o) & PAGE_TYPES]
    return max(pages, key=len) if pages else None


def names(value: Any) -> list[str]:
    """Names from a JSON-LD person/organisation value: a string, an object, or a list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return names(name) if isinstance(name, (str, list)) else []
    if isinstance(value, list):
        return [n for item in value[:20] for n in names(item)]
    return []


def strings(value: Any) -> list[str]:
    """Keywords and similar: a comma-separated string or a list of strings."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [s for item in value[:100] for s in strings(item)]
    return []


def first_str(obj: dict[str, Any] | None, *keys: str) -> str | None:
    """The first non-empty string among ``obj[key]`` (lists: the first; objects: @id/url/name)."""
    if not obj:
        return None
    for key in keys:
        value = obj.get(key)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, (str, dict))), None)
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url") or value.get("name")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def accessible_for_free(obj: dict[str, Any] | None) -> bool | None:
    """``isAccessibleForFree`` of the article or its ``hasPart`` (False if any part says so)."""
    if not obj:
        return None
    values = [obj.get("isAccessibleForFree")]
    parts = obj.get("hasPart")
    for part in parts if isinstance(parts, list) else [parts]:
        if isinstance(part, dict):
            values.append(part.get("isAccessibleForFree"))
    flags = [_bool(v) for v in values if v is not None]
    flags = [f for f in flags if f is not None]
    if not flags:
        return None
    return all(flags)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
