"""``newsarc replay``: pywb on 127.0.0.1 replays a local and an S3 archive (real Ceph RGW).

The archive is built here from crafted exchanges (non-ASCII HTML, a chunked response, a gzip
response, a redirect) written with our WarcWriter and indexed with ``cdxj-indexer --sort``, in
the layout ``<slug>/warc/<name>.warc.gz`` + ``<slug>/index.cdxj``. Two events share one URL with
different bodies, so a wrong event (or a wrong WARC directory) would show.
"""

from __future__ import annotations

import gzip
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.access.replay import StorageBlockLoader, WarcResolver, cached_index, select_events
from archive.errors import NotInArchive
from archive.storage import open_storage
from archive.storage.local import LocalStorage
from archive.warc.records import HttpExchange
from archive.warc.writer import WarcWriter
from tests.conftest import NEWSARC, newsarc
from tests.support.s3fixtures import S3Server

ALPHA, BETA = "replay-alpha", "replay-beta"
ALPHA_DATE = datetime(2025, 4, 1, 12, 0, 0, tzinfo=UTC)
BETA_DATE = datetime(2025, 4, 2, 9, 30, 0, tzinfo=UTC)
ALPHA_TS, BETA_TS = "20250401120000", "20250402093000"

ARTICLE = "http://news.test/ru/wang-yi.html"
CHUNKED = "http://news.test/live/chunked.html"
GZIPPED = "http://news.test/gzip.html"
REDIRECT = "http://news.test/old-link"
SHARED = "http://shared.test/front.html"

TEXT = "Ван И прибыл в Москву — 王毅抵达莫斯科 — Wang Yi à Moscou"
ARTICLE_BODY = (
    '<!doctype html><html><head><meta charset="utf-8"><title>Ван И</title></head>'
    f"<body><h1>{TEXT}</h1><p>Визит продлится два дня.</p></body></html>"
).encode()
CHUNKED_PAYLOAD = b"<html><body><p>chunk one, </p><p>chunk two</p></body></html>"
GZIP_HTML = b"<html><body><p>compressed coverage</p></body></html>"
GZIP_BODY = gzip.compress(GZIP_HTML, mtime=0)
SHARED_BODY = {ALPHA: b"<html><body>front page, day one</body></html>"}
SHARED_BODY[BETA] = b"<html><body>front page, day two</body></html>"
STARTUP_SECONDS = 60


