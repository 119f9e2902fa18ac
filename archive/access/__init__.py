"""Getting an archive back out: ``api`` (the Python API; ``types`` are what it returns),
``wacz`` (+ ``wacz_members``: WACZ packages) and ``replay`` (pywb).
"""
