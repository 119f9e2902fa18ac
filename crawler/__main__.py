"""``python -m crawler`` is the ``newsarc`` command."""

from crawler.cli import run

run()
