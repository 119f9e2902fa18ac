"""A learned keep/drop decision for every line any extractor found (``extract_linemodel``).

``choose`` (extractor.py) picks one extractor's whole text per page. Each candidate is right on
some lines and wrong on others: precision mode drops a table the article needs, recall mode
keeps the related-story teasers under it. Here the lines of all candidates (trafilatura's three
modes and readability, each before and after ``textclean``, and the judge's lines) are merged
into one sequence in page order (``union``), each line is described by what the extractors and
the judge say about it, its form, its place relative to the pick, its words against the title
and the rest of the pick, and its element in the page's tree (``features``; the tree is
summarised once per page by ``dom_context``: the element's tag and block, sibling repetition
above it, where it meets the pick's lede and main container), and a small model of boosted
decision trees, trained on labelled pages (``benchmarks/train_linemodel.py``) and shipped as a
data file in this package, says which to keep. The pick's text is kept when the model keeps too
little of it (``MIN_KEPT_SHARE``), so a page that had text never comes out empty.

Inference is a few array operations per page (``Model.proba``); the model is deterministic data.

Modules: ``tree`` (the page's tree summarised once, a line's element in it), ``features`` (the
union of the candidates' lines, one row of features each), ``trees`` (the shipped boosted
trees), ``decision`` (drop, add, and the floor that keeps the pick).
"""

from pipelines.extract.linemodel.decision import MIN_KEPT_SHARE, NEW_BELOW, decide, select
from pipelines.extract.linemodel.features import CANDIDATES, FEATURES, Page, Unit, features, union
from pipelines.extract.linemodel.tree import DOM_FLAGS, dom_context
from pipelines.extract.linemodel.trees import MODEL_PATH, Model, load_model

__all__ = [
    "CANDIDATES",
    "DOM_FLAGS",
    "FEATURES",
    "MIN_KEPT_SHARE",
    "MODEL_PATH",
    "NEW_BELOW",
    "Model",
    "Page",
    "Unit",
    "decide",
    "dom_context",
    "features",
    "load_model",
    "select",
    "union",
]