# -- building the archive -------------------------------------------------------------------------
def response(status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode() + body


def exchange(url: str, date: datetime, response_bytes: bytes) -> HttpExchange:
    host, path = url.split("/", 3)[2], "/" + url.split("/", 3)[3]
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: newsarc-test\r\n\r\n"
    return HttpExchange(url, request.encode(), response_bytes, date, ip_address="127.0.0.1")


def chunked(payload: bytes, size: int = 17) -> bytes:
    parts = [payload[i : i + size] for i in range(0, len(payload), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def alpha_exchanges() -> list[HttpExchange]:
    html = [("Content-Type", "text/html; charset=utf-8")]
    return [
        exchange(ARTICLE, ALPHA_DATE, response("200 OK", html, ARTICLE_BODY)),
        exchange(
            CHUNKED,
            ALPHA_DATE,
            response("200 OK", [*html, ("Transfer-Encoding", "chunked")], chunked(CHUNKED_PAYLOAD)),
        ),
        exchange(
            GZIPPED,
            ALPHA_DATE,
            response(
                "200 OK",
                [*html, ("Content-Encoding", "gzip"), ("Content-Length", str(len(GZIP_BODY)))],
                GZIP_BODY,
            ),
        ),
        exchange(
            REDIRECT,
            ALPHA_DATE,
            response(
                "301 Moved Permanently", [("Location", ARTICLE), ("Content-Length", "0")], b""
            ),
        ),
        exchange(SHARED, ALPHA_DATE, response("200 OK", html, SHARED_BODY[ALPHA])),
    ]


def beta_exchanges() -> list[HttpExchange]:
    html = [("Content-Type", "text/html; charset=utf-8")]
    return [exchange(SHARED, BETA_DATE, response("200 OK", html, SHARED_BODY[BETA]))]


def write_event(root: Path, slug: str, exchanges: list[HttpExchange]) -> None:
    writer = WarcWriter(root / slug / "warc", slug, clock=lambda: exchanges[0].date, max_size=1500)
    for ex in exchanges:
        writer.write_exchange(ex)
    writer.close()
    warcs = sorted((root / slug / "warc").glob("*.warc.gz"))
    index = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", "--sort", *map(str, warcs)],
        capture_output=True,
        check=True,
        text=True,
    )
    (root / slug / "index.cdxj").write_text(index.stdout)


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("replay-archive")
    write_event(root, ALPHA, alpha_exchanges())
    write_event(root, BETA, beta_exchanges())
    (root / "no-index-yet" / "warc").mkdir(parents=True)  # an event without an index: skipped
    return root


def test_the_archive_spans_several_warcs_per_event(archive_dir: Path) -> None:
    warcs = list((archive_dir / ALPHA / "warc").glob("*.warc.gz"))
    index = (archive_dir / ALPHA / "index.cdxj").read_text()
    assert len(warcs) > 1  # max_size rotates: the resolver must find the right file
    assert {w.name for w in warcs} == set(re.findall(r'"filename": "([^"]+)"', index))


# -- running the command ----------------------------------------------------------------------
@dataclass
class Replay:
    proc: subprocess.Popen[bytes]
    base: str
    banner: str
    stderr: Path

    def get(
        self, path: str, *, host: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        """GET without following redirects: (status, body, lower-cased headers)."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        if host:
            request.add_header("Host", host)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as resp:
                return resp.status, resp.read(), {k.lower(): v for k, v in resp.headers.items()}
        except urllib.error.HTTPError as err:
            return err.code, err.read(), {k.lower(): v for k, v in err.headers.items()}

    def stop(self, sig: signal.Signals) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


Start = Callable[..., Replay]


@pytest.fixture(scope="module")
def run_replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Start]:
    """``start(*args, env=None)``: a running ``newsarc replay --port 0 *args`` (killed after)."""
    started: list[subprocess.Popen[bytes]] = []
    logs = tmp_path_factory.mktemp("replay-logs")

    def start(*args: str, env: dict[str, str] | None = None) -> Replay:
        stderr = logs / f"replay-{len(started)}.stderr"
        with stderr.open("w") as err:
            proc = subprocess.Popen(
                [*NEWSARC, "replay", "--port", "0", *args],
                stdout=subprocess.PIPE,
                stderr=err,
                bufsize=0,
                env=env,
            )
        started.append(proc)
        banner = read_banner(proc, stderr)
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", banner)
        assert match, banner
        return Replay(proc, match.group(0).rstrip("/"), banner, stderr)

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()


def read_banner(proc: subprocess.Popen[bytes], stderr: Path) -> str:
    """What the server prints once it listens, waited for with a deadline (select, no sleeps)."""
    assert proc.stdout is not None
    out = b""
    deadline = time.monotonic() + STARTUP_SECONDS
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while b"press Ctrl-C to stop\n" not in out:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"replay printed {out!r} in {STARTUP_SECONDS}s")
            if sel.select(timeout=left):
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    proc.wait(timeout=30)
                    raise AssertionError(f"replay exited {proc.returncode}: {stderr.read_text()}")
                out += chunk
    return out.decode()


# -- a local archive ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def local(archive_dir: Path, run_replay: Start) -> Replay:
    return run_replay("--archive", str(archive_dir))


def test_the_banner_names_each_event_with_an_index_and_all(local: Replay) -> None:
    lines = local.banner.splitlines()
    assert lines[0] == f"replaying 2 events at {local.base}/"
    assert [line.split()[:2] for line in lines[1:4]] == [
        [ALPHA, f"{local.base}/{ALPHA}/"],
        [BETA, f"{local.base}/{BETA}/"],
        ["all", f"{local.base}/all/"],
    ]
    assert "no-index-yet" not in local.banner  # a directory without an index is no event


@pytest.mark.parametrize(
    ("slug", "ts", "url", "payload"),
    [
        (ALPHA, ALPHA_TS, ARTICLE, ARTICLE_BODY),
        (ALPHA, ALPHA_TS, CHUNKED, CHUNKED_PAYLOAD),  # the entity body, framing removed
        (ALPHA, ALPHA_TS, SHARED, SHARED_BODY[ALPHA]),
        (BETA, BETA_TS, SHARED, SHARED_BODY[BETA]),
        (ALPHA, "2025", SHARED, SHARED_BODY[ALPHA]),  # a short timestamp: the closest capture
        ("all", ALPHA_TS, SHARED, SHARED_BODY[ALPHA]),
        ("all", BETA_TS, SHARED, SHARED_BODY[BETA]),
    ],
)
def test_id_mode_returns_the_archived_payload_exactly(
    local: Replay, slug: str, ts: str, url: str, payload: bytes
) -> None:
    status, body, headers = local.get(f"/{slug}/{ts}id_/{url}")
    assert (status, body) == (200, payload)
    assert headers["content-type"] == "text/html; charset=utf-8"


def test_a_gzip_response_replays_its_compressed_bytes_or_decoded(local: Replay) -> None:
    path = f"/{ALPHA}/{ALPHA_TS}id_/{GZIPPED}"
    status, body, headers = local.get(path, headers={"Accept-Encoding": "gzip"})
    assert (status, body, headers["content-encoding"]) == (200, GZIP_BODY, "gzip")
    status, body, headers = local.get(path)  # a client that does not accept gzip
    assert (status, body, headers.get("content-encoding")) == (200, GZIP_HTML, None)


def test_a_redirect_replays_as_a_redirect_into_the_archive(local: Replay) -> None:
    status, body, headers = local.get(f"/{ALPHA}/{ALPHA_TS}id_/{REDIRECT}")
    assert (status, body, headers["location"]) == (301, b"", ARTICLE)
    status, _, headers = local.get(f"/{ALPHA}/{ALPHA_TS}mp_/{REDIRECT}")
    assert status == 301
    assert headers["location"] == f"{local.base}/{ALPHA}/{ALPHA_TS}mp_/{ARTICLE}"


def test_the_rewritten_page_shows_the_text_in_pywb_frame(local: Replay) -> None:
    status, frame, _ = local.get(f"/{ALPHA}/{ALPHA_TS}/{ARTICLE}")
    assert status == 200
    assert b'id="replay_iframe"' in frame and ARTICLE.encode() in frame
    status, page, _ = local.get(f"/{ALPHA}/{ALPHA_TS}mp_/{ARTICLE}")
    assert status == 200
    assert TEXT in page.decode("utf-8")
    assert "wombat" in page.decode("utf-8")  # rewritten by pywb, not passed through


def test_the_home_page_lists_every_collection_and_unknown_ones_are_404(local: Replay) -> None:
    status, home, _ = local.get("/")
    assert status == 200
    for name in (ALPHA, BETA, "all"):
        assert f'href="/{name}"'.encode() in home
    assert b"no-index-yet" not in home
    assert local.get(f"/no-index-yet/{ALPHA_TS}id_/{ARTICLE}")[0] == 404
    assert local.get(f"/{BETA}/{ALPHA_TS}id_/{ARTICLE}")[0] == 404  # not in that event


def test_requests_for_another_host_name_are_refused(local: Replay) -> None:
    status, body, _ = local.get(f"/{ALPHA}/{ALPHA_TS}id_/{ARTICLE}", host="attacker.test")
    assert status == 421 and b"127.0.0.1" in body
    status, body, _ = local.get(f"/{ALPHA}/{ALPHA_TS}id_/{ARTICLE}", host="localhost")
    assert (status, body) == (200, ARTICLE_BODY)


def fetch_concurrently(replay: Replay, rounds: int = 8) -> None:
    """Many requests at once (each one a front-end request plus an internal index query)."""
    cases = [
        (f"/{ALPHA}/{ALPHA_TS}id_/{ARTICLE}", ARTICLE_BODY),
        (f"/{ALPHA}/{ALPHA_TS}id_/{CHUNKED}", CHUNKED_PAYLOAD),
        (f"/all/{BETA_TS}id_/{SHARED}", SHARED_BODY[BETA]),
    ] * rounds
    with ThreadPoolExecutor(max_workers=12) as pool:
        got = list(pool.map(lambda case: replay.get(case[0])[:2], cases))
    assert got == [(200, body) for _, body in cases]


def test_concurrent_requests_all_get_their_own_payload(local: Replay) -> None:
    fetch_concurrently(local)


def test_sigint_stops_the_server_with_exit_0(archive_dir: Path, run_replay: Start) -> None:
    replay = run_replay("--archive", str(archive_dir), "--event", BETA)
    assert replay.banner.splitlines()[:2] == [
        f"replaying 1 event at {replay.base}/",
        f"  {BETA}  {replay.base}/{BETA}/",
    ]
    assert "/all/" not in replay.banner  # one event: no "all" collection
    assert replay.get(f"/{BETA}/{BETA_TS}id_/{SHARED}")[:2] == (200, SHARED_BODY[BETA])
    assert replay.get(f"/{ALPHA}/{ALPHA_TS}id_/{ARTICLE}")[0] == 404  # not selected
    assert replay.stop(signal.SIGINT) == 0
    assert "Traceback" not in replay.stderr.read_text()


def test_a_busy_port_is_a_clear_error(archive_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = newsarc("replay", "--archive", str(archive_dir), "--port", port, timeout=60)
    assert result.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


# -- bad input ------------------------------------------------------------------------------------
def test_an_unknown_event_exits_4_naming_the_events(archive_dir: Path) -> None:
    result = newsarc("replay", "--archive", str(archive_dir), "--event", "nope", timeout=60)
    assert result.returncode == 4  # nothing found, as for get, list and export
    assert "'nope'" in result.stderr and f"{ALPHA}, {BETA}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_archive_exits_4(tmp_path: Path) -> None:
    result = newsarc("replay", "--archive", str(tmp_path / "absent"), timeout=60)
    assert result.returncode == 4
    assert "no event with an index" in result.stderr and "absent" in result.stderr


def test_help_ends_with_an_example() -> None:
    result = newsarc("replay", "--help", timeout=60)
    assert result.returncode == 0
    head, example = re.split(r"^Examples?:$", result.stdout.rstrip(), flags=re.M)
    assert "--archive" in head and "--event" in head and "--cache" in head
    lines = [line.strip() for line in example.strip().splitlines()]
    assert lines and all(line.startswith("newsarc replay ") for line in lines)
    assert lines[0] == "newsarc replay --archive ./newsarc-data --port 8080"


# -- an S3 archive (real Ceph RGW) ---------------------------------------------------------------
def s3_env(server: S3Server, tmp_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        NEWSARC_S3_ENDPOINT_URL=server.endpoint,
        AWS_ACCESS_KEY_ID=server.access_key,
        AWS_SECRET_ACCESS_KEY=server.secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
    )


@pytest.fixture
def s3_replay_archive(
    archive_dir: Path,
    s3_server: S3Server,
    s3_bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[str, dict[str, str]]:
    """The local test archive uploaded to s3://<bucket>/news/archive; (uri, env for newsarc)."""
    env = s3_env(s3_server, tmp_path)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, env[name])
    uri = f"s3://{s3_bucket}/news/archive"
    storage = open_storage(uri, endpoint_url=s3_server.endpoint)
    for path in sorted(p for p in archive_dir.rglob("*") if p.is_file()):
        storage.put_file(path.relative_to(archive_dir).as_posix(), path)
    return uri, env


def test_an_s3_archive_replays_through_ranged_reads(
    s3_replay_archive: tuple[str, dict[str, str]],
    archive_dir: Path,
    run_replay: Start,
    tmp_path: Path,
) -> None:
    uri, env = s3_replay_archive
    cache = tmp_path / "cache"
    replay = run_replay("--archive", uri, "--cache", str(cache), env=env)
    assert replay.banner.startswith(f"replaying 2 events at {replay.base}/")
    assert replay.get(f"/{ALPHA}/{ALPHA_TS}id_/{ARTICLE}")[:2] == (200, ARTICLE_BODY)
    assert replay.get(f"/{ALPHA}/{ALPHA_TS}id_/{CHUNKED}")[:2] == (200, CHUNKED_PAYLOAD)
    gz = replay.get(f"/{ALPHA}/{ALPHA_TS}id_/{GZIPPED}", headers={"Accept-Encoding": "gzip"})
    assert gz[:2] == (200, GZIP_BODY)
    assert replay.get(f"/all/{BETA_TS}id_/{SHARED}")[:2] == (200, SHARED_BODY[BETA])
    fetch_concurrently(replay, rounds=4)
    status, page, _ = replay.get(f"/{ALPHA}/{ALPHA_TS}mp_/{ARTICLE}")
    assert status == 200 and TEXT in page.decode("utf-8")
    # the indexes were copied into --cache; the WARCs were not (they are read by range)
    copies = sorted(cache.rglob("index.cdxj"))
    assert [c.parent.name for c in copies] == [ALPHA, BETA]
    assert copies[0].read_bytes() == (archive_dir / ALPHA / "index.cdxj").read_bytes()
    assert not list(cache.rglob("*.warc.gz"))
    assert replay.stop(signal.SIGTERM) == 0
    assert "Traceback" not in replay.stderr.read_text()


def test_the_index_cache_is_reused_while_the_object_is_unchanged(
    s3_replay_archive: tuple[str, dict[str, str]], s3_server: S3Server, tmp_path: Path
) -> None:
    uri, _ = s3_replay_archive
    storage = open_storage(uri, endpoint_url=s3_server.endpoint)
    first = cached_index(storage, ALPHA, tmp_path)
    stamp = first.stat().st_mtime_ns, first.stat().st_ino
    again = cached_index(storage, ALPHA, tmp_path)
    assert again == first and (again.stat().st_mtime_ns, again.stat().st_ino) == stamp
    storage.put_bytes(f"{ALPHA}/index.cdxj", b"")  # the index changed: copied again
    assert cached_index(storage, ALPHA, tmp_path).read_bytes() == b""


# -- the pieces, in process (no pywb import here: it would monkey-patch the test process) ---------
def test_select_events_defaults_to_all_and_names_what_is_missing() -> None:
    assert select_events(["a", "b"], None, "u") == ["a", "b"]
    assert select_events(["a", "b"], ["b", "a", "b"], "u") == ["b", "a"]
    with pytest.raises(
        NotInArchive, match=r"no index for event 'c' in u \(events with an index: a, b\)"
    ):
        select_events(["a", "b"], ["a", "c"], "u")
    with pytest.raises(NotInArchive, match="no event with an index"):
        select_events([], None, "u")


def test_the_resolver_maps_a_basename_into_its_events_warc_dir() -> None:
    resolve = WarcResolver("newsarc://t")
    assert resolve("x.warc.gz", {"source-coll": "ev"}) == "newsarc://t/ev/warc/x.warc.gz"
    assert resolve("../x.warc.gz", {"source-coll": "ev"}) is None
    assert resolve("d/x.warc.gz", {"source-coll": "ev"}) is None
    assert resolve("x.warc.gz", {"source-coll": ".."}) is None
    assert resolve("x.warc.gz", {}) is None


def test_the_block_loader_reads_ranges_through_the_storage(tmp_path: Path) -> None:
    data = bytes(range(256)) * 3
    (tmp_path / "ev" / "warc").mkdir(parents=True)
    (tmp_path / "ev" / "warc" / "a.warc.gz").write_bytes(data)
    StorageBlockLoader.storages["tok"] = LocalStorage(tmp_path)
    try:
        loader = StorageBlockLoader(cookie_maker=None)
        url = "newsarc://tok/ev/warc/a.warc.gz"
        assert loader.load(url, 10, 20).read() == data[10:30]
        assert loader.load(url, 700).read() == data[700:]
        assert loader.load(url, len(data)).read() == b""
        with pytest.raises(OSError, match="no storage registered"):
            loader.load("newsarc://other/ev/warc/a.warc.gz", 0, 1)
    finally:
        del StorageBlockLoader.storages["tok"]
