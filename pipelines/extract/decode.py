"""Bytes to HTML text: is this HTML at all, and in which character encoding.

Encoding order (what browsers do, via w3lib): byte-order mark, the ``charset`` of the
Content-Type header, ``<meta charset>`` / ``<meta http-equiv>`` in the document, then detection
(strict UTF-8 first, then charset-normalizer), finally windows-1252. Labels are mapped the WHATWG
way (``iso-8859-1`` and ``us-ascii`` decode as windows-1252).
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Mapping

import lxml.html
from charset_normalizer import from_bytes
from w3lib.encoding import html_to_unicode

HTML_TYPES = ("text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml")
MAX_GUNZIP = 32 * 1024 * 1024
SNIFF_BYTES = 1024
BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"RIFF", b"\x7fELF")
HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|div|p|article|script"
    rb"|link|table|h1|!--)[\s>/]",
    re.IGNORECASE | re.DOTALL,
)
PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True
)  # comments removed: left in, they split text nodes and mislead the extractors
PROLOGUE = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!doctype[^>]*>)?", re.IGNORECASE)
INVALID_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# a page may close its body and go on (a template's stray </body></html>, then the article):
# browsers put what follows back into the body, libxml2 drops it; these end tags are removed
DOCUMENT_END = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
DOCUMENT_END_BYTES = re.compile(DOCUMENT_END.pattern.encode(), re.IGNORECASE)  # undecoded
OBVIOUS_HTML = re.compile(rb"^\s*<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE)
WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")  # UTF-16 LE/BE, UTF-32 BE
XML_FEED = re.compile(rb"<(?:rss|feed|urlset|sitemapindex|rdf:RDF)[\s>]", re.IGNORECASE)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (Scrapy title-cases names, other callers lower-case them)."""
    value = headers.get(name)
    if value is not None:
        return value
    lname = name.lower()
    for key, val in headers.items():
        if key.lower() == lname:
            return val
    return None


def maybe_gunzip(body: bytes) -> bytes:
    """An undecoded gzip body (e.g. a raw WARC payload) is inflated; anything else stays as is."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = inflater.decompress(body, MAX_GUNZIP)
    except (zlib.error, gzip.BadGzipFile):
        return body
    return data


def is_html(headers: Mapping[str, str], body: bytes) -> bool:
    """True when the response is an HTML document (by its Content-Type, else by sniffing).

    Whatever the header says, a body that starts like a known binary format, or has NUL bytes
    without a UTF-16/32 byte-order mark, is not HTML.
    """
    head = body[:SNIFF_BYTES]
    if head.startswith(WIDE_BOMS):  # UTF-16/32: sniff the decoded characters
        codec = "utf-32" if head.startswith(b"\x00\x00\xfe\xff") else "utf-16"
        head = head.decode(codec, errors="ignore").encode("utf-8", errors="ignore")
    if head.startswith(BINARY_MAGIC) or b"\x00" in head:
        return False
    ctype = (header(headers, "content-type") or "").split(";", 1)[0].strip().lower()
    if ctype and ctype not in ("application/octet-stream", "text/plain", "unknown/unknown"):
        return ctype in HTML_TYPES
    if ctype == "text/plain":  # mislabelled HTML happens; accept only an obvious document
        return bool(OBVIOUS_HTML.match(head))
    if XML_FEED.search(head):
        return False
    return bool(HTML_START.match(head.lstrip(b"\xef\xbb\xbf")))


def _detect(data: bytes) -> str | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    best = from_bytes(data[:65536]).best()
    if best is None:
        return "cp1252"
    return str(best.encoding)


def decode_html(headers: Mapping[str, str], body: bytes) -> tuple[str, str]:
    """The document as text and the encoding used. Never raises: bad bytes become U+FFFD."""
    encoding, text = html_to_unicode(
        header(headers, "content-type"), body, default_encoding="cp1252", auto_detect_fun=_detect
    )
    if encoding.replace("-", "").lower() == "utf8" and _mislabelled_utf8(text):
        encoding = _detect(body) or "cp1252"
        text = body.decode(encoding, errors="replace")
    return text, encoding


def _mislabelled_utf8(text: str) -> bool:
    """Declared UTF-8 but mostly invalid: more replacement characters than real non-ASCII ones."""
    bad = text.count("\ufffd")
    if not bad:
        return False
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return bad > non_ascii - bad


def parse_html(text: str) -> lxml.html.HtmlElement | None:
    """The document tree (``<html>`` root) of decoded HTML, or None when nothing parses."""
    text = INVALID_XML_CHARS.sub("", PROLOGUE.sub("", text, count=1))
    text = DOCUMENT_END.sub("", text)  # what follows a stray end is body, as in browsers
    if not text.strip():
        return None
    tree: lxml.html.HtmlElement = lxml.html.document_fromstring(text, parser=PARSER)
    return tree
