"""Browse an archive through pywb (``newsarc replay``), bound to 127.0.0.1 only.

pywb does the replay; this module only tells it where things are:

- one pywb collection per event slug, ``/<slug>/<timestamp>/<url>``, plus ``/all/`` when there
  are several events (an index group of every event's index);
- the index of an event is ``<slug>/index.cdxj`` (sorted, merged; ``filename`` fields are WARC
  basenames). A local archive's index is used in place; any other storage's index is copied
  once into ``cache_dir`` (reused while its size and ETag/sha256 are unchanged);
- a WARC record is found by a path resolver that maps ``(filename, cdx)`` to
  ``<root>/<slug>/warc/<filename>``, the slug being the index source the line came from. For a
  local archive that is a file path; otherwise it is ``newsarc://<token>/<slug>/warc/<name>``,
  and :class:`StorageBlockLoader`, registered in pywb's ``BlockLoader.loaders`` under the
  ``newsarc`` scheme, range-reads the record with the storage's own ``get_range`` (which knows
  the S3 endpoint, credentials and path-style addressing).

pywb runs on gevent and monkey-patches the standard library when imported, so every pywb import
is inside a function: ``import archive`` stays light. The patching must come before ``ssl`` or
urllib3 are imported (else their sockets stay blocking): a process that serves calls
:func:`patch_gevent` (or :func:`run`, which does) first; ``newsarc replay`` execs a fresh
interpreter for that (``crawler/cli/replay.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import signal
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from archive.errors import NewsarcError, NotInArchive, ObjectNotFound
from archive.storage import open_storage
from archive.storage.keys import Storage, object_key, segment_problem

__all__ = [
    "HOST",
    "ReplayApp",
    "StorageBlockLoader",
    "build_app",
    "events_with_index",
    "patch_gevent",
    "run",
    "select_events",
    "serve",
]

HOST = "127.0.0.1"
ALL = "all"  # the collection holding every event (when there are several)
INDEX = "index.cdxj"
SCHEME = "newsarc"  # pywb BlockLoader scheme for WARCs read through a Storage
ALLOWED_HOSTS = frozenset({HOST, "localhost", ""})  # Host headers served (no DNS rebinding)
CHUNK = 8 << 20


def patch_gevent() -> None:
    """Monkey-patch the standard library for gevent, as pywb's own ``wayback`` does first."""
    from gevent import monkey

    monkey.patch_all()


# -- which events -------------------------------------------------------------------------------
def events_with_index(storage: Storage) -> list[str]:
    """Slugs of the events that have ``<slug>/index.cdxj``, sorted."""
    return [slug for slug in storage.children("") if storage.exists(object_key(slug, INDEX))]


def select_events(available: list[str], wanted: Iterable[str] | None, uri: str) -> list[str]:
    """``wanted`` (in order, without repeats), or every available event; ``NotInArchive`` if
    there is nothing to replay or a wanted event has no index."""
    if not available:
        raise NotInArchive(f"no event with an index (<slug>/{INDEX}) in {uri}")
    chosen = list(dict.fromkeys(wanted or available))
    missing = [slug for slug in chosen if slug not in available]
    if missing:
        raise NotInArchive(
            f"no index for event {', '.join(map(repr, missing))} in {uri} "
            f"(events with an index: {', '.join(available)})"
        )
    return chosen


# -- reading WARC records and indexes through a Storage ---------------------------------------
class StorageBlockLoader:
    """A pywb block loader for ``newsarc://<token>/<key>``: ranged reads through a Storage."""

    storages: dict[str, Storage] = {}  # token → storage, filled by build_app

    def __init__(self, **kwargs: Any) -> None:  # pywb passes its loader profile (unused)
        pass

    def load(self, url: str, offset: int = 0, length: int = -1) -> BinaryIO:
        token, _, key = url.split("://", 1)[-1].partition("/")
        storage = self.storages.get(token)
        if storage is None:
            raise OSError(f"no storage registered for {SCHEME}://{token}/")
        if length < 0:  # to the end of the object
            info = storage.stat(key)
            if info is None:
                raise ObjectNotFound(f"no object {key!r} in {storage.uri}")
            length = info.size - offset
        if length <= 0:
            return io.BytesIO(b"")
        return io.BytesIO(storage.get_range(key, offset, length))


