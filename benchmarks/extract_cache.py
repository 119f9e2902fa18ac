r"""Cache every extractor's output per page of the extraction benchmarks, for simulating rules.

For each page of ``aeb`` and ``wcxb`` (see ``extract_eval.py``) this writes, to one JSON-lines
file per set in ``--out`` (default ``benchmarks/work/extract-cache``, not committed): the
shipped text (the pick, before the line model), the raw and cleaned lines of trafilatura's
precision, default and recall modes and of readability, resiliparse's main-content text (the
judge), the page's word count and signals (JSON-LD types, og:type, article signals), the summary
of its tree (the line model's ``dom_context``) and the tree itself as HTML
(``train_linemodel.py`` recomputes the summary from it when ``dom_context`` changed, without a
rebuild). The tree is read as ``extract()`` reads it (``strip_furniture`` first). Candidate
choice rules can then be scored in seconds.

    .venv/bin/python benchmarks/extract_cache.py [--set wcxb] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402
import trafilatura  # noqa: E402

from benchmarks.extract_eval import DEFAULT_DATA, HEADERS, LOADERS  # noqa: E402
from pipelines.extract import choice  # noqa: E402
from pipelines.extract import extractor as ex  # noqa: E402
from pipelines.extract.blocks import Line, lines_of  # noqa: E402
from pipelines.extract.fields import resolve_fields  # noqa: E402
from pipelines.extract.jsonld import jsonld_objects  # noqa: E402
from pipelines.extract.judge import judge_text  # noqa: E402
from pipelines.extract.linemodel import dom_context  # noqa: E402
from pipelines.extract.meta import page_meta  # noqa: E402
from pipelines.extract.prepare import prepare, strip_furniture  # noqa: E402
from pipelines.extract.readability import readability_lines  # noqa: E402
from pipelines.extract.textclean import clean_lines, mark_links  # noqa: E402

MODES = {
    "precision": {"favor_precision": True, "include_comments": False},
    "default": {"include_comments": False},
    "recall": {"favor_recall": True, "include_comments": False},
}


def _lines(lines: list[Line]) -> list[list[Any]]:
    return [[ln.text, ln.group, ln.kind, ln.link_chars] for ln in lines]


def _types(tree: Any) -> list[str]:
    found = []
    for obj in jsonld_objects(tree):
        t = obj.get("@type") if isinstance(obj, dict) else None
        found.extend(t if isinstance(t, list) else [t] if t else [])
    return sorted({str(t) for t in found})


def page_record(url: str, body: bytes) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    t0 = time.process_time()
    article = ex.extract(url, HEADERS, body, line_model=True)
    rec["shipped"] = article.text if article else ""
    rec["shipped_cpu"] = time.process_time() - t0
    parsed = ex._parse(HEADERS, body)
    if parsed is None:
        return rec
    tree, html, _ = parsed
    strip_furniture(tree)  # as extract() does, before anything reads the tree
    t0 = time.process_time()
    rec["resiliparse"] = judge_text(html)
    rec["resiliparse_cpu"] = time.process_time() - t0
    meta = page_meta(tree, url)
    og = tree.xpath("//meta[@property='og:type']/@content")
    rec["signals"] = {"article": list(meta.article_signals), "jsonld": _types(tree),
                      "og": [str(v) for v in og]}  # fmt: skip
    anchors = ex._anchors(tree)
    prepare(tree)
    rec["context"] = dom_context(tree)
    rec["html"] = lxml.html.tostring(tree, encoding="unicode")  # to try other DOM features
    rec["page_words"] = choice.words_in_page(tree)
    fields = resolve_fields(meta, None, tree, url, None)
    title, authors = fields.title or "", fields.authors
    rec["title"] = title
    for name, options in MODES.items():
        doc = trafilatura.bare_extraction(tree, url=url, **options)
        raw = mark_links(lines_of(doc.body) if doc is not None else [], anchors)
        rec[f"{name}_raw"] = _lines(raw)
        rec[name] = _lines(clean_lines(raw, title=title, authors=authors).lines)
    raw = mark_links(readability_lines(lxml.html.tostring(tree, encoding="unicode")), anchors)
    rec["readability_raw"] = _lines(raw)
    rec["readability"] = _lines(clean_lines(raw, title=title, authors=authors).lines)
    return rec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("aeb", "wcxb", "both"), default="both")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--start", type=int, default=0, help="skip the first pages (shards)")
    parser.add_argument("--suffix", default="", help="file name suffix (shards)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "work" / "extract-cache")
    args = parser.parse_args(argv)
    # "shipped" is the pick of ``choose`` before the line model edits it: the model is trained
    # on that pick (train_linemodel.py finds it among the candidates by its text)
    choice.load_line_model = lambda: None  # type: ignore[assignment]
    args.out.mkdir(parents=True, exist_ok=True)
    for set_name in ("aeb", "wcxb") if args.set == "both" else (args.set,):
        pages = list(LOADERS[set_name](DEFAULT_DATA[set_name]))[args.start :][: args.limit]
        with (args.out / f"{set_name}{args.suffix}.jsonl").open("w", encoding="utf-8") as out:
            for page in pages:
                rec = page_record(page.url, page.body)
                rec.update(id=page.id, url=page.url, truth=page.truth, site=page.site)
                out.write(json.dumps(rec) + "\n")
        print(f"{set_name}: {len(pages)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
