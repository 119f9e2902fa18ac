"""Tree fixes before the extractors run: page furniture, layout tables, image boxes, captions.

Navigation and complementary boxes (``<nav>``, ``<aside>``: menus, "related" and "most read"
lists, author boxes) are not the article. trafilatura's own cleaning deletes them, but its
fallbacks and readability read the uncleaned page, so ``strip_furniture`` removes them before
any extractor runs, and before the relevance gate reads the page's texts (so a headline about
the event in a "most read" box no longer sends an off-event page to extraction). Some sites
wrap the whole page in one of these elements; one that holds more than half of the page's
visible text is therefore kept. The page's declarations inside a removed element (JSON-LD,
``<meta>``) stay, moved to its place.

Old templates lay pages out with tables; extractors then see the whole page as one data table
and keep its navigation, byline and comments as "rows". A table is *layout* when it is marked
``role=presentation``, has a single cell, contains another table, has a cell holding a long
text, or has a cell holding several blocks and is not a regular grid (3+ rows of the same 3+
cells: a comparison chart, whose cells may hold a few paragraphs); layout tables are unwrapped
into ``div``s. A single-cell table holding an image and a few words is an image box (picture +
caption) and is removed, as are ``figcaption`` and elements whose class or id says
caption/credit.

Pages built for several screens often hold the same block twice or three times (a variant per
screen size, a ``<noscript>`` copy, a mobile menu): extractors then output the article twice.
``drop_repeats`` keeps the first of identical blocks of ``REPEAT_MIN_WORDS`` words or more.
"""

from __future__ import annotations

import re
from collections import Counter

from lxml import etree

BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre", "dl")
OWN_CELLS = etree.XPath("./tr/td | ./tr/th | ./*/tr/td | ./*/tr/th")
OWN_ROWS = etree.XPath("./tr | ./*/tr")
CELL_BLOCKS = etree.XPath(" | ".join(f".//{tag}" for tag in BLOCKS))
CAPTION_ATTR = re.compile(
    r"(?:^|[\s_-])(?:caption|photo-?credit|image-?credit|credits?)(?:$|[\s_-])", re.I
)
LONG_CELL_WORDS = 60
GRID_MIN = 3  # rows and cells per row of a regular grid, which is data, not layout
IMAGE_BOX_WORDS = 40
CAPTION_MAX_WORDS = 80
TABLE_PARTS = ("table", "tbody", "thead", "tfoot", "tr", "td", "th")
FURNITURE = ("nav", "aside")
FURNITURE_MAX_SHARE = 0.5  # of the page's visible characters; a larger element is kept
VISIBLE_TEXT = etree.XPath(".//text()[not(parent::script or parent::style)]", smart_strings=False)
DECLARATIONS = etree.XPath(".//script[contains(@type, 'ld+json')] | .//meta")
REPEAT_MIN_WORDS = 100


def _words(el: etree._Element) -> int:
    return len(" ".join(el.itertext()).split())


def is_layout_table(table: etree._Element) -> bool:
    if (table.get("role") or "").lower() in ("presentation", "none"):
        return True
    cells = OWN_CELLS(table)
    if len(cells) <= 1 or table.find(".//table") is not None:
        return True
    if any(_words(cell) > LONG_CELL_WORDS for cell in cells):
        return True
    return not _is_grid(table) and any(len(CELL_BLOCKS(cell)) >= 2 for cell in cells)


def _is_grid(table: etree._Element) -> bool:
    """At least ``GRID_MIN`` rows of the same number (at least ``GRID_MIN``) of cells: a data
    table (a comparison chart), even when its cells hold a few paragraphs each."""
    rows = OWN_ROWS(table)
    widths = {sum(1 for cell in row if cell.tag in ("td", "th")) for row in rows}
    return len(rows) >= GRID_MIN and len(widths) == 1 and min(widths) >= GRID_MIN


def _is_image_box(table: etree._Element) -> bool:
    cells = OWN_CELLS(table)
    return (
        len(cells) == 1
        and cells[0].find(".//img") is not None
        and table.find(".//table") is None
        and _words(table) <= IMAGE_BOX_WORDS
    )


