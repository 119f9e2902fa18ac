"""The ``newsarc`` command: ``main`` (the click group and ``crawl``/``demo``/``repair``), one module
per command group (``run``, ``storage``, ``archive``, ``articles``, ``analysis``, ``replay``,
``health``, ``report``), and what they share: ``help`` (pages ending with an example),
``summary`` and ``progress`` (the report and the live line). Exit codes:
``archive.errors.ExitCode``.
"""
