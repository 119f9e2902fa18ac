"""Article extraction, pure (no Scrapy): ``extract(url, headers, body) -> Article | None``.

``extractor`` runs the steps: ``decode`` (bytes → HTML text), ``prepare`` (tree fixes),
trafilatura or ``readability`` → ``blocks`` (lines) → ``textclean`` (boilerplate, ``patterns``),
``teaser`` (paywalls); metadata from ``meta``/``jsonld`` fused by ``fields`` with ``dates``;
``lang``; ``links`` (the page's links, read from the same parse). ``article`` is the result type.
"""
