"""archive.access.wacz: WACZ 1.1.1 packages that py-wacz validates and pywb replays."""

from __future__ import annotations

import base64
import gc
import gzip
import hashlib
import io
import itertools
import json
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

import pytest
from pywb.warcserver.resource.blockrecordloader import BlockArcWarcRecordLoader

from archive.access.wacz import INDEX_BLOCK_LINES, Page, WarcInput, rfc3339, write_wacz
from archive.errors import ArchiveFormatError, WarcError
from archive.warc import records as warc
from archive.warc.writer import WarcWriter

BIN = Path(sys.executable).parent
CREATED = datetime(2025, 4, 2, 8, 30, tzinfo=UTC)
T0 = datetime(2025, 4, 1, 12, 0, tzinfo=UTC)
RUSSIAN = (
    "<html><head><title>Переговоры</title></head><body><p>Ван И прибыл в Москву</p></body></html>"
)
# (WARC, url, seconds after T0, content type, body, page title or None when not a page)
CAPTURES = [
    (0, "http://globe.test/news/a", 1.0, "text/html", "<p>Talks begin</p>", "Talks begin"),
    (0, "http://globe.test/news/b", 2.5, "text/html; charset=utf-8", RUSSIAN, "Переговоры"),
    (1, "http://wire.test/story?id=7", 60.0, "text/html", "<p>Wire story</p>", "Wire story"),
    (1, "http://wire.test/site.css", 61.0, "text/css", "p { color: red }", None),
]


@dataclass(frozen=True)
class Inputs:
    warcs: list[Path]
    lines: list[str]  # sorted CDXJ of both WARCs, as cdxj-indexer --sort writes it
    pages: list[Page]
    bodies: dict[str, bytes]  # url -> HTTP body


def http_exchange(url: str, ctype: str, body: bytes, date: datetime) -> warc.HttpExchange:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
    return warc.HttpExchange(url, request, head.encode() + body, date, ip_address="127.0.0.1")


