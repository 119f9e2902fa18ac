"""The event report: one self-contained HTML file (``newsarc report``). Pure (no Scrapy).

- ``data``: what the report shows, read from an archive (articles, stories, revisions, health).
- ``charts``: the Vega-Lite charts (Altair), drawn in the browser by the inlined Vega bundle.
- ``render``: the Jinja2 template, with the data, the chart specs and the JavaScript inlined:
  the file opens without a network.
"""

from __future__ import annotations
