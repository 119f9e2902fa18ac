"""Where the CPU-heavy work runs: ``procpool`` (a process pool driven from the asyncio loop),
``worker`` (the function the workers run: extraction, relevance, dedup signatures), ``offline``
(the same analysis over stored WARCs: ``newsarc reextract``), ``signals`` (a page's extraction
signals from the worker's result, for ``archive/health``).
"""
