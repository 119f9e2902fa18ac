"""Extraction health per site and crawl, and drift against each site's own history. Pure.

- ``signals``: what one page says about extraction (:class:`PageObservation`), the per-site
  tally of a crawl (:class:`SiteSignals`, rates and examples) and the signal definitions.
- ``drift``: each site's rolling baseline and a one-sided Fisher exact test per rate signal;
  an :class:`~archive.health.drift.Alarm` names site, signal, before/after and example URLs.
- ``store``: ``<slug>/crawls/<crawl-id>/health.json`` (next to the manifest) and the history.
"""

from __future__ import annotations