def _unwrap(table: etree._Element) -> None:
    """Table, its own sections, rows and cells become divs (nested tables are left alone)."""
    parts = [table]
    for row in OWN_ROWS(table):
        parts.append(row)
        parent = row.getparent()
        if parent is not None and parent is not table:
            parts.append(parent)
        parts.extend(cell for cell in row if cell.tag in ("td", "th"))
    for el in parts:
        el.tag = "div"
        for attr in ("width", "height", "align", "valign", "bgcolor", "colspan", "rowspan"):
            el.attrib.pop(attr, None)


def _remove(el: etree._Element) -> None:
    """Remove ``el`` but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _captions(root: etree._Element) -> list[etree._Element]:
    found = list(root.iter("figcaption"))
    for el in root.xpath("//body//*[@class or @id]"):
        attrs = f"{el.get('class') or ''} {el.get('id') or ''}"
        if CAPTION_ATTR.search(attrs) and el.tag not in ("body", "article", "main"):
            found.extend([el] if _words(el) <= CAPTION_MAX_WORDS else [])
    return found


def _chars(el: etree._Element) -> int:
    return sum(len(s.strip()) for s in VISIBLE_TEXT(el))


def strip_furniture(root: etree._Element) -> int:
    """Remove the outermost ``<nav>`` and ``<aside>`` elements, unless one holds more than
    ``FURNITURE_MAX_SHARE`` of the page's visible text; returns how many were removed."""
    outer = [
        el
        for el in root.iter(*FURNITURE)
        if not any(a.tag in FURNITURE for a in el.iterancestors(*FURNITURE))
    ]
    if not outer:
        return 0
    body = root.find(".//body")
    limit = FURNITURE_MAX_SHARE * _chars(body if body is not None else root)
    removed = 0
    for el in outer:
        parent = el.getparent()
        if parent is None or _chars(el) > limit:
            continue
        at = parent.index(el)
        for offset, kept in enumerate(DECLARATIONS(el)):
            kept.tail = None
            parent.insert(at + offset, kept)  # moves it out of ``el``
        _remove(el)
        removed += 1
    return removed


def prepare(root: etree._Element) -> None:
    """Fix the tree in place (see the module doc). ``<base>`` goes too: links are not needed."""
    for base in list(root.iter("base")):
        _remove(base)
    tables = list(root.iter("table"))
    boxes = [t for t in tables if _is_image_box(t)]
    layout = [t for t in tables if t not in boxes and is_layout_table(t)]
    for table in layout:
        _unwrap(table)
    for el in boxes + _captions(root):
        if el.getparent() is not None:
            _remove(el)
    drop_repeats(root)


def drop_repeats(root: etree._Element) -> int:
    """Remove every later copy of a block whose text (``REPEAT_MIN_WORDS`` words or more, up to
    whitespace) an earlier block outside it already holds; returns how many were removed.
    Words are counted bottom-up first: only blocks whose count another block shares are read."""
    body = root.find(".//body")
    order = [el for el in (body if body is not None else root).iter() if isinstance(el.tag, str)]
    words: dict[etree._Element, int] = {}
    for el in reversed(order):  # as ``itertext`` reads: scripts too, comments' tails only
        n = len((el.text or "").split())
        for child in el:
            n += words.get(child, 0) + len((child.tail or "").split())
        words[el] = n
    shared = Counter(n for n in words.values() if n >= REPEAT_MIN_WORDS)
    first: dict[str, etree._Element] = {}
    repeats: list[etree._Element] = []
    gone: set[etree._Element] = set()
    for el in order:
        if el in gone:
            gone.update(el)  # its children: inside a removed copy
            continue
        n = words[el]
        if shared[n] < 2 or el.tag in ("script", "style") or words.get(el.getparent(), -1) == n:
            continue  # unique, or a wrapper's only child: its text is its parent's
        text = " ".join(" ".join(el.itertext()).split())
        earlier = first.get(text)
        if earlier is None:
            first[text] = el
        elif not any(a is earlier for a in el.iterancestors()):  # not inside the first
            repeats.append(el)
            gone.update(el)
    for el in repeats:
        _remove(el)
    return len(repeats)
