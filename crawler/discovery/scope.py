"""What the event spider may follow: hosts within ``allowed_domains``, dates within the event
window (plus its slack). Pure: the spider asks, and is told of each dated entry refused
(``on_out_of_window``) to count it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlsplit

from crawler.discovery.links import date_in_url
from crawler.event.spec import EventSpec


class Scope:
    """The event's crawl scope. No allowed domains means every host is in scope."""

    def __init__(
        self, event: EventSpec, on_out_of_window: Callable[[], None] | None = None
    ) -> None:
        self.event = event
        self.on_out_of_window = on_out_of_window
        self.domains = tuple(d.lower() for d in event.sources.allowed_domains)

    def url_in_scope(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and self.host_in_scope(parts.hostname or "")

    def host_in_scope(self, host: str) -> bool:
        if not self.domains:
            return True
        host = host.lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def dated_in_window(
        self,
        when: date | datetime | None,
        url: str | None,
        *,
        undated_ok: bool = True,
        stale_only: bool = False,
    ) -> bool:
        """Whether an entry dated ``when`` (else by a date in ``url``) may cover the event.

        ``stale_only``: refuse only what predates the window (a sitemap modified before the
        window began cannot list coverage of the event; one modified later still may).
        """
        if when is None and url is not None:
            when = date_in_url(url)
        if when is None:
            return undated_ok
        if stale_only:
            start, _ = self.event.window()
            ok = (when.date() if isinstance(when, datetime) else when) >= start
        else:
            ok = self.event.in_window(when)
        if not ok and self.on_out_of_window is not None:
            self.on_out_of_window()
        return ok
