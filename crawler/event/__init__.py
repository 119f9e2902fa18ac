"""The event file (``events/<slug>.toml``; reference: docs/event-file.md).

``spec`` (``load_event``/``parse_event`` → ``EventSpec``, no Scrapy), ``fields`` (value checks),
``tomllines`` (line numbers for error messages), ``settings`` (an ``EventSpec`` as Scrapy settings).
"""
