"""Item pipelines and extensions: thin Scrapy adapters over pure cores."""
