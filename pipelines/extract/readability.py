"""The second extractor: readability-lxml (Mozilla Readability's scoring), as lines.

Used when trafilatura finds much less text than readability does (see ``extract.choose``).
"""

from __future__ import annotations

import logging
from importlib.metadata import version

import lxml.html
from lxml import etree
from readability import Document

from pipelines.extract.blocks import Line, lines_of

NAME = "readability-lxml " + version("readability-lxml")
MIN_TEXT_LENGTH = 25
logging.getLogger("readability.readability").setLevel(logging.CRITICAL)  # failures handled here


def readability_lines(html: str) -> list[Line]:
    """The main content readability finds, or [] when it finds none or fails on the page."""
    try:
        # no url: making every link absolute costs a fifth of readability's time; text needs none
        summary = Document(html, min_text_length=MIN_TEXT_LENGTH).summary(html_partial=True)
        root = lxml.html.fromstring(summary)
    except (ValueError, TypeError, etree.LxmlError, RecursionError, AttributeError):
        return []
    except Exception:  # readability raises its own Unparseable and assorted errors on bad HTML
        return []
    return lines_of(root)