def cdxj(paths: list[Path]) -> list[str]:
    command = [sys.executable, "-m", "cdxj_indexer.main", "--sort", *map(str, paths)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    directory = tmp_path_factory.mktemp("warcs")
    ids = (f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>" for n in itertools.count(1))
    paths = []
    for n, prefix in enumerate(["event-a", "event-b"]):
        writer = WarcWriter(directory, prefix, clock=lambda: T0, record_id=lambda: next(ids))
        for w, url, seconds, ctype, body, _ in CAPTURES:
            if w == n:
                date = T0 + timedelta(seconds=seconds)
                writer.write_exchange(http_exchange(url, ctype, body.encode(), date))
        closed = writer.close()
        assert closed is not None
        paths.append(closed)
    pages = [
        Page(CAPTURES[0][1], "20250401120001", CAPTURES[0][5], "Talks begin", "p-a"),
        Page(CAPTURES[1][1], "2025-04-01T12:00:02.500000+00:00", CAPTURES[1][5], "Ван И", None),
        Page(CAPTURES[2][1], "2025-04-01T14:01:00+02:00", None, None, None),
    ]
    bodies = {url: body.encode() for _, url, _, _, body, _ in CAPTURES}
    return Inputs(paths, cdxj(paths), pages, bodies)


def opener(path: Path) -> Callable[[], BinaryIO]:
    def open_warc() -> BinaryIO:
        return path.open("rb")  # write_wacz closes it

    return open_warc


def warc_inputs(paths: list[Path]) -> list[WarcInput]:
    return [WarcInput(p.name, p.stat().st_size, opener(p)) for p in paths]


def package(inputs: Inputs, out: BinaryIO | Path, **changes: Any) -> Any:
    args: dict[str, Any] = {
        "warcs": warc_inputs(inputs.warcs),
        "cdxj_lines": inputs.lines,
        "pages": inputs.pages,
        "title": "Wang Yi in Moscow",
        "description": "News coverage of the visit.",
        "created": CREATED,
        "software": "newsarc test",
        "main_page_url": CAPTURES[0][1],
        "main_page_ts": "20250401120001",
    }
    args.update(changes)
    return write_wacz(out, **args)


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "wacz"), "validate", "-f", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def data_offset(wacz: Path, member: str) -> int:
    """Where a member's bytes start in the ZIP: after its local header (as range readers do)."""
    with zipfile.ZipFile(wacz) as zf:
        info = zf.getinfo(member)
    with open(wacz, "rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
    assert header[:4] == b"PK\x03\x04"
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return int(info.header_offset) + 30 + name_length + extra_length


def read_index(zf: zipfile.ZipFile) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    """The CDXJ lines of ``index.cdx.gz`` and the parsed ``index.idx`` block lines."""
    lines = gzip.decompress(zf.read("indexes/index.cdx.gz")).decode().splitlines()
    idx = zf.read("indexes/index.idx").decode().splitlines()
    assert idx[0] == '!meta 0 {"format": "cdxj-gzip-1.0", "filename": "index.cdx.gz"}'
    blocks = [(line[: line.index(" {")], json.loads(line[line.index(" {") :])) for line in idx[1:]]
    return lines, blocks


@pytest.fixture(scope="module")
def wacz(inputs: Inputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wacz") / "event.wacz"
    result = package(inputs, out)
    assert (result.path, result.warcs, result.pages) == (out, 2, 3)
    assert result.bytes == out.stat().st_size
    return out


def test_py_wacz_validate_accepts_it(wacz: Path) -> None:
    done = validate(wacz)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation succeeded" in done.stdout


def test_py_wacz_validate_rejects_a_tampered_copy(wacz: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(wacz) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/pages.jsonl":
                data = data.replace(b"Talks begin", b"Talks ended")
            dst.writestr(info, data)
    assert validate(tampered).returncode == 1


def test_datapackage_lists_every_member_with_its_hash(wacz: Path, inputs: Inputs) -> None:
    with zipfile.ZipFile(wacz) as zf:
        package_bytes = zf.read("datapackage.json")
        meta = json.loads(package_bytes)
        digest = json.loads(zf.read("datapackage-digest.json"))
        members = {name: zf.read(name) for name in zf.namelist()}
    assert digest == {
        "path": "datapackage.json",
        "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest(),
    }
    assert {k: v for k, v in meta.items() if k != "resources"} == {
        "profile": "data-package",
        "wacz_version": "1.1.1",
        "title": "Wang Yi in Moscow",
        "description": "News coverage of the visit.",
        "created": "2025-04-02T08:30:00Z",
        "software": "newsarc test",
        "mainPageUrl": "http://globe.test/news/a",
        "mainPageDate": "2025-04-01T12:00:01Z",
    }
    listed = {r["path"]: r for r in meta["resources"]}
    assert set(listed) == set(members) - {"datapackage.json", "datapackage-digest.json"}
    assert set(listed) >= {"indexes/index.cdx.gz", "indexes/index.idx", "pages/pages.jsonl"}
    for path, resource in listed.items():
        assert resource["hash"] == "sha256:" + hashlib.sha256(members[path]).hexdigest()
        assert resource["bytes"] == len(members[path])
        assert resource["name"] == path.rsplit("/", 1)[1]
    assert sorted(members) == list(members)  # entries in sorted order


def test_warcs_are_stored_byte_identical(wacz: Path, inputs: Inputs) -> None:
    with zipfile.ZipFile(wacz) as zf:
        infos = {info.filename: info for info in zf.infolist()}
        for path in inputs.warcs:
            info = infos["archive/" + path.name]
            assert info.compress_type == zipfile.ZIP_STORED
            assert zf.read(info) == path.read_bytes()
        assert infos["indexes/index.cdx.gz"].compress_type == zipfile.ZIP_STORED
        for name in ["indexes/index.idx", "pages/pages.jsonl", "datapackage.json"]:
            assert infos[name].compress_type == zipfile.ZIP_DEFLATED
    assert sorted(n for n in infos if n.startswith("archive/")) == [
        "archive/" + p.name for p in inputs.warcs
    ]


def test_pages_jsonl(wacz: Path, inputs: Inputs) -> None:
    with zipfile.ZipFile(wacz) as zf:
        raw = zf.read("pages/pages.jsonl")
        index_lines, _ = read_index(zf)
    lines = raw.decode("utf-8").split("\n")
    assert lines[-1] == ""
    assert json.loads(lines[0]) == {
        "format": "json-pages-1.0",
        "id": "pages",
        "title": "All Pages",
        "hasText": True,
    }
    pages = [json.loads(line) for line in lines[1:-1]]
    assert pages[0] == {
        "url": "http://globe.test/news/a",
        "ts": "2025-04-01T12:00:01Z",
        "title": "Talks begin",
        "text": "Talks begin",
        "id": "p-a",
    }
    assert pages[1]["ts"] == "2025-04-01T12:00:02Z"
    assert (pages[1]["title"], pages[1]["text"]) == ("Переговоры", "Ван И")
    assert "Переговоры".encode() in raw  # UTF-8, not \u escapes
    assert pages[2]["ts"] == "2025-04-01T12:01:00Z"
    assert "title" not in pages[2] and "text" not in pages[2]
    assert len({p["id"] for p in pages}) == 3
    # every page is found in the index at its URL and second, so replay can open it
    captured = {
        (json.loads(line.split(" ", 2)[2])["url"], line.split(" ")[1]) for line in index_lines
    }
    for page in pages:
        ts14 = datetime.strptime(page["ts"], "%Y-%m-%dT%H:%M:%SZ").strftime("%Y%m%d%H%M%S")
        assert (page["url"], ts14) in captured


def test_index_is_a_zipnum_of_the_cdxj(wacz: Path, inputs: Inputs) -> None:
    with zipfile.ZipFile(wacz) as zf:
        lines, blocks = read_index(zf)
        data = zf.read("indexes/index.cdx.gz")
    assert lines == inputs.lines
    assert len(blocks) == 1 and blocks[0][0] == " ".join(inputs.lines[0].split(" ")[:2])
    entry = blocks[0][1]
    assert (entry["offset"], entry["length"]) == (0, len(data))
    assert entry["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
    filenames = {json.loads(line.split(" ", 2)[2])["filename"] for line in lines}
    assert filenames == {p.name for p in inputs.warcs}  # basenames, resolved against archive/


def test_index_blocks_never_start_with_the_previous_prefix(tmp_path: Path, inputs: Inputs) -> None:
    name = inputs.warcs[0].name

    def line(key: str, n: int) -> str:
        return f'{key} 20250401120000 {{"offset": "{n}", "filename": "{name}"}}'

    # 1,500 lines share the first "<urlkey> <ts>" prefix, then 2,000 distinct ones
    lines = sorted(
        [line("test,globe)/a", 10_000 + i) for i in range(1500)]
        + [line(f"test,globe)/p{i:05d}", i) for i in range(2000)]
    )
    out = tmp_path / "big.wacz"
    package(inputs, out, cdxj_lines=lines, pages=[])
    with zipfile.ZipFile(out) as zf:
        read_back, blocks = read_index(zf)
        data = zf.read("indexes/index.cdx.gz")
    assert read_back == lines
    prefixes = [prefix for prefix, _ in blocks]
    assert prefixes == sorted(set(prefixes))
    sizes = []
    for prefix, entry in blocks:
        member = data[entry["offset"] : entry["offset"] + entry["length"]]
        block = gzip.decompress(member).decode().splitlines()
        assert " ".join(block[0].split(" ")[:2]) == prefix
        sizes.append(len(block))
    # the first block grows past 1,024 lines rather than give the next block the same prefix
    assert sizes == [1500, INDEX_BLOCK_LINES, 2000 - INDEX_BLOCK_LINES]
    assert validate(out).returncode == 0


def test_records_read_back_through_the_zip_with_pywb(wacz: Path, inputs: Inputs) -> None:
    with zipfile.ZipFile(wacz) as zf:
        lines, _ = read_index(zf)
    loader = BlockArcWarcRecordLoader()
    seen = set()
    for line in lines:
        fields = json.loads(line.split(" ", 2)[2])
        start = data_offset(wacz, "archive/" + fields["filename"])
        record = loader.load(str(wacz), start + int(fields["offset"]), int(fields["length"]))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
        assert record.raw_stream.read() == inputs.bodies[fields["url"]]
        seen.add(fields["url"])
    assert seen == set(inputs.bodies)


REPLAY = """
import base64, json, sys, wsgiref.util
from pywb.apps.frontendapp import FrontEndApp
env = {"PATH_INFO": sys.argv[1]}
wsgiref.util.setup_testing_defaults(env)  # an in-process request, no listening front end
status = []
body = b"".join(FrontEndApp()(env, lambda s, h, e=None: status.append(s)))
print(json.dumps({"status": status[0], "body": base64.b64encode(body).decode()}))
"""


def test_pywb_replays_a_page_from_the_wacz(wacz: Path, tmp_path: Path) -> None:
    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run(str(BIN / "wb-manager"), "init", "event")
    run(str(BIN / "wb-manager"), "add", "--unpack-wacz", "event", str(wacz))
    url = "/event/20250401120002id_/http://globe.test/news/b"
    answer = json.loads(run(sys.executable, "-c", REPLAY, url).splitlines()[-1])
    assert answer["status"] == "200 OK"
    assert base64.b64decode(answer["body"]).decode() == RUSSIAN


def test_a_non_seekable_warc_stream_of_unknown_size(tmp_path: Path, inputs: Inputs) -> None:
    procs: list[subprocess.Popen[bytes]] = []

    def piped(path: Path) -> Callable[[], BinaryIO]:
        def opener() -> BinaryIO:  # a real pipe: no seek, no size, short reads
            proc = subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)
            procs.append(proc)
            assert proc.stdout is not None and not proc.stdout.seekable()
            return cast(BinaryIO, proc.stdout)

        return opener

    warcs = [WarcInput(p.name, None, piped(p)) for p in inputs.warcs]
    out = tmp_path / "piped.wacz"
    package(inputs, out, warcs=warcs)
    assert [proc.wait(timeout=30) for proc in procs] == [0, 0]
    with zipfile.ZipFile(out) as zf:
        for path in inputs.warcs:
            assert zf.read("archive/" + path.name) == path.read_bytes()
    assert validate(out).returncode == 0


def test_writing_to_a_non_seekable_stream(tmp_path: Path, inputs: Inputs, wacz: Path) -> None:
    class Sink(io.RawIOBase):
        def __init__(self) -> None:
            self.parts: list[bytes] = []

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            self.parts.append(bytes(data))
            return len(data)

    sink = Sink()
    result = package(inputs, sink)  # type: ignore[arg-type]
    written = b"".join(sink.parts)
    assert (result.path, result.warcs, result.pages, result.bytes) == (None, 2, 3, len(written))
    copy = tmp_path / "streamed.wacz"
    copy.write_bytes(written)
    with zipfile.ZipFile(copy) as streamed, zipfile.ZipFile(wacz) as from_file:
        assert streamed.namelist() == from_file.namelist()
        for name in streamed.namelist():
            assert streamed.read(name) == from_file.read(name)
    assert validate(copy).returncode == 0


def test_output_is_deterministic_for_a_fixed_created(
    tmp_path: Path, inputs: Inputs, wacz: Path
) -> None:
    again = tmp_path / "again.wacz"
    package(inputs, again)
    assert again.read_bytes() == wacz.read_bytes()
    buffer = io.BytesIO()
    result = package(inputs, buffer)
    assert buffer.getvalue() == wacz.read_bytes() and result.bytes == len(buffer.getvalue())
    later = tmp_path / "later.wacz"
    package(inputs, later, created=CREATED + timedelta(days=1))
    assert later.read_bytes() != wacz.read_bytes()


def test_a_failure_leaves_no_partial_wacz(tmp_path: Path, inputs: Inputs) -> None:
    out = tmp_path / "event.wacz"
    out.write_bytes(b"the previous package")

    def gone() -> BinaryIO:
        raise OSError("storage went away")

    first, second = warc_inputs(inputs.warcs)
    with pytest.raises(OSError, match="storage went away"):
        package(inputs, out, warcs=[first, WarcInput(second.name, second.size, gone)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["event.wacz"]
    assert out.read_bytes() == b"the previous package"

    buffer = io.BytesIO()  # a stream keeps what was written, but never becomes a readable ZIP
    with pytest.raises(OSError, match="storage went away"):
        package(inputs, buffer, warcs=[first, WarcInput(second.name, second.size, gone)])
    gc.collect()  # a ZipFile left open would write its central directory when collected
    assert buffer.getvalue()
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(buffer)

    short = WarcInput(second.name, (second.size or 0) + 10, second.open)
    with pytest.raises(WarcError, match="expected"):
        package(inputs, tmp_path / "short.wacz", warcs=[first, short])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["event.wacz"]


def test_bad_inputs_are_refused_before_writing(tmp_path: Path, inputs: Inputs) -> None:
    out = tmp_path / "bad.wacz"
    with pytest.raises(ArchiveFormatError, match="not sorted"):
        package(inputs, out, cdxj_lines=list(reversed(inputs.lines)))
    stray = inputs.lines[0].replace(inputs.warcs[0].name, "elsewhere.warc.gz")
    with pytest.raises(ArchiveFormatError, match=r"elsewhere\.warc\.gz"):
        package(inputs, out, cdxj_lines=[stray])
    with pytest.raises(ArchiveFormatError, match="malformed"):
        package(inputs, out, cdxj_lines=["com,example)/ 20250401120000 not-json"])
    with pytest.raises(ArchiveFormatError, match="timestamp"):
        package(inputs, out, pages=[Page("http://globe.test/", "yesterday")])
    [only] = warc_inputs(inputs.warcs[:1])
    for name in ["../x.warc.gz", "x.txt", "a/b.warc.gz"]:
        with pytest.raises(ValueError, match="basename"):
            package(inputs, out, warcs=[WarcInput(name, only.size, only.open)])
    with pytest.raises(ValueError, match="unique"):
        package(inputs, out, warcs=[only, only])
    assert list(tmp_path.iterdir()) == []


def test_resource_names_are_valid_frictionless_names(tmp_path: Path, inputs: Inputs) -> None:
    source = inputs.warcs[0]
    upper = WarcInput("Crawl+One.warc.gz", source.stat().st_size, opener(source))
    lower = WarcInput("crawl-one.warc.gz", source.stat().st_size, opener(source))
    out = tmp_path / "names.wacz"
    package(
        inputs,
        out,
        warcs=[upper, lower],
        cdxj_lines=[],
        pages=[],
        main_page_url=None,
        main_page_ts=None,
    )
    with zipfile.ZipFile(out) as zf:
        meta = json.loads(zf.read("datapackage.json"))
    names = {r["path"]: r["name"] for r in meta["resources"]}
    assert names["archive/Crawl+One.warc.gz"] == "crawl-one.warc.gz"
    assert names["archive/crawl-one.warc.gz"] == "crawl-one.warc.gz-2"
    assert "mainPageUrl" not in meta
    assert validate(out).returncode == 0


def test_rfc3339_timestamps() -> None:
    assert rfc3339("20250401120001") == "2025-04-01T12:00:01Z"
    assert rfc3339("2025-04-01T14:00:01.999+02:00") == "2025-04-01T12:00:01Z"
    assert rfc3339("2025-04-01T12:00:01Z") == "2025-04-01T12:00:01Z"
    assert rfc3339("2025-04-01T12:00:01") == "2025-04-01T12:00:01Z"  # naive means UTC
    with pytest.raises(ArchiveFormatError):
        rfc3339("2025040112")