class WarcResolver:
    """pywb path resolver: CDXJ ``filename`` → ``<base>/<slug>/warc/<filename>``."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, filename: str, cdx: Any) -> str | None:
        slug = cdx.get("source-coll")  # the index source (event) the line came from
        if not (slug and _plain_name(slug) and _plain_name(filename)):
            return None  # not one of ours, or not a plain basename: "archive file not found"
        return f"{self.base}/{slug}/warc/{filename}"

    def __repr__(self) -> str:
        return f"WarcResolver({self.base!r})"


def _plain_name(name: str) -> bool:
    return "/" not in name and segment_problem(name) is None


def cached_index(storage: Storage, slug: str, cache_dir: Path) -> Path:
    """A local copy of ``<slug>/index.cdxj``, downloaded unless the cached one is current."""
    key = object_key(slug, INDEX)
    info = storage.stat(key)
    if info is None:
        raise ObjectNotFound(f"no object {key!r} in {storage.uri}")
    tag = hashlib.sha256(storage.uri.encode()).hexdigest()[:16]
    target = cache_dir / "indexes" / tag / slug / INDEX
    stamp = target.with_name(INDEX + ".source.json")
    source = {"uri": storage.uri, "key": key, "size": info.size}
    source |= {"etag": info.etag, "sha256": info.sha256}
    if info.etag or info.sha256:  # without a validator the copy is always refreshed
        try:
            if json.loads(stamp.read_text()) == source and target.stat().st_size == info.size:
                return target
        except (OSError, ValueError):
            pass
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{INDEX}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("wb") as out:
            for offset in range(0, info.size, CHUNK):
                out.write(storage.get_range(key, offset, min(CHUNK, info.size - offset)))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    stamp.write_text(json.dumps(source))
    return target


# -- the pywb application ------------------------------------------------------------------------
class ReplayApp:
    """The WSGI app: pywb's ``FrontEndApp`` behind a Host-header check (127.0.0.1/localhost)."""

    def __init__(
        self, pywb: Any, internal: Any, events: list[str], collections: list[str], token: str
    ) -> None:
        self.pywb = pywb
        self.internal = internal  # pywb's index/record server, which the front end queries
        self.events = events
        self.collections = collections
        self.token = token

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        host = str(environ.get("HTTP_HOST", "")).rsplit(":", 1)[0].lower()
        if host not in ALLOWED_HOSTS:
            body = b"newsarc replay answers only to 127.0.0.1 and localhost\n"
            start_response("421 Misdirected Request", [("Content-Type", "text/plain")])
            return [body]
        return self.pywb(environ, start_response)

    def close(self) -> None:
        """Stop pywb's internal server and forget the storage."""
        self.internal.stop()
        StorageBlockLoader.storages.pop(self.token, None)


def _pywb_path(path: Path) -> str:
    return str(path.resolve()).replace("{", "{{").replace("}", "}}")  # pywb formats it


def build_app(storage: Storage, *, events: list[str] | None, cache_dir: Path) -> ReplayApp:
    """A pywb app replaying ``events`` (default: every event with an index) of ``storage``.

    Importing pywb monkey-patches the process for gevent (see :func:`patch_gevent`).
    """
    from archive.storage.local import LocalStorage

    slugs = select_events(events_with_index(storage), events, storage.uri)
    cache_dir = Path(cache_dir)
    token = secrets.token_hex(8)
    if isinstance(storage, LocalStorage):
        base = str(storage.root.resolve())
        indexes = {s: _pywb_path(storage.root / s / INDEX) for s in slugs}
    else:
        base = f"{SCHEME}://{token}"
        indexes = {s: _pywb_path(cached_index(storage, s, cache_dir)) for s in slugs}
    paths = [WarcResolver(base)]
    collections: dict[str, Any] = {s: {"index": indexes[s], "archive_paths": paths} for s in slugs}
    if len(slugs) > 1 and ALL not in slugs:
        collections[ALL] = {"index_group": indexes, "archive_paths": paths}
    pywb, internal = _frontend(collections, cache_dir)
    StorageBlockLoader.storages[token] = storage
    return ReplayApp(pywb, internal, slugs, list(collections), token)


