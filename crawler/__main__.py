"""``python -m crawler`` is the ``newsarc`` command."""

from crawler.cli.main import run

run()
