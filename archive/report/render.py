"""The report as one HTML file: Jinja2 template, data, chart specs and the Vega bundle inlined."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from archive.health.signals import SIGNALS
from archive.report import charts
from archive.report.data import ReportData

# Draws every chart of the page; run inside the bundle, where vegaEmbed is in scope. A chart
# that fails is reported by the error handler of the page's first script.
SNIPPET = """
const specs = JSON.parse(document.getElementById("newsarc-charts").textContent);
const jobs = Object.entries(specs).map(([id, spec]) =>
  vegaEmbed("#" + id, spec, {renderer: "svg", actions: false}).then(() => {
    document.getElementById(id).dataset.drawn = "true";
  }).catch((error) => window.newsarcError("chart " + id + ": " + error)));
Promise.all(jobs).then(() => {
  document.body.dataset.chartsDrawn = String(
    document.querySelectorAll("[data-drawn=true] svg").length);
});
"""


@cache
def vega_bundle(cache_dir: Path | None = None) -> str:
    """Vega, Vega-Lite and Vega-Embed as one inline module script (from vl-convert's copy),
    kept in ``cache_dir`` (building it takes seconds) under a name that changes with the
    vl-convert version and the snippet."""
    import vl_convert

    key = hashlib.sha256(f"{version('vl-convert-python')}\n{SNIPPET}".encode()).hexdigest()
    path = cache_dir / f"vega-bundle-{key[:16]}.js" if cache_dir else None
    if path is not None and path.is_file():
        return path.read_text("utf-8")
    bundle = str(vl_convert.javascript_bundle(SNIPPET))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(bundle, "utf-8")
        tmp.replace(path)
    return bundle


def _template() -> jinja2.Template:
    source = resources.files("archive.report").joinpath("report.html.j2").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["pct"] = lambda v: "-" if v is None else f"{v:.0%}"
    env.globals["SIGNALS"] = SIGNALS
    return env.from_string(source)


def _script_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def render(
    report: ReportData, *, now: datetime | None = None, cache_dir: Path | None = None
) -> str:
    """The report's HTML: opens without a network (no external script, style or font).
    ``cache_dir`` keeps the Vega bundle between runs."""
    specs = {
        "chart-coverage": charts.coverage(report.per_day(), report.window),
        "chart-outlets": charts.outlets(report.per_outlet()),
        "chart-languages": charts.languages(report.per_language()),
    }
    if report.health is not None and report.health.rows:
        specs["chart-health"] = charts.health(report.health)
    generated = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return _template().render(
        r=report,
        generated=generated,
        specs=Markup(_script_json(specs)),
        listing=Markup(_script_json(report.listing())),
        bundle=Markup(vega_bundle(cache_dir).replace("</script", "<\\/script")),
        chart_ids=list(specs),
    )
