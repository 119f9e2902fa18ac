"""The report's charts as Vega-Lite specs (Altair); the browser draws them as SVG."""

from __future__ import annotations

from typing import Any

import altair as alt

from archive.health.table import HealthTable

WIDTH = 760
KINDS = ["unique", "revision", "url", "exact", "near", "rewrite"]


def coverage(
    per_day: list[dict[str, Any]], window: tuple[str | None, str | None]
) -> dict[str, Any]:
    """Articles per day and outlet (stacked), the event's window shaded."""
    bars = (
        alt.Chart(alt.Data(values=per_day))
        .mark_bar()
        .encode(
            x=alt.X("day:T", title="published", timeUnit="utcyearmonthdate"),
            y=alt.Y("sum(articles):Q", title="articles"),
            color=alt.Color("outlet:N", title="outlet"),
            tooltip=["day:N", "outlet:N", "articles:Q"],
        )
    )
    layers: list[Any] = []
    start, end = window
    if start and end:
        shade = alt.Chart(alt.Data(values=[{"start": start, "end": end}])).mark_rect(
            opacity=0.12, color="#1f77b4"
        )
        layers.append(
            shade.encode(
                x=alt.X("start:T", timeUnit="utcyearmonthdate"),
                x2=alt.X2("end:T"),
                tooltip=[
                    alt.Tooltip("start:N", title="event from"),
                    alt.Tooltip("end:N", title="to"),
                ],
            )
        )
    chart = alt.layer(*layers, bars).properties(width=WIDTH, height=260)
    return _spec(chart)


def outlets(per_outlet: list[dict[str, Any]]) -> dict[str, Any]:
    chart = (
        alt.Chart(alt.Data(values=per_outlet))
        .mark_bar()
        .encode(
            y=alt.Y("outlet:N", sort="-x", title=None),
            x=alt.X("sum(articles):Q", title="articles"),
            color=alt.Color("kind:N", title="copy", scale=alt.Scale(domain=KINDS)),
            tooltip=["outlet:N", "kind:N", "articles:Q"],
        )
        .properties(width=WIDTH - 200, height=alt.Step(22))
    )
    return _spec(chart)


def languages(per_language: list[dict[str, Any]]) -> dict[str, Any]:
    chart = (
        alt.Chart(alt.Data(values=per_language))
        .mark_bar()
        .encode(
            y=alt.Y("language:N", sort="-x", title=None),
            x=alt.X("articles:Q", title="articles"),
            tooltip=["language:N", "articles:Q"],
        )
        .properties(width=WIDTH - 200, height=alt.Step(22))
    )
    return _spec(chart)


def health(table: HealthTable) -> dict[str, Any]:
    """The share of pages yielding an article per site and crawl; alarms in red."""
    alarmed = {(a.site, a.crawl_id) for a in table.alarms if a.signal == "article"}
    values = []
    for row in table.rows:
        for crawl_id, rate in zip(table.crawls, row.cells["article"].series, strict=True):
            if rate is not None:
                values.append(
                    {
                        "crawl": crawl_id,
                        "site": row.site,
                        "rate": round(rate, 4),
                        "alarm": (row.site, crawl_id) in alarmed,
                    }
                )
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("crawl:O", title="crawl"),
        y=alt.Y("rate:Q", title="pages with an article", axis=alt.Axis(format="%")),
        color=alt.Color("site:N"),
    )
    points = base.mark_point(filled=True, size=70).encode(
        shape=alt.Shape("alarm:N", title="alarm"),
        tooltip=["site:N", "crawl:N", alt.Tooltip("rate:Q", format=".0%"), "alarm:N"],
    )
    chart = alt.layer(base.mark_line(), points).properties(width=WIDTH, height=220)
    return _spec(chart)


def _spec(chart: Any) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict(validate=True)
    spec.pop("$schema", None)
    spec["config"] = {**spec.get("config", {}), "view": {"continuousWidth": WIDTH}}
    return spec
