"""Spiders: discovery and link following only."""
