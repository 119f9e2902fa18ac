"""archive.warc.repair: an interrupted .open file keeps every complete record."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.cdxj.indexing import index_warc_file
from archive.errors import WarcRepairError
from archive.warc.repair import repair_directory, repair_file
from tests.support.warcs import exchange, fixed_writer


def interrupted_file(tmp_path: Path, exchanges: int) -> tuple[Path, list[int]]:
    """Write exchanges and leave the file open, as a SIGKILL would. Returns member end offsets."""
    writer = fixed_writer(tmp_path)
    ends = []
    for n in range(exchanges):
        loc = writer.write_exchange(exchange(f"http://globe.test/{n}"))
        ends.append(loc.framing.offset + loc.framing.length if loc.framing else 0)
    path = writer.current_path
    assert path is not None
    return path, ends


def record_count(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in ArchiveIterator(fh))


@pytest.mark.parametrize("cut", [1, 10, 50, -1])
def test_repair_cuts_a_torn_last_record(tmp_path: Path, cut: int) -> None:
    path, ends = interrupted_file(tmp_path, 3)
    data = path.read_bytes()
    # tear the file inside the last exchange's final member
    tear = ends[-1] - 1 if cut == -1 else ends[-2] + cut
    path.write_bytes(data[:tear])
    result = repair_file(path)
    assert result.repaired is not None and result.repaired.name.endswith(".warc.gz")
    assert not path.exists()
    kept = result.repaired.read_bytes()
    assert data.startswith(kept) and len(kept) >= ends[-2]
    # warcinfo + 2 complete exchanges of 3 records each, plus whatever of the third survived whole
    assert result.records == record_count(result.repaired) >= 1 + 2 * 3
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(result.repaired)])
    assert check.returncode == 0


def test_repair_keeps_an_intact_open_file_whole(tmp_path: Path) -> None:
    path, ends = interrupted_file(tmp_path, 2)
    size = path.stat().st_size
    result = repair_file(path)
    assert result.bytes_dropped == 0 and result.bytes_kept == size == ends[-1]
    assert result.records == 1 + 2 * 3


def test_repair_removes_a_file_with_nothing_valid(tmp_path: Path) -> None:
    path = tmp_path / "x-20250101000000000-00000-h.warc.gz.open"
    path.write_bytes(b"\x1f\x8b\x08garbage")
    result = repair_file(path)
    assert result.repaired is None and not path.exists()


def test_repair_directory_finds_nested_open_files_and_refuses_overwrite(tmp_path: Path) -> None:
    path, _ = interrupted_file(tmp_path / "event" / "warc", 1)
    twin = tmp_path / "copy" / path.name
    twin.parent.mkdir()
    shutil.copy(path, twin)
    results = repair_directory(tmp_path)
    assert {r.source for r in results} == {path, twin}
    final = path.with_name(path.name.removesuffix(".open"))
    bad = tmp_path / "event" / "warc" / (final.name + ".open")
    bad.write_bytes(b"")
    with pytest.raises(WarcRepairError, match="already exists"):
        repair_file(bad)


def test_repair_directory_with_cdxj_indexes_what_it_repaired(tmp_path: Path) -> None:
    path, _ = interrupted_file(tmp_path / "event" / "warc", 2)
    (result,) = repair_directory(tmp_path, on_repaired=index_warc_file)
    assert result.repaired is not None
    index = tmp_path / "event" / "cdxj" / result.repaired.name.replace(".warc.gz", ".cdxj")
    reference = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", "--sort", str(result.repaired)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert index.read_text() == reference.stdout and reference.stdout.count("\n") == 2
    assert not path.exists()
