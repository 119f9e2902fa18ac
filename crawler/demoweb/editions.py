"""The demo web moves in time, one edition after another (``DemoWeb.advance()``,
``newsarc demo --again``).

Edition 0 is the web as first crawled. From edition 1 on:

- an article gets updated: The Daily Globe adds an update paragraph to its report of the Kremlin
  meeting (its page changes, its ETag too);
- a new article appears: a follow-up report, listed first in The Daily Globe's RSS feed;
- everything else stays the same, byte for byte.

Validators, so that a recurring crawl can ask "has it changed?": The Daily Globe and The Herald
send an ``ETag`` (a digest of the body), The Courier a ``Last-Modified`` date; each honours
``If-None-Match`` / ``If-Modified-Since`` with ``304 Not Modified``. The Global Wire sends no
validators: a re-fetch gets the same 200 again (what an identical-payload revisit is for).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from .content import Article
from .protocol import Reply, Request

UPDATED_ID = "globe-putin-hosts-wang"
UPDATE = (
    "Update, 2 April: The Kremlin said on Wednesday that Putin and Wang also discussed "
    "preparations for Xi Jinping's visit to Moscow for the Victory Day celebrations in May, "
    "and that both sides agreed to keep in close contact on Ukraine."
)
FOLLOW_UP_PARAGRAPHS = (
    "Chinese Foreign Minister Wang Yi wrapped up his visit to Moscow on Wednesday after a second "
    "round of talks with Russian Foreign Minister Sergey Lavrov, the foreign ministry said.",
    "The two ministers reviewed the strategic security consultations held on Tuesday and agreed "
    "to prepare a joint statement for the summit of their presidents later this spring.",
    "Lavrov told reporters that Moscow valued Beijing's position on the conflict in Ukraine and "
    "that trade between the two countries would keep growing despite Western sanctions.",
    "Wang Yi said China and Russia would continue to coordinate at the United Nations, within "
    "BRICS and in the Shanghai Cooperation Organisation.",
)
ETAG_HOSTS = ("globe.test", "herald.test")
LAST_MODIFIED_HOSTS = ("courier.test",)
LAST_MODIFIED = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)  # every Courier page, every edition


def edition_articles(base: tuple[Article, ...], edition: int) -> tuple[Article, ...]:
    """The articles served in ``edition``: the base ones, changed and extended from edition 1."""
    if edition <= 0:
        return base
    out = [
        replace(a, paragraphs=(*a.paragraphs, UPDATE)) if a.id == UPDATED_ID else a for a in base
    ]
    model = next(a for a in base if a.id == UPDATED_ID)
    out.append(
        replace(
            model,
            id="globe-wang-wraps-up-moscow-visit",
            path="/world/2025/04/02/wang-yi-wraps-up-moscow-visit-after-talks-with-lavrov/",
            url="http://globe.test/world/2025/04/02/wang-yi-wraps-up-moscow-visit-after-talks-with-lavrov/",
            title="Wang Yi wraps up Moscow visit after second round of talks with Lavrov",
            published_at=datetime(2025, 4, 2, 16, 40, tzinfo=UTC),
            standfirst="Both sides prepare a joint statement for the presidents' summit.",
            caption="",
            paragraphs=FOLLOW_UP_PARAGRAPHS,
            copied_from=None,
        )
    )
    return tuple(out)


def with_validators(req: Request, reply: Reply) -> Reply:
    """Add the host's validators to a plain 200 reply, and answer 304 when they match."""
    if reply.status != 200 or reply.stream or reply.chunks or reply.raw_headers or reply.delay:
        return reply
    if req.host in ETAG_HOSTS:
        etag = '"' + hashlib.sha1(reply.body).hexdigest()[:20] + '"'
        reply.headers.append(("ETag", etag))
        asked = req.header("If-None-Match")
        if asked is not None and etag in [v.strip() for v in asked.split(",")]:
            return _not_modified([("ETag", etag)])
    elif req.host in LAST_MODIFIED_HOSTS:  # nothing of The Courier changes between editions
        stamp = format_datetime(LAST_MODIFIED, usegmt=True)
        reply.headers.append(("Last-Modified", stamp))
        asked = req.header("If-Modified-Since")
        if asked is not None and _not_after(LAST_MODIFIED, asked):
            return _not_modified([("Last-Modified", stamp)])
    return reply


def _not_after(modified: datetime, since: str) -> bool:
    try:
        return modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an unreadable date: the page is sent in full, as servers do


def _not_modified(headers: list[tuple[str, str]]) -> Reply:
    return Reply(304, b"", headers, reason="Not Modified")
