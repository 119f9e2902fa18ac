"""Relevance of an article to the event, pure (no Scrapy): ``matching`` compiles the terms,
``scorer`` scores title and body and checks the date window.
"""
