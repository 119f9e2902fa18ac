"""archive.cdxj.index / archive.cdxj.lookup: byte-identical to cdxj-indexer, and binary-search
lookups."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from archive.cdxj.index import (
    cdxj_bytes,
    index_warc,
    merge_sorted,
    response_line,
    sort_lines,
)
from archive.cdxj.indexing import index_name
from archive.cdxj.lookup import lookup
from archive.cdxj.sources import STORAGE_BLOCK_SIZE, FileSource, StorageSource
from archive.errors import ObjectNotFound
from archive.storage.keys import Storage
from archive.storage.local import LocalStorage
from archive.storage.s3 import S3Storage
from archive.warc import records as warc
from archive.warc.reader import iter_records
from tests.conftest import SLUG, DemoCrawl
from tests.support.cdxj import (
    probe_urls,
    reference,
    synthetic_index,
)


def test_demo_crawl_indexes_are_identical_to_cdxj_indexer(demo_crawl: DemoCrawl) -> None:
    paths = sorted(demo_crawl.warc_dir.glob("*.warc.gz"))
    assert len(paths) >= 2
    total = 0
    for path in paths:
        expected = reference(path)
        with path.open("rb") as fh:
            assert cdxj_bytes(sort_lines(index_warc(fh, str(path)))) == expected, path.name
        with path.open("rb") as fh:
            lines = [
                response_line(
                    url=r.target_uri,
                    warc_date=r.get("WARC-Date") or "",
                    http_head=warc.split_head(r.block)[0],
                    payload_digest=r.get("WARC-Payload-Digest"),
                    offset=r.offset,
                    length=r.length,
                    filename=path.name,
                )
                for r in iter_records(fh)
                if r.type == "response"
            ]
        assert cdxj_bytes(sort_lines(lines)) == expected, path.name
        written = demo_crawl.out / SLUG / "cdxj" / index_name(path.name)  # by the crawl's writer
        assert written.read_bytes() == expected, path.name
        total += len(lines)
    assert total >= 20


def test_merged_demo_index_equals_cdxj_indexer_over_all_files(
    demo_crawl: DemoCrawl, tmp_path: Path
) -> None:
    paths = sorted(demo_crawl.warc_dir.glob("*.warc.gz"))
    per_warc = []
    for n, path in enumerate(paths):
        with path.open("rb") as fh:
            cdxj = tmp_path / f"{n}.cdxj"
            cdxj.write_bytes(cdxj_bytes(sort_lines(index_warc(fh, path.name))))
            per_warc.append(cdxj)
    handles = [p.open(encoding="utf-8") for p in [*per_warc, per_warc[0]]]  # one input twice
    try:
        merged = cdxj_bytes(merge_sorted(reversed(handles)))
    finally:
        for h in handles:
            h.close()
    assert merged == reference(*paths)


# -- lookups ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    lines = synthetic_index()
    path = tmp_path_factory.mktemp("cdxj") / "index.cdxj"
    path.write_bytes(cdxj_bytes(lines))
    return path, lines


def test_storage_source_on_s3_and_local_equals_file_source(
    index: tuple[Path, list[str]], make_s3: Callable[..., S3Storage], tmp_path: Path
) -> None:
    path, lines = index
    storages: list[Storage] = [make_s3("archive"), LocalStorage(tmp_path / "archive")]
    for storage in storages:
        storage.put_file("ev/index.cdxj", path)
        source = StorageSource(storage, "ev/index.cdxj")  # 64 KiB blocks: 13 of them
        assert source.size == path.stat().st_size
        with FileSource(path, block_size=STORAGE_BLOCK_SIZE) as reference_source:
            for url in probe_urls(lines):
                for prefix in (False, True):
                    got = lookup(source, url, prefix=prefix)
                    assert got == lookup(reference_source, url, prefix=prefix), url
            assert source.reads == reference_source.reads
        with pytest.raises(ObjectNotFound):
            StorageSource(storage, "ev/missing.cdxj")
