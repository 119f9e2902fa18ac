"""The bundled local news web used by `newsarc demo` and the tests.

``DemoWeb`` serves seven virtual hosts on 127.0.0.1 (see ``HOSTS``: four English publishers, a
Chinese and a Russian one, and the GDELT imitation); ``load_manifest()`` lists its
articles with ground-truth labels, ``SPECIALS`` its misbehaving resources, and ``EVENT_FILE`` is
the event file the demo crawls.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .catalog import HOSTS, SPECIALS, Special, load_specials
from .content import load_manifest
from .server import DemoWeb, Exchange

EVENT_FILE = Path(str(resources.files("crawler.demoweb").joinpath("demo-event.toml")))


def demo_event_path() -> Path:
    """The event file ``newsarc demo`` crawls (shipped as package data)."""
    return EVENT_FILE


__all__ = [
    "EVENT_FILE",
    "HOSTS",
    "SPECIALS",
    "DemoWeb",
    "Exchange",
    "Special",
    "demo_event_path",
    "load_manifest",
    "load_specials",
]
