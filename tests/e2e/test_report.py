"""newsarc report: one self-contained HTML file, rendered in real headless Chromium; its charts
draw, no script fails, and its numbers are those of ``newsarc list`` and ``newsarc export``."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from crawler.demoweb import DemoWeb
from tests.conftest import SLUG, DemoCrawl, newsarc
from tests.support.chromium import dump_dom


@pytest.fixture(scope="module")
def report(demo_crawl: DemoCrawl, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("report")
    archive = tmp / "archive"
    shutil.copytree(demo_crawl.out, archive)
    out = tmp / "report.html"
    proc = newsarc("report", SLUG, "--archive", str(archive), "-o", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"wrote {out}" in proc.stderr
    return archive, out


@pytest.fixture(scope="module")
def rendered(
    report: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, str]:
    """The report's DOM after Chromium ran its scripts, and Chromium's log."""
    dom, log = dump_dom(report[1], tmp_path_factory.mktemp("chromium-profile"))
    return lxml.html.fromstring(dom), log


def export_rows(archive: Path, *options: str) -> list[dict[str, object]]:
    proc = newsarc("export", "--format", "jsonl", "-o", "-", "--archive", str(archive), *options)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_the_report_needs_no_network(report: tuple[Path, Path]) -> None:
    _, out = report
    page = out.read_text("utf-8")
    doc = lxml.html.fromstring(page)
    assert not doc.xpath("//script[@src] | //link[@href] | //img[@src] | //iframe")
    # nothing is fetched by the page itself: no URL in a script or style other than SVG/XML
    # namespaces and the bundle's own documentation strings
    scripts = " ".join(doc.xpath("//script/text() | //style/text()"))
    assert not re.search(r"""(?:fetch|import)\(\s*["']https?://""", scripts)
    assert len(page.encode()) < 3_000_000


def test_chromium_draws_every_chart_without_script_errors(rendered: tuple[Any, str]) -> None:
    doc, log = rendered
    errors = doc.get_element_by_id("script-errors")
    assert errors.get("hidden") is not None and not (errors.text or "").strip(), errors.text
    assert "Uncaught" not in log
    charts = doc.xpath("//div[contains(concat(' ', @class, ' '), ' chart ')]")
    assert {c.get("id") for c in charts} == {
        "chart-coverage",
        "chart-outlets",
        "chart-languages",
        "chart-health",
    }
    for chart in charts:
        assert chart.get("data-drawn") == "true", chart.get("id")
        svg = chart.xpath(".//*[local-name()='svg']")
        assert svg, chart.get("id")
        marks = svg[0].xpath(".//*[local-name()='path' or local-name()='rect']")
        assert len(marks) > 5, chart.get("id")  # bars, points, axes: something was drawn
    assert doc.xpath("//body/@data-charts-drawn") == [str(len(charts))]


def test_the_numbers_are_those_of_list_and_export(
    report: tuple[Path, Path], rendered: tuple[Any, str]
) -> None:
    archive, out = report
    doc = lxml.html.fromstring(out.read_text("utf-8"))  # as written: totals, crawls, health
    shown = rendered[0]  # as Chromium laid it out: the article table, the stories
    totals = {
        div.get("data-total"): int(div.xpath("./b/text()")[0])
        for div in doc.xpath("//div[@data-total]")
    }
    rows = export_rows(archive)
    unique = export_rows(archive, "--unique-only")
    assert totals["articles"] == len(rows) > 0
    assert totals["unique"] == len(unique)
    assert totals["outlets"] == len({r["sitename"] for r in rows})
    assert totals["languages"] == len({r["language"] for r in rows})
    assert totals["stories"] == len({r["story"] for r in rows})
    listed = [
        json.loads(line)
        for line in newsarc("list", "--archive", str(archive), "--json").stdout.splitlines()
    ]
    assert totals["crawls"] == len(listed)
    for crawl in listed:
        (tr,) = doc.xpath(f"//tr[@data-crawl='{crawl['crawl_id']}']")
        cells = [td.text_content() for td in tr.xpath("./td")]
        assert cells[2:5] == [str(crawl["pages"]), str(crawl["articles"]), str(crawl["duplicates"])]
    # every exported article is listed once, with its archived page and its text
    listed_ids = shown.xpath("//tr[@data-article]/@data-article")
    assert Counter(listed_ids) == Counter(r["id"] for r in rows)
    assert shown.xpath("//body/@data-articles") == [str(len(rows))]
    for row in rows:
        (tr,) = shown.xpath(f"//tr[@data-article='{row['id']}']")
        assert tr.xpath("./td/a/text()")[0] == row["title"]
        links = tr.xpath(".//a/@href")
        assert links[0].startswith("http://127.0.0.1:8080/" + SLUG + "/")
        assert links[0].endswith("/" + str(row["url"]))
        text = Path(links[1].removeprefix("file://"))
        assert (
            text.read_text("utf-8").strip()
            == next(r["text"] for r in rows if r["id"] == text.stem).strip()
        )
    # every story of several articles is listed with its members, each linking to its row
    stories = Counter(r["story"] for r in rows)
    details = shown.xpath("//div[@id='story-list']/details")
    assert len(details) == sum(1 for n in stories.values() if n > 1)
    members = [a.get("href") for a in shown.xpath("//div[@id='story-list']//li/a")]
    assert len(members) == sum(n for n in stories.values() if n > 1)
    assert all(m.removeprefix("#a-") in set(listed_ids) for m in members)
    # the health table has one row per site the crawl measured
    sites = doc.xpath("//section[@id='health']//tr[@data-site]/@data-site")
    assert sorted(sites) == sorted(set(DemoWeb.hosts) - {"gdelt.test"})  # every news site


def test_report_of_a_missing_event_exits_4(tmp_path: Path) -> None:
    proc = newsarc(
        "report", "no-such-event", "--archive", str(tmp_path), "-o", str(tmp_path / "r.html")
    )
    assert proc.returncode == 4 and "no-such-event" in proc.stderr
    assert not (tmp_path / "r.html").exists()
