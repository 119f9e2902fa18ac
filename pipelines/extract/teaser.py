"""Paywall and teaser detection: is the extracted text likely less than the full article?

Strong signs, each enough: the page's JSON-LD promises many more words than were found
(``wordCount``, or the length of its ``articleBody``); ``article:content_tier`` is "locked"; the
text ended with a "subscribe/sign in to continue reading" line (removed from the text). Weak signs
count only with a short text (under ``SHORT_TEXT_WORDS``), because publishers set them on pages
served in full too: JSON-LD ``isAccessibleForFree: false``, and a paywall-classed element showing
a subscription prompt.
"""

from __future__ import annotations

from pipelines.extract.meta import PageMeta

TEASER_RATIO = 1.5  # the page promises this many times the words found (and 50 more): a teaser
TEASER_MIN_GAP = 50
SHORT_TEXT_WORDS = 350  # a weak paywall sign plus a text this short: a teaser


def teaser_reasons(meta: PageMeta, teaser_line: bool, words: int) -> list[str]:
    """Why the text is likely a teaser rather than the full article (empty: it looks complete)."""
    reasons = []
    promised = meta.promised_words
    short = promised >= TEASER_RATIO * words and promised - words >= TEASER_MIN_GAP
    if meta.accessible_for_free is False and (short or words < SHORT_TEXT_WORDS):
        reasons.append("json-ld:isAccessibleForFree")
    if short:
        reasons.append("json-ld:promises-more-words")
    if (meta.content_tier or "").strip().lower() == "locked":
        reasons.append("meta:content_tier")
    if teaser_line:
        reasons.append("text:subscribe-to-continue")
    if meta.paywall_markup and words < SHORT_TEXT_WORDS:
        reasons.append("markup:paywall-prompt")
    return reasons
