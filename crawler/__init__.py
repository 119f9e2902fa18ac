"""newsarc: archive and analyse news coverage of events."""

from archive.version import VERSION as __version__

__all__ = ["__version__"]
