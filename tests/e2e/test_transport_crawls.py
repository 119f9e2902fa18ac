"""The real web's transport in crawls with the ``newsarc`` command (the installed environment,
pywb and its brotli package included): one article under every Content-Encoding, and crawls
through a real forward proxy (``tests/support/forward_proxy.py``) over HTTP and CONNECT.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from pathlib import Path

from crawler.demoweb import DemoWeb, demo_event_path
from tests.conftest import SLUG, DemoCrawl, newsarc, warc_records
from tests.support.forward_proxy import ForwardProxy
from tests.support.pages import ARTICLE, ENCODED, articles
from tests.support.rawserver import RawServer
from tests.support.tls import TlsServer

# --- the decoder -------------------------------------------------------------------------------


# --- proxy choice and request bytes ------------------------------------------------------------


# --- crawls ------------------------------------------------------------------------------------


def raw_page(coding: str, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        + f"Content-Encoding: {coding}\r\nVary: Accept-Encoding\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def event_file(tmp_path: Path, seeds: list[str], extra: str = "") -> Path:
    path = tmp_path / "event.toml"
    path.write_text(
        f'[event]\nname = "Transport"\nslug = "{SLUG}"\nstart = 2025-03-30\nend = 2025-04-05\n'
        'languages = ["en"]\n[match]\nall = [["Wang Yi"], ["Moscow"]]\n'
        f"[sources]\nseeds = {json.dumps(seeds)}\nfollow_links = false\n"
        "[limits]\ndownload_delay = 0\n"
        '[politeness]\nuser_agent = "newsarc-test (+https://example.org/newsarc)"\n' + extra
    )
    return path


def env_without_proxies(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(extra)
    return env


def test_one_article_under_every_coding_is_archived_exactly_and_extracted(
    tmp_path: Path,
) -> None:
    pages = {f"/{name}".encode(): raw_page(*ENCODED[name]) for name in ENCODED}
    server = RawServer(pages)
    urls = [f"http://enc.test/{name}" for name in ENCODED]
    out = tmp_path / "out"
    proc = newsarc(
        "crawl",
        str(event_file(tmp_path, urls)),
        "--out",
        str(out),
        "--connect-to",
        f"enc.test=127.0.0.1:{server.port}",
        "--json",
        env=env_without_proxies(),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    sent = [r for r in server.requests if not r.startswith(b"GET /robots.txt")]
    assert all(b"\r\nAccept-Encoding: gzip, deflate, br, zstd" in r for r in sent)
    responses = {r.target_uri: r for r in warc_records(out / SLUG / "warc") if r.type == "response"}
    found = articles(out)
    for name in ENCODED:
        url = f"http://enc.test/{name}"
        assert responses[url].block == pages[f"/{name}".encode()], name  # encoded, byte-exact
        assert url in found, f"{name}: no article"
        assert "Wang Yi held talks with Russian Foreign Minister" in found[url]["text"], name
        assert "Copyright" not in found[url]["text"]
    stats = json.loads(proc.stdout)["counters"]
    assert stats["newsarc/decoded/br"] == 2
    assert stats["newsarc/decoded/zstd"] == 1
    assert not any(k.startswith("newsarc/errors/") for k in stats)
    got = newsarc("get", "http://enc.test/br", "--archive", str(out), "--text")
    assert got.returncode == 0, got.stderr
    assert "Wang Yi held talks with Russian Foreign Minister" in got.stdout


SECRET = "pr0xy-s3cret"


def all_bytes(out: Path) -> bytes:
    """Every file of the archive, WARCs decompressed: where a credential must never be."""
    data = b""
    for path in out.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            data += gzip.decompress(raw) if path.name.endswith(".warc.gz") else raw
    return data


def assert_no_credentials(*texts: bytes | str) -> None:
    b64 = base64.b64encode(f"newsarc:{SECRET}".encode()).decode()
    for text in texts:
        blob = text if isinstance(text, str) else text.decode("latin-1")
        assert SECRET not in blob and b64 not in blob


def test_demo_crawl_through_an_http_proxy(tmp_path: Path, demo_crawl: DemoCrawl) -> None:
    out = tmp_path / "out"
    with (
        DemoWeb(slow_seconds=0.5, huge_bytes=8 * 1024 * 1024) as web,
        ForwardProxy(hosts=web.connect_to(), credentials=("newsarc", SECRET)) as proxy,
    ):
        env = env_without_proxies(http_proxy=proxy.url(), https_proxy=proxy.url())
        proc = newsarc("crawl", str(demo_event_path()), "--out", str(out), "--json", "-v", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = warc_records(out / SLUG / "warc")
    responses = [r for r in records if r.type == "response"]
    fetched = {r.target_uri for r in responses}
    # through the proxy, in absolute form, every one of them
    assert fetched and fetched <= set(proxy.targets("GET"))
    requests = [r for r in records if r.type == "request"]
    assert all(r.block.startswith(b"GET http://") for r in requests)
    assert all(b"Proxy-Authorization: [redacted]" in r.block for r in requests)
    assert all(r.get("WARC-IP-Address") is None for r in responses)
    via = [r for r in records if r.type == "metadata" and b"via-proxy: " in r.block]
    assert {r.target_uri for r in via} == fetched
    assert all(f"via-proxy: http://127.0.0.1:{proxy.port}/".encode() in r.block for r in via)
    # archives and extracts as without it
    direct = articles(demo_crawl.out)
    proxied = articles(out)
    assert set(proxied) == set(direct)
    assert all(proxied[u]["text"] == direct[u]["text"] for u in direct)
    assert_no_credentials(all_bytes(out), proc.stdout, proc.stderr)


def test_https_through_a_connect_tunnel_is_archived_end_to_end(
    tmp_path: Path, tls_server: TlsServer
) -> None:
    out = tmp_path / "out"
    hosts = {"secure.test": f"127.0.0.1:{tls_server.port}"}
    with ForwardProxy(hosts=hosts, credentials=("newsarc", SECRET)) as proxy:
        env = env_without_proxies(https_proxy=proxy.url())
        event = event_file(tmp_path, ["https://secure.test/"])
        proc = newsarc("crawl", str(event), "--out", str(out), "--json", "-v", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(proxy.targets("CONNECT")) == {"secure.test:443"}
    auth = "Basic " + base64.b64encode(f"newsarc:{SECRET}".encode()).decode()
    assert all(a == auth for m, _, a in proxy.log if m == "CONNECT")
    records = warc_records(out / SLUG / "warc")
    responses = {r.target_uri: r for r in records if r.type == "response"}
    requests = {r.target_uri: r for r in records if r.type == "request"}
    assert set(responses) == {"https://secure.test/robots.txt", "https://secure.test/"}
    served = {req.split(b" ", 2)[1]: (req, resp) for req, resp in tls_server.log}
    for url, record in responses.items():
        request_bytes, response_bytes = served[url.removeprefix("https://secure.test").encode()]
        assert b"Proxy-Authorization" not in request_bytes  # never inside the tunnel
        assert requests[url].block == request_bytes  # the end-to-end exchange, byte-exact
        assert record.block == response_bytes
    assert_no_credentials(all_bytes(out), proc.stdout, proc.stderr)


def test_no_proxy_and_the_address_guard(tmp_path: Path) -> None:
    page = raw_page("identity", ARTICLE)
    server = RawServer({b"/a": page})
    url = f"http://127.0.0.1:{server.port}/a"
    with ForwardProxy() as proxy:
        # no_proxy: fetched directly
        env = env_without_proxies(http_proxy=proxy.url(), no_proxy="127.0.0.1")
        event = event_file(tmp_path, [url])
        direct = newsarc(
            "crawl", str(event), "--out", str(tmp_path / "a"), "--allow-private-addresses",
            "--json", env=env,
        )  # fmt: skip
        assert direct.returncode == 0, direct.stderr[-2000:]
        assert proxy.log == []
        assert url in articles(tmp_path / "a")
        # through the proxy, the guard still refuses a loopback target (the proxy's own
        # loopback address is the user's choice and is allowed)
        env = env_without_proxies(http_proxy=proxy.url())
        refused = newsarc("crawl", str(event), "--out", str(tmp_path / "b"), "--json", env=env)
        assert proxy.log == []
        stats = json.loads(refused.stdout)["counters"]
        assert stats["newsarc/refused/private_address"] >= 1
        allowed = newsarc(
            "crawl", str(event), "--out", str(tmp_path / "c"), "--allow-private-addresses",
            "--json", env=env,
        )  # fmt: skip
        assert allowed.returncode == 0, allowed.stderr[-2000:]
        assert url in proxy.targets("GET")
        assert url in articles(tmp_path / "c")


def test_a_refusing_proxy_is_one_line_per_host_and_the_crawl_goes_on(
    tmp_path: Path, tls_server: TlsServer
) -> None:
    pages = {b"/a": raw_page("identity", ARTICLE), b"/b": raw_page("identity", ARTICLE)}
    server = RawServer(pages)
    hosts = {"secure.test": f"127.0.0.1:{tls_server.port}", "open.test": f"127.0.0.1:{server.port}"}
    seeds = ["https://secure.test/", "https://secure.test/two", "http://open.test/a"]
    with ForwardProxy(hosts=hosts, refuse=frozenset({"secure.test"})) as proxy:
        env = env_without_proxies(http_proxy=proxy.url(), https_proxy=proxy.url())
        proc = newsarc(
            "crawl", str(event_file(tmp_path, seeds)), "--out", str(tmp_path / "out"),
            "--json", env=env,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "http://open.test/a" in articles(tmp_path / "out")
    stats = json.loads(proc.stdout)["counters"]
    assert stats["newsarc/proxy/error/connect_403"] >= 3  # robots.txt and two pages
    lines = [line for line in proc.stderr.splitlines() if "refused the tunnel" in line]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert "secure.test" in lines[0] and "403 Forbidden" in lines[0]


def test_proxy_authentication_required_is_not_archived_as_the_page(tmp_path: Path) -> None:
    server = RawServer({b"/a": raw_page("identity", ARTICLE)})
    hosts = {"open.test": f"127.0.0.1:{server.port}"}
    with ForwardProxy(hosts=hosts, credentials=("newsarc", SECRET)) as proxy:
        env = env_without_proxies(http_proxy=proxy.url(with_credentials=False))
        event = event_file(tmp_path, ["http://open.test/a"])
        proc = newsarc("crawl", str(event), "--out", str(tmp_path / "out"), "--json", env=env)
    stats = json.loads(proc.stdout)["counters"]
    assert stats["newsarc/proxy/error/auth_required"] >= 2  # robots.txt and the page
    assert server.requests == []
    assert not [r for r in warc_records(tmp_path / "out" / SLUG / "warc") if r.type == "response"]
    lines = [line for line in proc.stderr.splitlines() if "requires authentication" in line]
    assert len(lines) == 1 and "open.test" in lines[0]