def replay_not_modified_as_original() -> None:
    """Make pywb replay a ``server-not-modified`` revisit as the response it refers to.

    pywb takes a revisit's status and headers from the revisit record itself: for a 304 that is
    "304 Not Modified" with no body, which a browser replaying an archive cannot use. newsarc's
    replay serves the original's status, headers and body instead (``newsarc get`` does the
    same). Identical-payload-digest revisits pywb already resolves. Installed once, idempotent.
    """
    from pywb.utils.io import no_except_close
    from pywb.warcserver.resource.resolvingloader import ResolvingLoader

    original = ResolvingLoader.load_headers_and_payload
    if getattr(original, "_newsarc", False):
        return

    def load_headers_and_payload(self: Any, cdx: Any, failed_files: Any, cdx_loader: Any) -> Any:
        if cdx.get("mime") == "warc/revisit" and cdx.get("filename", "-") != "-":
            revisit = self._resolve_path_load(cdx, False, failed_files)
            profile = revisit.rec_headers.get_header("WARC-Profile") or ""
            if profile.endswith("/revisit/server-not-modified"):
                payload = self._load_different_url_payload(cdx, revisit, failed_files, cdx_loader)
                no_except_close(revisit.raw_stream)
                return payload, payload
            no_except_close(revisit.raw_stream)
        return original(self, cdx, failed_files, cdx_loader)

    load_headers_and_payload._newsarc = True  # type: ignore[attr-defined]
    ResolvingLoader.load_headers_and_payload = load_headers_and_payload


def _frontend(collections: dict[str, Any], cache_dir: Path) -> tuple[Any, Any]:
    """pywb's FrontEndApp for ``collections``, and its internal server (moved to 127.0.0.1)."""
    from gevent.pywsgi import WSGIServer
    from pywb import DEFAULT_CONFIG
    from pywb.apps.frontendapp import FrontEndApp
    from pywb.utils.loaders import BlockLoader

    BlockLoader.loaders[SCHEME] = StorageBlockLoader
    replay_not_modified_as_original()
    unused = cache_dir / "pywb-unused"  # never created: nothing is read from the working dir
    config = {
        "collections": collections,
        "enable_auto_colls": False,
        "collections_root": str(unused / "collections"),
        "templates_dir": str(unused / "templates"),
        "static_dir": str(unused / "static"),
    }
    app = FrontEndApp(config_file=DEFAULT_CONFIG, custom_config=config)
    # pywb starts its internal index/record server on "localhost", logging every request;
    # replace it with a quiet one on 127.0.0.1 before it has run (nothing has been served yet)
    if app.warcserver_server.ge is not None:
        app.warcserver_server.ge.kill()
    app.warcserver_server.server.close()
    internal = WSGIServer((HOST, 0), app.warcserver, log=None)
    internal.start()
    upstream = f"http://{HOST}:{internal.address[1]}"
    app.rewriterapp.paths = {
        "replay": upstream + "/{coll}/resource/postreq",
        "cdx-server": upstream + "/{coll}/index",
    }
    return app, internal


# -- serving ------------------------------------------------------------------------------------
def serve(app: ReplayApp, port: int) -> None:
    """Serve ``app`` on 127.0.0.1:``port`` (0: a free port) until SIGINT or SIGTERM.

    Prints the URL to open (with the actual port) on stdout first.
    """
    import gevent
    from gevent.pywsgi import WSGIServer
    from pywb.utils.geventserver import RequestURIWSGIHandler

    server = WSGIServer((HOST, port), app, handler_class=RequestURIWSGIHandler)
    try:
        server.init_socket()
    except OSError as exc:
        raise NewsarcError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
    base = f"http://{HOST}:{server.address[1]}/"
    _announce(app, base)
    stops = [gevent.signal_handler(sig, server.stop) for sig in (signal.SIGINT, signal.SIGTERM)]
    try:
        server.serve_forever()
    finally:
        for stop in stops:
            stop.cancel()
        app.close()


def _announce(app: ReplayApp, base: str) -> None:
    count = len(app.events)
    lines = [f"replaying {count} event{'s' if count != 1 else ''} at {base}"]
    width = max(map(len, app.collections))
    for name in app.collections:
        note = "  (every event)" if name == ALL and name not in app.events else ""
        lines.append(f"  {name.ljust(width)}  {base}{name}/{note}")
    lines.append("press Ctrl-C to stop")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


# -- the process ----------------------------------------------------------------------------------
def run(uri: str, *, port: int, events: list[str] | None, cache_dir: Path | None) -> None:
    """Open the archive at ``uri`` and serve it until SIGINT/SIGTERM (patches gevent first)."""
    patch_gevent()
    storage = open_storage(uri)
    with tempfile.TemporaryDirectory(prefix="newsarc-replay-") as tmp:
        app = build_app(storage, events=events, cache_dir=cache_dir or Path(tmp))
        serve(app, port)
