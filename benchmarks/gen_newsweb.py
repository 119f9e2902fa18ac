"""Generate a static "large news web" for the crawl benchmark (deterministic, seeded).

Layout (all links root-relative, so the pages do not depend on the port they are served on)::

    /                                   home: top stories + links to every section index page
    /<section>/ , /<section>/page/<k>/  section indexes, 50 articles each, newest first
    /<section>/YYYY/MM/DD/<slug>-<id>.html   articles, 30-80 KB each (nav, boilerplate, text)
    /info/<name>/                       static pages (about, contact, ...)
    /private/login/                     disallowed by robots.txt (a crawler must not fetch it)
    /robots.txt  /rss.xml  /sitemap.xml  /sitemaps/*.xml   absolute URLs: see write_discovery

Every page is reachable from the home page in at most two hops (home -> section page k ->
article). Articles carry a date in the URL, spread around the event window. Share links point
to ``http://localhost:9/`` (off-site for a crawl scoped to 127.0.0.1, and loopback anyway).

    python benchmarks/gen_newsweb.py OUTDIR --pages 10000 --base-url http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from html import escape
from pathlib import Path

from newsweb_text import NAMES, TextMaker
from newsweb_xml import write_discovery

GENERATOR_VERSION = 1
SECTIONS = ("world", "politics", "business", "technology", "science", "sport", "culture", "opinion")
STATIC = ("about", "contact", "privacy", "terms", "careers", "advertise", "newsletters",
          "corrections", "ethics", "accessibility")  # fmt: skip
PER_PAGE = 50
EVENT_SHARE = 0.03  # share of articles about the event (in its window)


@dataclass(frozen=True)
class WebSpec:
    pages: int = 10_000
    seed: int = 1
    start: date = date(2025, 3, 30)
    end: date = date(2025, 4, 4)
    spread_days: int = 45  # articles are dated from start - spread to end + spread
    in_window_share: float = 0.25
    min_bytes: int = 30_000
    max_bytes: int = 80_000


@dataclass(frozen=True)
class ArticleMeta:
    id: int
    section: str
    published: datetime
    headline: str
    about_event: bool

    @property
    def path(self) -> str:
        slug = "-".join(w.strip(":'").lower() for w in self.headline.split()[:8])
        d = self.published
        return f"/{self.section}/{d:%Y/%m/%d}/{slug}-{self.id:06d}.html"


def section_path(section: str, page: int) -> str:
    return f"/{section}/" if page == 1 else f"/{section}/page/{page}/"


def plan_articles(spec: WebSpec, text: TextMaker) -> list[ArticleMeta]:
    """Article metadata, ids in publication order (cheap: no bodies)."""
    rng = random.Random(f"{spec.seed}-meta")
    first = spec.start - timedelta(days=spec.spread_days)
    span = (spec.end - first).days + spec.spread_days + 1
    window = (spec.end - spec.start).days + 1
    stamps = []
    for _ in range(spec.pages):
        if rng.random() < spec.in_window_share:
            day = spec.start + timedelta(days=rng.randrange(window))
        else:
            day = first + timedelta(days=rng.randrange(span))
        stamps.append(datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60)))
    stamps.sort()
    articles = []
    for i, when in enumerate(stamps):
        in_window = spec.start <= when.date() <= spec.end
        about = in_window and rng.random() < EVENT_SHARE / spec.in_window_share
        section = "world" if about else rng.choice(SECTIONS)
        articles.append(ArticleMeta(i + 1, section, when, text.headline(about), about))
    return articles


class Site:
    """Renders the pages of one web; the chrome (CSS, nav, footer) is built once."""

    def __init__(self, spec: WebSpec, articles: list[ArticleMeta], text: TextMaker) -> None:
        self.spec, self.articles, self.text = spec, articles, text
        self.rng = random.Random(f"{spec.seed}-pages")
        self.by_section = {s: [a for a in reversed(articles) if a.section == s] for s in SECTIONS}
        self.section_pages = {s: max(1, -(-len(v) // PER_PAGE)) for s, v in self.by_section.items()}
        self.head_extra = _css(random.Random(f"{spec.seed}-css")) + _scripts()
        latest = "".join(
            f"<h4>{s.title()}</h4><ul>{''.join(_li(a) for a in self.by_section[s][:4])}</ul>"
            for s in SECTIONS
        )
        self.nav = (
            '<header class="masthead"><a class="logo" href="/">The Benchmark Herald</a>'
            '<nav class="sections"><ul>'
            + "".join(f'<li><a href="{section_path(s, 1)}">{s.title()}</a></li>' for s in SECTIONS)
            + f'</ul></nav><div class="mega-menu">{latest}</div></header>'
        )
        infos = "".join(f'<li><a href="/info/{n}/">{n.title()}</a></li>' for n in STATIC)
        self.footer = (
            f'<footer class="site-footer"><ul class="info">{infos}'
            '<li><a href="/private/login/">Subscriber login</a></li>'
            '<li><a href="/rss.xml">RSS</a></li></ul>'
            "<p>&copy; 2025 The Benchmark Herald. Generated for crawl benchmarks; "
            "all names and events are fictitious except where a real event is the subject.</p>"
            "</footer>"
        )

    def page(self, title: str, body: str, extra_head: str = "") -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)} | The Benchmark Herald</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
            f"{extra_head}{self.head_extra}</head><body>{self.nav}"
            f'<main id="content">{body}</main>{self.footer}</body></html>\n'
        )

    def article(self, a: ArticleMeta, index: int) -> str:
        rng, section = self.rng, self.by_section[a.section]
        target = rng.randint(self.spec.min_bytes, self.spec.max_bytes)
        near = range(max(0, index - 3), min(len(section), index + 4))
        related = [section[j] for j in near if j != index][:6]
        most_read = rng.sample(self.articles, 10)
        share = "".join(
            f'<a rel="noopener" href="http://localhost:9/share/{n}?u={a.id}">{n}</a> '
            for n in ("mail", "social", "chat")
        )
        head = (
            f'<article><p class="kicker"><a href="{section_path(a.section, 1)}">'
            f"{a.section.title()}</a></p><h1>{escape(a.headline)}</h1>"
            f'<p class="byline">By {escape(rng.choice(NAMES))}, '
            f'<time datetime="{a.published:%Y-%m-%dT%H:%M}:00Z">{a.published:%d %B %Y %H:%M}'
            f'</time></p><div class="share">{share}</div><div class="article-body">'
        )
        tail = (
            '</div></article><aside class="related"><h3>Related</h3><ul>'
            + "".join(_li(r) for r in related)
            + '</ul></aside><aside class="most-read"><h3>Most read</h3><ol>'
            + "".join(_li(r) for r in most_read)
            + "</ol></aside>"
        )
        ld = (
            '<script type="application/ld+json">{"@type":"NewsArticle","headline":'
            f'{json.dumps(a.headline)},"datePublished":"{a.published:%Y-%m-%dT%H:%M}:00Z"}}'
            "</script>"
        )
        shell = len(self.page(a.headline, head + tail, ld))
        paras: list[str] = []
        size = shell
        while size < target or len(paras) < 3:
            p = f"<p>{escape(self.text.paragraph(a.about_event))}</p>\n"
            paras.append(p)
            size += len(p)
        return self.page(a.headline, head + "".join(paras) + tail, ld)

    def section_page(self, section: str, page: int) -> str:
        items = self.by_section[section][(page - 1) * PER_PAGE : page * PER_PAGE]
        last = self.section_pages[section]
        rows = "".join(
            f'<li class="teaser"><h2><a href="{a.path}">{escape(a.headline)}</a></h2>'
            f"<time>{a.published:%d %b %Y}</time><p>{escape(self.text.teaser())}</p></li>"
            for a in items
        )
        pager = "".join(
            f'<a rel="{rel}" href="{section_path(section, k)}">{label}</a> '
            for rel, k, label in (
                ("first", 1, "First"),
                ("prev", page - 1, "Newer"),
                ("next", page + 1, "Older"),
                ("last", last, "Last"),
            )
            if 1 <= k <= last and k != page
        )
        title = f"{section.title()} - page {page}"
        body = (
            f'<h1>{escape(title)}</h1><ol class="river">{rows}</ol><nav class="pager">{pager}</nav>'
        )
        return self.page(title, body)

    def home(self) -> str:
        top = "".join(
            f'<li><h2><a href="{a.path}">{escape(a.headline)}</a></h2>'
            f"<p>{escape(self.text.teaser())}</p></li>"
            for a in reversed(self.articles[-30:])
        )
        archive = "".join(
            f"<h3>{s.title()}</h3><p>"
            + " ".join(
                f'<a href="{section_path(s, k)}">{k}</a>'
                for k in range(1, self.section_pages[s] + 1)
            )
            + "</p>"
            for s in SECTIONS
        )
        body = (
            f'<section class="top"><ol>{top}</ol></section>'
            f'<section class="archive">{archive}</section>'
        )
        return self.page("Home", body)

    def static(self, name: str) -> str:
        paras = "".join(f"<p>{escape(self.text.paragraph())}</p>" for _ in range(4))
        return self.page(name.title(), f"<h1>{name.title()}</h1>{paras}")


def _li(a: ArticleMeta) -> str:
    return f'<li><a href="{a.path}">{escape(a.headline)}</a></li>'


def _css(rng: random.Random) -> str:
    rules = []
    for i in range(160):
        sel = f".c{i:03d} .{rng.choice(SECTIONS)}-{rng.randrange(99)} > a:hover"
        rules.append(
            f"{sel}{{margin:{rng.randrange(24)}px {rng.randrange(24)}px;"
            f"color:#{rng.randrange(16**6):06x};font-size:{rng.randrange(10, 30)}px}}"
        )
    return "<style>" + "\n".join(rules) + "</style>"


def _scripts() -> str:
    config = {f"slot_{i}": {"size": [300, 250], "targeting": {"pos": i}} for i in range(40)}
    return (
        "<script>window.__CONFIG__="
        + json.dumps(config)
        + ";window.dataLayer=window.dataLayer||[];</script>"
    )


def _write(root: Path, url_path: str, html: str) -> int:
    path = root / (url_path.lstrip("/") + ("index.html" if url_path.endswith("/") else ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    data = html.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def generate(root: Path, spec: WebSpec, base_url: str) -> dict[str, object]:
    """Write the web under ``root`` (replacing it) and return its manifest."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    text = TextMaker(random.Random(f"{spec.seed}-text"))
    articles = plan_articles(spec, text)
    site = Site(spec, articles, text)
    html_bytes = _write(root, "/", site.home())
    indexes = ["/"]
    for s in SECTIONS:
        for k in range(1, site.section_pages[s] + 1):
            indexes.append(section_path(s, k))
            html_bytes += _write(root, indexes[-1], site.section_page(s, k))
    for name in STATIC:
        html_bytes += _write(root, f"/info/{name}/", site.static(name))
    html_bytes += _write(root, "/private/login/", site.static("subscriber login"))
    positions = {a.id: i for s in SECTIONS for i, a in enumerate(site.by_section[s])}
    for a in articles:
        html_bytes += _write(root, a.path, site.article(a, positions[a.id]))
    manifest: dict[str, object] = {
        "generator_version": GENERATOR_VERSION,
        "spec": {k: str(v) if isinstance(v, date) else v for k, v in asdict(spec).items()},
        "html_bytes": html_bytes,
        "articles": [
            {"path": a.path, "published": a.published.isoformat(), "headline": a.headline}
            for a in articles
        ],
        "indexes": indexes,
        "static": [f"/info/{n}/" for n in STATIC],
        "disallowed": ["/private/login/"],
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    write_discovery(root, manifest, base_url)
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--pages", type=int, default=10_000, help="number of articles")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--base-url", default="http://127.0.0.1:8080", help="for robots/sitemaps/RSS"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    manifest = generate(args.outdir, WebSpec(pages=args.pages, seed=args.seed), args.base_url)
    pages = len(manifest["articles"]) + len(manifest["indexes"]) + 11  # type: ignore[arg-type]
    print(
        f"wrote {pages} HTML pages, {manifest['html_bytes']:,} bytes, to {args.outdir} "
        f"in {time.perf_counter() - started:.1f}s"
    )


if __name__ == "__main__":
    main()
