"""HTTP(S) download handler that archives the exact bytes sent and received.

Scrapy's own handlers hand plugins a normalised Response: header case and order lost,
repeated headers collapsed, reason phrase gone, body de-chunked. This handler speaks
HTTP/1.1 itself over asyncio streams (h11 tracks message framing), so it holds the bytes
exactly as they crossed the wire (for HTTPS: the decrypted stream), archives them as WARC
request/response records, and still gives Scrapy an ordinary Response (Content-Encoding is
left for HttpCompressionMiddleware, as with Scrapy's handler).

Connections are kept alive and reused per scheme, server name, IP and port
(``crawler/capture/connpool.py``; ``NEWSARC_KEEPALIVE``); a reused connection the server had closed
is retried once on a new one when nothing at all came back. Every exchange is archived on its
own. Requests with ``meta["proxy"]`` go through that HTTP proxy: absolute-form for http://,
a CONNECT tunnel for https:// (``crawler/capture/proxy.py`` says what the WARC then holds).
``request.meta["newsarc_record"]`` receives the response's RecordLocation.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import h11
from scrapy.core.downloader.handlers._base_http import BaseHttpDownloadHandler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
    NotSupported,
    ResponseDataLossError,
)
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from archive.errors import PageTooLarge, PrivateAddressRefused, WarcWriteError
from archive.warc import records as warc
from crawler.capture.addresses import check_target, parse_connect_to, resolve
from crawler.capture.connpool import Connection, ConnectionPool, Key
from crawler.capture.exchange import Capture, send_and_read
from crawler.capture.proxy import (
    Proxy,
    ProxyFailed,
    ReportedOnce,
    connect_request,
    open_tunnel,
    parse_proxy,
)
from crawler.capture.wire import build_request_bytes, redact_for_archive
from crawler.signals import force_stop
from pipelines.warc import WarcService

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.cluster.gate import HostGate

logger = logging.getLogger(__name__)
_MAX_HEAD = 256 * 1024  # largest response head h11 accepts


@dataclass(frozen=True)
class Route:
    """How one request reaches its server: directly, through a proxy, or through a tunnel."""

    key: Key  # connection-pool key
    tls_host: str | None  # server name for TLS with the origin (https), else None
    proxy: Proxy | None = None
    forward: bool = False  # http:// through the proxy: absolute-form request to the proxy
    connect_ip: str | None = None  # where to connect when it is not key's address (tunnels)
    connect_port: int | None = None
    tunnel: bytes | None = None  # the CONNECT request opening the tunnel (https via proxy)

    @property
    def ip(self) -> str:
        return self.connect_ip or self.key[2]


class RefusedRequest(IgnoreRequest):
    """A fetch refused by policy (address guard, page size): Scrapy's IgnoreRequest, so it is
    counted and skipped quietly, never retried; the pure-core reason is ``__cause__``."""


class CaptureDownloadHandler(BaseHttpDownloadHandler):
    lazy = False

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.connect_to = parse_connect_to(s.getdict("NEWSARC_CONNECT_TO"))
        self.allow_private = s.getbool("NEWSARC_ALLOW_PRIVATE_ADDRESSES")
        self.verify = s.getbool("DOWNLOAD_VERIFY_CERTIFICATES")
        warc_service = crawler.get_extension(WarcService)
        if warc_service is None:
            raise NotConfigured("the capture handler needs pipelines.warc.WarcService (EXTENSIONS)")
        self.warc = warc_service
        self.keepalive = s.getbool("NEWSARC_KEEPALIVE", True)
        self.pool = ConnectionPool(idle_timeout=s.getfloat("NEWSARC_KEEPALIVE_IDLE", 4.0))
        self._proxy_warned: set[str] = set()  # hosts whose proxy failure was logged
        self._default_delay = s.getfloat("DOWNLOAD_DELAY")
        self._per_host = s.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        ReportedOnce.install("scrapy.downloadermiddlewares.robotstxt")
        self._inflight: set[asyncio.Future[Response]] = set()
        self._aborted = False
        crawler.signals.connect(self.abort, signal=force_stop)

    def abort(self) -> None:
        """Cancel every download in flight (a forced stop); each fails with
        ``DownloadCancelledError`` and nothing of it is archived (it is fetched next time)."""
        self._aborted = True
        for task in list(self._inflight):
            task.cancel()

    async def download_request(self, request: Request) -> Response:
        if self._aborted:
            raise DownloadCancelledError(f"{request.url}: the crawl was stopped")
        task = asyncio.ensure_future(self._download_gated(request))
        self._inflight.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            if not (self._aborted and task.cancelled()):
                raise
            self.stats.inc_value("newsarc/shutdown/cancelled_downloads")
            raise DownloadCancelledError(f"{request.url}: the crawl was stopped") from None
        finally:
            self._inflight.discard(task)

    async def _download_gated(self, request: Request) -> Response:
        gate = self._gate
        if gate is None:
            return await self._download(request)
        # a distributed crawl: the host's politeness holds for the whole cluster
        url = urlsplit(request.url)
        key = request.meta.get("download_slot") or f"{url.hostname}:{url.port or ''}"
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(key) if engine is not None else None
        delay = slot.delay if slot is not None else self._default_delay
        token = await gate.acquire(key, delay, self._per_host)
        try:
            return await self._download(request)
        finally:
            gate.release(key, token)

    @functools.cached_property
    def _gate(self) -> HostGate | None:
        from crawler.cluster.worker import ClusterWorker

        worker = self.crawler.get_extension(ClusterWorker)
        return worker.gate if worker is not None else None

    async def _download(self, request: Request) -> Response:
        url = urlsplit(request.url)
        if url.scheme not in ("http", "https"):
            raise NotSupported(f"unsupported scheme {url.scheme!r}")
        host = url.hostname or ""
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            route = await self._route(request, url.scheme, host, port)
        except PrivateAddressRefused as exc:
            self.stats.inc_value("newsarc/refused/private_address")
            raise RefusedRequest(str(exc)) from exc
        except ProxyFailed as exc:
            raise self._proxy_failed(request, exc) from exc
        except OSError as exc:
            raise CannotResolveHostError(f"{host}: {exc}") from exc
        timeout = float(request.meta.get("download_timeout") or 180)
        maxsize = int(request.meta.get("download_maxsize", self._default_maxsize) or 0)
        wire = build_request_bytes(
            request,
            keep_alive=self.keepalive,
            absolute_form=route.forward,
            proxy_auth=route.forward,
        )
        started = datetime.now(UTC)
        cap = Capture()
        error: BaseException | None = None
        try:
            async with asyncio.timeout(timeout):
                await self._exchange(route, wire, cap, maxsize)
        except TimeoutError:
            cap.truncated = cap.truncated or "time"
            error = DownloadTimeoutError(
                f"Getting {request.url} took longer than {timeout} seconds."
            )
        except ProxyFailed as exc:
            error = self._proxy_failed(request, exc)
        except ConnectionRefusedError as exc:
            if route.proxy is not None:
                failed = ProxyFailed(
                    f"proxy {route.proxy.netloc} unreachable: {exc}", "unreachable"
                )
                error = self._proxy_failed(request, failed)
            else:
                error = DownloadConnectionRefusedError(str(exc))
                error.__cause__ = exc
        except (OSError, h11.ProtocolError) as exc:
            if cap.raw:
                cap.truncated = cap.truncated or "disconnect"
            error = DownloadFailedError(f"{request.url}: {exc}")
            error.__cause__ = exc  # what kind of failure it was (crawler.capture.failures.classify)
        if route.forward and route.proxy is not None and cap.status == 407 and error is None:
            # the proxy's refusal, not the site's page: nothing to archive under the site's URL
            why = f"proxy {route.proxy.netloc} requires authentication"
            raise self._proxy_failed(request, ProxyFailed(why, "auth_required"))
        if cap.raw:
            await self._archive(request, wire, cap, started, route)
        if error is not None:
            self.stats.inc_value(f"newsarc/fetch/error/{type(error).__name__}")
            raise error
        if cap.truncated == "length":
            self.stats.inc_value("newsarc/refused/too_large")
            too_large = PageTooLarge(f"{request.url}: larger than max page size ({maxsize} bytes)")
            raise RefusedRequest(str(too_large)) from too_large
        if not cap.complete:
            if self._fail_on_dataloss:
                raise ResponseDataLossError(
                    f"{request.url}: connection lost before the end of the body"
                )
            flags = ["dataloss"]
        else:
            flags = []
        return self._response(request, cap, route.ip, flags)

    async def _route(self, request: Request, scheme: str, host: str, port: int) -> Route:
        """Where to connect for ``request``: the origin, or a proxy (and how to talk through it)."""
        proxy_value = request.meta.get("proxy")
        if not proxy_value:
            target = await resolve(
                host, port, connect_to=self.connect_to, allow_private=self.allow_private
            )
            return Route(
                (scheme, host, target.ip, target.port), host if scheme == "https" else None
            )
        try:
            proxy = parse_proxy(proxy_value)
        except ValueError as exc:
            raise ProxyFailed(str(exc), "unsupported") from None
        # the guard protects the target; the proxy is the user's own choice
        await check_target(host, port, connect_to=self.connect_to, allow_private=self.allow_private)
        try:
            found = await resolve(proxy.host, proxy.port, connect_to={}, allow_private=True)
        except (OSError, PrivateAddressRefused) as exc:
            raise ProxyFailed(f"proxy {proxy.netloc} unreachable: {exc}", "unreachable") from None
        if scheme == "http":
            key = ("http", f"proxy {proxy.netloc}", found.ip, found.port)
            return Route(key, None, proxy=proxy, forward=True)
        auth = request.headers.get(b"Proxy-Authorization")
        tunnel = connect_request(host, port, auth)
        key = (scheme, host, f"via {proxy.netloc} {found.ip}", port)
        return Route(
            key, host, proxy=proxy, connect_ip=found.ip, connect_port=found.port, tunnel=tunnel
        )

    def _proxy_failed(self, request: Request, exc: ProxyFailed) -> ProxyFailed:
        """Count ``exc``; one warning per proxy and host, the rest at debug level."""
        self.stats.inc_value(f"newsarc/proxy/error/{exc.kind}")
        host = urlsplit(request.url).netloc
        level = logging.DEBUG if host in self._proxy_warned else logging.WARNING
        self._proxy_warned.add(host)
        logger.log(level, "%s: %s", host, exc)
        return exc

    async def _exchange(self, route: Route, wire: bytes, cap: Capture, maxsize: int) -> None:
        key = route.key
        conn = self.pool.take(key) if self.keepalive else None
        if conn is not None:
            try:
                await send_and_read(conn, wire, cap, maxsize)
            except (OSError, h11.ProtocolError):
                await conn.close()
                if cap.raw:  # the server answered, then failed: a real error
                    raise
                # closed by the server while idle, nothing received: retry on a new connection
                self.stats.inc_value("newsarc/fetch/stale_connection_retried")
                cap.reset()
            except BaseException:
                await conn.close()
                raise
            else:
                self.stats.inc_value("newsarc/fetch/connection_reused")
                await self._release(key, conn, cap)
                return
        conn = await self._connect(route)
        self.stats.inc_value("newsarc/fetch/connection_opened")
        try:
            await send_and_read(conn, wire, cap, maxsize)
        except BaseException:
            await conn.close()
            raise
        await self._release(key, conn, cap)

    async def _connect(self, route: Route) -> Connection:
        ip, port = route.connect_ip or route.ip, route.connect_port or route.key[3]
        if route.tunnel is None:
            ctx = self._ssl if route.tls_host else None
            reader, writer = await asyncio.open_connection(
                ip, port, ssl=ctx, server_hostname=route.tls_host
            )
        else:
            reader, writer = await asyncio.open_connection(ip, port)
            try:
                await open_tunnel(reader, writer, route.proxy, route.tunnel)  # type: ignore[arg-type]
                await writer.start_tls(self._ssl, server_hostname=route.tls_host)
            except BaseException:
                writer.close()
                raise
            self.stats.inc_value("newsarc/proxy/tunnels")
        return Connection(
            reader, writer, h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEAD)
        )

    async def _release(self, key: Key, conn: Connection, cap: Capture) -> None:
        if not (
            self.keepalive and cap.complete and not cap.truncated and self.pool.give(key, conn)
        ):
            await conn.close()

    async def _archive(
        self, request: Request, wire: bytes, cap: Capture, started: datetime, route: Route
    ) -> None:
        exchange = warc.HttpExchange(
            url=request.url,
            request_bytes=redact_for_archive(wire),
            response_bytes=bytes(cap.raw),
            date=started,
            ip_address=None if route.proxy else route.ip,  # via a proxy: only it knows the IP
            truncated=cap.truncated,
            previous=request.meta.get("newsarc_previous"),  # a re-fetch may be a revisit
        )
        try:
            locations = await self.warc.write_exchange(exchange)
        except WarcWriteError as exc:
            # logged once by the WARC service, which also stops the crawl
            raise RefusedRequest(f"not archived, crawl stopping: {exc}") from exc
        request.meta["newsarc_record"] = locations.response
        if locations.revisit:
            request.meta["newsarc_revisit"] = locations.revisit
        if route.proxy is not None:
            self.stats.inc_value("newsarc/proxy/responses")
            mode = "absolute-form" if route.forward else "connect-tunnel"
            items = [("via-proxy", route.proxy.url), ("proxy-mode", mode)]
            self.warc.queue_metadata(request.url, locations.response.record_id, items)
        request.meta["newsarc_fetched_at"] = warc.warc_date(started)

    def _response(self, request: Request, cap: Capture, ip: str, flags: list[str]) -> Response:
        headers = Headers()
        for name, value in cap.headers:
            headers.appendlist(name, value)
        body = bytes(cap.body)
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return respcls(
            url=request.url,
            status=cap.status,
            headers=headers,
            body=body,
            flags=flags,
            request=request,
            ip_address=ipaddress.ip_address(ip),
            protocol="HTTP/1.1",
        )

    @functools.cached_property
    def _ssl(self) -> ssl.SSLContext:
        """One TLS context for the crawl (loading the CA store costs ~30 ms each time)."""
        ctx = ssl.create_default_context()
        if not self.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    async def close(self) -> None:
        await self.pool.close()
