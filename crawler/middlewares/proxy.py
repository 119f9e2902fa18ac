"""Which requests go through a forward proxy (Scrapy's HttpProxyMiddleware slot, 750). The
``--proxy`` option or the event's ``[network] proxy`` (``NEWSARC_PROXY``, both schemes) wins over
the environment's ``http_proxy``/``https_proxy``; ``NEWSARC_NO_PROXY`` (else ``no_proxy``) lists
hosts fetched directly (curl's syntax: ``example.org`` covers its subdomains, ``*`` all,
``host:port`` one port). ``NEWSARC_PROXY = "none"`` ignores the environment. A host mapped with
``--connect-to`` is always fetched directly: the user named its address. A ``meta["proxy"]`` set
on a request is kept, as in Scrapy.

How the capture handler then talks to the proxy, and what the WARC holds:
:mod:`crawler.capture.proxy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.request import (  # type: ignore[attr-defined]
    getproxies_environment,
    proxy_bypass_environment,
)

from scrapy.downloadermiddlewares.httpproxy import HttpProxyMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from crawler.capture.proxy import parse_proxy

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler


class ProxyMiddleware(HttpProxyMiddleware):
    """Scrapy's HttpProxyMiddleware with the proxy and the no-proxy list as plain values."""

    def __init__(
        self,
        proxies: dict[str, str],
        no_proxy: str = "",
        *,
        direct_hosts: frozenset[str] = frozenset(),
        auth_encoding: str | None = "latin-1",
    ) -> None:
        self.auth_encoding = auth_encoding
        self.proxies = {scheme: self._get_proxy(url, scheme) for scheme, url in proxies.items()}
        self.no_proxy = no_proxy
        self.direct_hosts = direct_hosts

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.getbool("HTTPPROXY_ENABLED"):
            raise NotConfigured
        env = getproxies_environment()
        chosen = (s.get("NEWSARC_PROXY") or "").strip()
        if chosen.lower() == "none":
            proxies: dict[str, str] = {}
        elif chosen:
            parse_proxy(chosen)  # a clear error now, not one per request
            proxies = {"http": chosen, "https": chosen}
        else:
            proxies = {k: env[k] for k in ("http", "https") if env.get(k)}
        no_proxy = s.get("NEWSARC_NO_PROXY")
        if no_proxy is None:
            no_proxy = env.get("no", "")
        if not isinstance(no_proxy, str):
            no_proxy = ",".join(no_proxy)
        direct = frozenset(k.lower() for k in s.getdict("NEWSARC_CONNECT_TO"))
        return cls(
            proxies,
            no_proxy,
            direct_hosts=direct,
            auth_encoding=s.get("HTTPPROXY_AUTH_ENCODING"),
        )

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if "proxy" in request.meta:
            super().process_request(request)
            return
        parsed = urlparse_cached(request)
        scheme, host = parsed.scheme, (parsed.hostname or "").lower()
        if scheme not in self.proxies or self._direct(host, parsed.port):
            self._set_proxy_and_creds(request, None, None, None)
            return
        creds, proxy_url = self.proxies[scheme]
        self._set_proxy_and_creds(request, proxy_url, creds, scheme)

    def _direct(self, host: str, port: int | None) -> bool:
        if host in self.direct_hosts or (port and f"{host}:{port}" in self.direct_hosts):
            return True
        if not self.no_proxy:
            return False
        target = f"{host}:{port}" if port else host
        return bool(proxy_bypass_environment(target, proxies={"no": self.no_proxy}))
