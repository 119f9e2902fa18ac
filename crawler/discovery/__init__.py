"""Pure parsers for discovery sources: feeds, sitemaps, search APIs, links."""
