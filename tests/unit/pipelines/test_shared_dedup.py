"""The shared dedup log of distributed crawls (real Redis): workers adding articles in any
interleaving get exactly the verdicts one index gives for the log's order."""

from __future__ import annotations

import random

from archive.cluster.connection import connect
from crawler.demoweb.content import load_articles
from pipelines.dedup.index import DedupIndex
from pipelines.dedup.shared import SharedDedup
from pipelines.dedup.signatures import signatures

ARTICLES = {a.id: a for a in load_articles()}
SIGS = {i: signatures("\n\n".join(a.paragraphs), a.title) for i, a in ARTICLES.items()}


def test_three_replicas_agree_with_one_index_in_log_order(redis_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = connect(redis_url)
    workers = [SharedDedup(DedupIndex(tmp_path / f"r{n}.sqlite"), client, "log") for n in range(3)]
    order = sorted(ARTICLES)
    random.Random(7).shuffle(order)
    got = {}
    for n, doc in enumerate(order):  # articles land on workers in turn
        a = ARTICLES[doc]
        got[doc] = workers[n % 3].add(doc, a.url, None, a.published_at, SIGS[doc])
    # one process seeing the log's order gives the same verdicts
    single = DedupIndex()
    for doc in order:
        a = ARTICLES[doc]
        assert single.add(doc, a.url, None, a.published_at, SIGS[doc]) == got[doc], doc
    kinds = {v.kind for v in got.values()}
    assert "unique" in kinds and kinds - {"unique"}, "the demo articles have duplicates"
    # replicas caught up to the end are identical
    for w in workers:
        w.catch_up()
        assert len(w.index) == len(order)
    assert (
        workers[0].index.store.doc_by_id(order[-1])["kind"]
        == (workers[1].index.store.doc_by_id(order[-1])["kind"])
    )


def test_an_entry_written_twice_changes_nothing(redis_url: str) -> None:
    client = connect(redis_url)
    shared = SharedDedup(DedupIndex(), client, "log")
    doc = sorted(ARTICLES)[0]
    a = ARTICLES[doc]
    first = shared.add(doc, a.url, None, a.published_at, SIGS[doc])
    again = shared.add(doc, a.url, None, a.published_at, SIGS[doc])  # a retried XADD
    assert first == again and len(shared.index) == 1


def test_a_replica_resumes_from_the_last_entry_it_applied(redis_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = connect(redis_url)
    docs = sorted(ARTICLES)[:4]
    writer = SharedDedup(DedupIndex(), client, "log")
    for doc in docs[:2]:
        a = ARTICLES[doc]
        writer.add(doc, a.url, None, a.published_at, SIGS[doc])
    path = tmp_path / "replica.sqlite"
    with DedupIndex(path) as index:
        assert len(SharedDedup(index, client, "log").catch_up()) == 2
    for doc in docs[2:]:
        a = ARTICLES[doc]
        writer.add(doc, a.url, None, a.published_at, SIGS[doc])
    with DedupIndex(path) as index:
        replica = SharedDedup(index, client, "log")
        assert set(replica.catch_up()) == set(docs[2:])  # only what it had not applied
        assert len(index) == 4
