"""What "each article once, its latest capture" costs: reading an event's article sets through
the Python API with and without ``all_captures``, building the Arrow table, and syncing the
search index (whose row flags are recomputed after each change).

    .venv/bin/python benchmarks/article_rows.py [--articles 50000] [--crawls 3] [--recaptured 0.2]

The event has ``--articles`` URLs in its first crawl; each later crawl stores a new revision of
``--recaptured`` of them. Texts are about 2 KB. Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import tempfile
import time
from pathlib import Path

from archive import open_archive
from archive.articles.record import ArticleRecord, Dup, WarcRef
from archive.articles.search import SearchIndex
from archive.articles.store import ArticleStore

WORDS = [
    "Lavrov",
    "Wang",
    "Yi",
    "Moscow",
    "talks",
    "minister",
    "foreign",
    "visit",
    "Beijing",
    "cooperation",
    "strategic",
]


def build(root: Path, articles: int, crawls: int, recaptured: float) -> int:
    rng = random.Random(7)
    rows = 0
    for c in range(crawls):
        crawl_id = f"2025040{c + 1}T000000Z"
        store = ArticleStore(root / "ev", crawl_id)
        urls = (
            range(articles) if c == 0 else rng.sample(range(articles), int(articles * recaptured))
        )
        for n in urls:
            rid = f"<urn:uuid:{c:04d}{n:08d}>"
            text = " ".join(rng.choice(WORDS) for _ in range(300))
            store.add(
                ArticleRecord(
                    id=hashlib.sha256(rid.encode()).hexdigest()[:16],
                    url=f"https://news.example/{n}",
                    title=f"article {n}",
                    date="2025-04-01T10:00:00Z",
                    text=text,
                    fetched_at=f"2025-04-0{c + 1}T10:00:00Z",
                    crawl_id=crawl_id,
                    event="ev",
                    revision=c + 1,
                    dup=Dup(kind="unique" if c == 0 else "revision", of=None, score=0.0),
                    warc=WarcRef(
                        filename="a.warc.gz", offset=n, length=1, record_id=rid, payload_digest=None
                    ),
                ).to_json(),
                canonical_text=None,
            )
            rows += 1
        store.close()
    (root / "ev" / "warc").mkdir(exist_ok=True)
    return rows


def timed(label: str, fn: object) -> object:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    print(f"{label:<40} {time.perf_counter() - start:7.2f} s  {result}")
    return result


def refresh_flags(index: SearchIndex) -> int:
    from archive.articles.search import _FLAGS

    for statement in _FLAGS:
        index._db.execute(statement)
    return len(_FLAGS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--crawls", type=int, default=3)
    parser.add_argument("--recaptured", type=float, default=0.2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = build(root, args.articles, args.crawls, args.recaptured)
        print(f"{rows} captures of {args.articles} articles in {args.crawls} crawls")
        a = open_archive(root)
        timed(
            "stored_articles(all_captures=True)",
            lambda: sum(1 for _ in a.stored_articles(all_captures=True)),
        )
        timed("stored_articles() (latest)", lambda: sum(1 for _ in a.stored_articles()))
        timed(
            "stored_articles(unique=True)", lambda: sum(1 for _ in a.stored_articles(unique=True))
        )
        timed("to_arrow() rows", lambda: a.to_arrow().num_rows)
        with SearchIndex(root / "search.sqlite") as index:
            timed(
                "search index: first sync (+ flags)",
                lambda: index.sync(a.article_sources()).articles,
            )
            timed("search index: the row flags alone", lambda: refresh_flags(index))
            timed("search 'Lavrov' matches (latest)", lambda: index.matches("Lavrov"))
            timed("search 'Lavrov' top 20 (latest)", lambda: len(index.search("Lavrov")))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
