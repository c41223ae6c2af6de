"""Sector-media spider: feeds, sitemaps and listings -> articles."""

from qun.spiders.spiders.base import SourceSpider


class MediaSpider(SourceSpider):
    name = "media"
    doc_types = ("article",)
