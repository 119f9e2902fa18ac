"""newsarc: archive and analyse news coverage of events."""

__version__ = "0.1.0"
