"""The ``newsarc`` command's exit codes (documented in the README)."""

from __future__ import annotations

EXIT_OK = 0  # success
EXIT_FAIL = 1  # unexpected failure
EXIT_INPUT = 2  # bad input: usage or event file
EXIT_WARC = 3  # a WARC write failed and the crawl was stopped
EXIT_NOTHING = 4  # nothing could be fetched (or extracted), or nothing found in an archive
EXIT_STORAGE = 5  # objects are still waiting in the spool: run `newsarc upload --resume`
EXIT_INTERRUPTED = 130  # interrupted (Ctrl-C, SIGTERM)
