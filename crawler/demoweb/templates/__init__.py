"""The demo publishers' page templates, one module per site: each renders its site's article,
listing and simple pages in its own markup (and charset). ``BY_HOST`` maps a host to its module."""

from __future__ import annotations

from types import ModuleType

from . import courier, globe, herald, novosti, wire, xinwen

BY_HOST: dict[str, ModuleType] = {
    "globe.test": globe,
    "courier.test": courier,
    "herald.test": herald,
    "wire.test": wire,
    "xinwen.test": xinwen,
    "novosti.test": novosti,
}
