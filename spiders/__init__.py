"""Collection layer: Scrapy spiders, the source registry, decoding and main-text extraction.

Runs standalone (`scrapy crawl media -a source=<id>`) and runs no NLP.
"""
