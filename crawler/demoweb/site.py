"""Routing: (Host, path) -> Reply for the six publishers (four English, one Chinese, one
Russian), the GDELT imitation and the specials."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from . import feeds, gdelt, specials, traps
from .catalog import HOSTS, PUBLISHERS, SPECIALS
from .content import Article, articles_of, load_articles
from .editions import edition_articles, with_validators
from .protocol import Reply, Request, error_reply
from .render import Link, esc, related_links
from .templates import BY_HOST as TEMPLATES
from .templates import courier

Handler = Callable[[Request], Reply]
# section path -> (title, article section or None for all)
SECTIONS: dict[str, dict[str, tuple[str, str | None]]] = {
    "globe.test": {"/world/": ("World", "world"), "/business/": ("Business", "business"),
                   "/sport/": ("Sport", "sport")},
    "courier.test": {"/news/": ("News", None)},
    "herald.test": {"/news/": ("News", "news"), "/city/": ("City", "city")},
    "wire.test": {"/latest/": ("Latest", None), "/world/": ("World", "world")},
    "xinwen.test": {"/guoji/": ("国际", "guoji"), "/zhuanzai/": ("转载", "zhuanzai")},
    "novosti.test": {"/politika/": ("Политика", "politika"), "/gorod/": ("Город", "gorod")},
}  # fmt: skip
EXTRA_LINKS: dict[tuple[str, str], list[str]] = {  # (host, listing path) -> special names linked
    ("globe.test", "/"): ["redirect-301"],
    ("globe.test", "/world/"): ["query-explosion"],
    ("globe.test", "/business/"): ["chunked"],
    ("wire.test", "/"): ["server-error", "deep-segments", "long-url"],
    ("wire.test", "/latest/"): ["server-error"],
}
LINK_TEXT = {
    "redirect-301": "From the archive: Putin hosts Wang for talks",
    "query-explosion": "World news archive",
    "chunked": "Markets live",
    "server-error": "Factbox: China-Russia trade in numbers",
    "deep-segments": "Archive index",
    "long-url": "Saved search: China Russia relations",
}
BOILERPLATE = {
    ("globe.test", "/subscribe/"): "Subscribe to The Daily Globe",
    ("globe.test", "/profile/"): "Our journalists",
    ("courier.test", "/privacy.html"): "Privacy policy",
    ("herald.test", "/subscribe/"): "Subscribe to the Herald",
    ("herald.test", "/login/"): "Sign in",
    ("herald.test", "/cookies/"): "Cookie settings",
    ("wire.test", "/legal/cookies"): "Cookies",
    ("wire.test", "/legal/trust-principles"): "The Global Wire Trust Principles",
}
LITERAL_HOSTS = ("127.0.0.1", "localhost")
TEXT = "text/plain; charset=utf-8"


def _bytes(status: int, body: bytes, content_type: str) -> Reply:
    return Reply(status, body, [("Content-Type", content_type)])


class Site:
    """Answers requests; thread-safe (the only mutable state is the retry counter)."""

    def __init__(
        self,
        *,
        port: int,
        slow_seconds: float,
        huge_bytes: int,
        edition: int = 0,
        redesigned: frozenset[str] = frozenset(),
        shuffle: int | None = None,
    ):
        self.port = port
        self.redesigned = redesigned  # hosts whose article pages use their redesigned template
        self.shuffle = shuffle  # seed: listing pages list their links in a random order
        self.slow_seconds = slow_seconds
        self.huge_bytes = huge_bytes
        self.edition = edition
        articles = edition_articles(load_articles(), edition)
        self._articles = {(a.host, a.path): a for a in articles}
        self._tries: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._static = _static_files(articles)
        self._routes: dict[tuple[str, str], Handler] = {("gdelt.test", "/"): self._gdelt}
        self._routes[("gdelt.test", "/api/v2/doc/doc")] = self._gdelt
        self._add_special_routes()

    def respond(self, req: Request) -> Reply:
        return with_validators(req, self._respond(req))

    def _respond(self, req: Request) -> Reply:
        if req.method not in ("GET", "HEAD"):
            reply = error_reply(405, "Only GET and HEAD are supported.")
            reply.headers.append(("Allow", "GET, HEAD"))
            return reply
        if req.host in LITERAL_HOSTS:
            return self._internal(req)
        if req.host not in HOSTS:
            return error_reply(404, f"Unknown host {req.host!r}.")
        article = self._articles.get((req.host, req.path))
        if article is not None:
            return self._article(article)
        route = self._routes.get((req.host, req.path))
        if route is not None:
            return route(req)
        return self._publisher_pages(req) or self._patterns(req)

    # -- publishers ---------------------------------------------------------------------------

    def _html(self, host: str, text: str, status: int = 200) -> Reply:
        return specials.html(status, text, TEMPLATES[host].CHARSET)

    def _simple(self, host: str, title: str, body_html: str, status: int = 200) -> Reply:
        return self._html(host, TEMPLATES[host].simple_page(title, body_html), status)

    def _article(self, art: Article) -> Reply:
        template = TEMPLATES[art.host]
        if art.host in self.redesigned:
            return self._html(art.host, template.app_article_page(art, related_links(art)))
        return self._html(art.host, template.article_page(art, related_links(art)))

    def _listing(self, host: str, path: str, title: str, section: str | None) -> Reply:
        stories = [a for a in articles_of(host) if section is None or a.section == section]
        extra = [Link(SPECIALS[n].url, LINK_TEXT[n]) for n in EXTRA_LINKS.get((host, path), [])]
        if path == "/":
            extra += [Link(f"http://{host}{p}", t) for p, (t, _) in SECTIONS[host].items()]
        if self.shuffle is not None:
            order = random.Random(f"{self.shuffle}:{host}{path}")
            order.shuffle(stories)
            order.shuffle(extra)
        return self._html(host, TEMPLATES[host].listing_page(title, stories, extra))

    def _not_found(self, host: str) -> Reply:
        body = "<p>Sorry, we could not find that page. It may have been moved or deleted.</p>"
        return self._simple(host, "Page not found", body, 404)

    def _publisher_pages(self, req: Request) -> Reply | None:
        key = (req.host, req.path)
        if key in self._static:
            body, content_type = self._static[key]
            return _bytes(200, body, content_type)
        if req.path == "/" and req.host in PUBLISHERS:
            return self._listing(req.host, "/", PUBLISHERS[req.host], None)
        if req.path in SECTIONS.get(req.host, {}):
            title, section = SECTIONS[req.host][req.path]
            return self._listing(req.host, req.path, title, section)
        if key in BOILERPLATE:
            body_html = f"<p>{esc(BOILERPLATE[key])}: information for readers.</p>"
            return self._simple(req.host, BOILERPLATE[key], body_html)
        return None

    def _gdelt(self, req: Request) -> Reply:
        if req.path == "/":
            return _bytes(200, b"GDELT DOC 2.0 API (demo)\n", TEXT)
        try:
            return _bytes(200, gdelt.answer(req.query), "application/json; charset=utf-8")
        except gdelt.GdeltQueryError as exc:
            return _bytes(400, f"{exc}\n".encode(), TEXT)

    # -- specials -----------------------------------------------------------------------------

    def _first_try(self, req: Request) -> bool:
        with self._lock:
            count = self._tries.get((req.host, req.path), 0)
            self._tries[(req.host, req.path)] = count + 1
        return count == 0

    def _add_special_routes(self) -> None:
        handlers: dict[str, Handler] = {
            "redirect-301": lambda q: self._redirect("redirect-301"),
            "redirect-302": lambda q: self._redirect("redirect-302"),
            "loop-a": lambda q: self._redirect("loop-a"),
            "loop-b": lambda q: self._redirect("loop-b"),
            "redirect-internal": lambda q: self._redirect("redirect-internal"),
            "redirect-metadata": lambda q: self._redirect("redirect-metadata"),
            "not-found": lambda q: self._not_found(q.host),
            "server-error": lambda q: self._simple(q.host, "Internal Server Error",
                                                   "<p>Something went wrong.</p>", 500),
            "query-explosion": self._archive,
            "chunked": lambda q: specials.chunked(self._page(q.host, "Markets live", _live())),
            "robots-globe": lambda q: self._simple(q.host, "Drafts", "<p>Unpublished drafts.</p>"),
            "robots-herald": lambda q: self._simple(q.host, "Staff area", "<p>Staff only.</p>"),
            "reason-phrase": self._classifieds,
            "repeated-headers": lambda q: specials.repeated_headers(
                self._page(q.host, "Letters to the editor", _letters()), courier.CHARSET),
            "pdf": lambda q: specials.pdf("Metro Herald Annual Report 2024"),
            "huge": lambda q: specials.huge(self.huge_bytes),
            "gzip": lambda q: specials.gzipped(self._page(q.host, "Morning digest", _digest())),
            "slow": self._slow,
            "retry-429": lambda q: self._retry(q, specials.too_many_requests, "Interest rates"),
            "retry-503": lambda q: self._retry(q, specials.unavailable, "Photo service"),
            "long-url": lambda q: self._simple(q.host, *traps.search_page(q.query)),
        }  # fmt: skip
        for name, handler in handlers.items():
            special = SPECIALS[name]
            self._routes[(special.host, special.path.split("?", 1)[0])] = handler

    def _redirect(self, name: str) -> Reply:
        special = SPECIALS[name]
        assert special.location is not None
        return specials.redirect(special.status, special.location.format(port=self.port))

    def _page(self, host: str, title: str, body_html: str) -> str:
        return TEMPLATES[host].simple_page(title, body_html)

    def _archive(self, req: Request) -> Reply:
        stories = [a for a in articles_of(req.host) if a.section == "world"]
        base = f"http://{req.host}{req.path}"
        return self._simple(req.host, *traps.archive_listing(base, req.query, stories))

    def _classifieds(self, req: Request) -> Reply:
        reply = self._simple(req.host, "Classifieds", "<p>Cars, jobs and homes. Call 555-0100.</p>")
        reply.reason = "Splendidly Fine"
        return reply

    def _slow(self, req: Request) -> Reply:
        reply = self._simple(req.host, "Market quotes", "<p>Quotes delayed by 15 minutes.</p>")
        reply.delay = self.slow_seconds
        return reply

    def _retry(self, req: Request, first: Callable[[], Reply], title: str) -> Reply:
        if self._first_try(req):
            return first()
        return self._simple(req.host, title, f"<p>{title}: back to normal service.</p>")

    def _internal(self, req: Request) -> Reply:
        if req.path == "/internal/admin":
            body = "<h1>Internal admin</h1><p>A crawler must never reach this page.</p>\n"
            return specials.html(200, body)
        return error_reply(404, "Not found.")

    def _patterns(self, req: Request) -> Reply:
        host, path = req.host, req.path
        if path.startswith("/img/") and path.endswith(".png") and host in TEMPLATES:
            return _bytes(200, specials.png_bytes(), "image/png")
        if host == "globe.test" and path.startswith("/calendar/"):
            page = traps.calendar_page(host, path, articles_of(host))
            if page is not None:
                return self._simple(host, *page)
        if host == "wire.test":
            page = traps.deep_page(host, path)
            if page is not None:
                return self._simple(host, *page)
        if host in TEMPLATES:
            return self._not_found(host)
        return error_reply(404, "Not found.")


def _static_files(articles: tuple[Article, ...]) -> dict[tuple[str, str], tuple[bytes, str]]:
    """robots.txt for every host, the feeds and the sitemaps: fixed bytes for an edition."""
    globe = sorted(
        (a for a in articles if a.host == "globe.test"), key=lambda a: a.published_at, reverse=True
    )
    files = {(h, "/robots.txt"): (text.encode(), TEXT) for h, text in feeds.ROBOTS.items()}
    xml = "application/xml"
    files[("globe.test", "/rss.xml")] = (
        feeds.rss("globe.test", PUBLISHERS["globe.test"], globe),
        "application/rss+xml; charset=utf-8",
    )
    files[("courier.test", "/atom.xml")] = (
        feeds.atom("courier.test", PUBLISHERS["courier.test"]),
        "application/atom+xml; charset=utf-8",
    )
    files[("herald.test", "/sitemap_index.xml")] = (feeds.sitemap_index("herald.test"), xml)
    files[("herald.test", "/sitemap-pages.xml.gz")] = (
        feeds.sitemap_pages_gz("herald.test", list(SECTIONS["herald.test"])),
        "application/x-gzip",
    )
    files[("herald.test", "/news-sitemap.xml")] = (
        feeds.news_sitemap("herald.test", PUBLISHERS["herald.test"]),
        xml,
    )
    return files  # fmt: skip


def _live() -> str:
    rows = "".join(f"<li><b>{t}</b> {e}</li>" for t, e in (
        ("09:00", "European shares open slightly higher."),
        ("09:30", "Oil steady after overnight losses."),
        ("10:15", "Sterling edges up against the dollar."),
        ("11:00", "Bond yields little changed ahead of inflation data."),
    ))  # fmt: skip
    return f'<ul class="live">{rows}</ul>'


def _letters() -> str:
    return (
        "<p><b>Bus shelters</b><br>Sir, the new shelters on Main Street leak. - R. Dean</p>"
        "<p><b>Library hours</b><br>Sir, please keep the library open on Saturdays. - M. Ito</p>"
    )


def _digest() -> str:
    items = "".join(f'<li><a href="{esc(a.url)}">{esc(a.title)}</a></li>'
                    for a in articles_of("herald.test"))  # fmt: skip
    return f"<p>Good morning. Here is what you need to know today.</p><ul>{items}</ul>"
