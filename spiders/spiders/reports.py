"""Foundation-report spider: report listings -> PDF annual reports and HTML disclosure pages."""

from qun.spiders.spiders.base import SourceSpider


class ReportSpider(SourceSpider):
    name = "reports"
    doc_types = ("report",)
