"""The decision: which of the pick's lines the model drops and which other lines it adds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipelines.extract.blocks import Line
from pipelines.extract.linemodel.features import FEATURES, Page, Unit, features, union
from pipelines.extract.linemodel.trees import Model, load_model
from pipelines.extract.textclean import is_boilerplate, is_field_line, norm

MIN_KEPT_SHARE = 0.3  # kept words under this share of the pick's: the pick stands
NEW_BELOW = 0.5  # a line of another candidate is new when less of its trigrams are in the pick


def decide(page: Page, model: Model | None = None) -> list[Line] | None:
    """The pick's lines the model keeps, with the lines of other candidates it adds, in page
    order; None: keep the pick (no model, nothing to decide, or the model keeps under
    ``MIN_KEPT_SHARE`` of the pick's words)."""
    model = model if model is not None else load_model()
    pick = page.clean.get(page.pick, ())
    if model is None or not pick:
        return None
    units = union(page)
    if not units:
        return None
    x = features(page, units)
    return select(page, units, model.proba(x), model.drop_below, model.add_above, x)


def select(
    page: Page,
    units: Sequence[Unit],
    proba: np.ndarray,
    drop_below: float,
    add_above: float,
    x: np.ndarray,
) -> list[Line] | None:
    """The pick's lines whose unit scores at least ``drop_below``, and the units of other
    candidates scoring above ``add_above`` that are new (less than half their word trigrams in
    the pick: a candidate often breaks the same text into other lines), each placed after the
    pick's line it follows in page order; never a line ``may_add`` refuses. None when too few
    of the pick's words are kept."""
    pick = page.clean[page.pick]
    at = {u.key: i for i, u in enumerate(units)}
    in_pick, cover = FEATURES.index("in_pick"), FEATURES.index("pick_cover")
    added = [
        i
        for i in range(len(units))
        if not x[i, in_pick]
        and x[i, cover] < NEW_BELOW
        and proba[i] > add_above
        and may_add(units[i].line, page.title)
    ]
    slots: dict[int, list[int]] = {}  # index of a pick line (-1: before all) → units after it
    places = [at.get(norm(line.text), -1) for line in pick]
    j, last = 0, -1
    for i in added:
        while j < len(pick) and places[j] < i:
            if places[j] >= 0:
                last = j
            j += 1
        slots.setdefault(last, []).append(i)
    kept_words = 0
    out: list[Line] = [Line(units[i].line.text, -1 - i, units[i].line.kind,
                            units[i].line.link_chars) for i in slots.get(-1, ())]  # fmt: skip
    for n, line in enumerate(pick):
        u = places[n]
        if u < 0 or proba[u] >= drop_below:
            out.append(line)
            kept_words += line.words
        for i in slots.get(n, ()):
            unit = units[i].line
            out.append(Line(unit.text, -1 - i, unit.kind, unit.link_chars))
    if kept_words < MIN_KEPT_SHARE * sum(line.words for line in pick):
        return None
    return out


def may_add(line: Line, title: str) -> bool:
    """Whether the model may add ``line`` to the pick: not boilerplate by ``textclean``'s rules
    (share and cookie prompts, "Read more" lines…), and not a byline, a dateline or the title,
    which are the article's fields, not its text. WCXB's annotators keep some of these, so the
    model learned to add them back; the text stays what ``textclean`` allows (out of fold on
    WCXB and on the article-extraction benchmark the score does not move)."""
    return not is_boilerplate(line) and not is_field_line(line, title)
