"""Crawl outputs the flows read back: documents and errors as JSON lines, and the crawl stats.

Lines are appended and flushed one by one, so a crawl killed with SIGKILL leaves everything up to
its last item readable (a reader skips a cut-off last line).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from qun.spiders.items import CrawlError, Document


class CrawlStatsFile:
    """Write items to `QUN_OUTPUT_DIR/{documents,errors}.jsonl` and stats to `stats.json`."""

    def __init__(self, out_dir: Path, crawler: Crawler) -> None:
        self.out_dir = out_dir
        self.crawler = crawler
        out_dir.mkdir(parents=True, exist_ok=True)
        self.files = {
            Document: (out_dir / "documents.jsonl").open("a", encoding="utf-8"),
            CrawlError: (out_dir / "errors.jsonl").open("a", encoding="utf-8"),
        }

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlStatsFile:
        out = crawler.settings.get("QUN_OUTPUT_DIR")
        if not out:
            raise NotConfigured("QUN_OUTPUT_DIR not set")
        ext = cls(Path(out), crawler)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def item_scraped(self, item: Any, **_: Any) -> None:
        fh = self.files.get(type(item))
        if fh is None:
            return
        fh.write(json.dumps(dataclasses.asdict(item), ensure_ascii=False) + "\n")
        fh.flush()
        kind = "documents" if isinstance(item, Document) else "errors"
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"qun/{kind}")
        if isinstance(item, CrawlError):
            self.crawler.stats.inc_value(f"qun/errors/{item.stage}")
        else:  # where each document's date came from (none: undated)
            self.crawler.stats.inc_value(f"qun/dates/{item.date_source or 'none'}")

    def spider_closed(self, spider: Any, reason: str) -> None:
        for fh in self.files.values():
            fh.close()
        assert self.crawler.stats is not None
        stats = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in self.crawler.stats.get_stats().items()
        }
        stats["finish_reason"] = reason
        stats["spider"] = spider.name
        tmp = self.out_dir / "stats.json.tmp"
        tmp.write_text(json.dumps(stats, ensure_ascii=False, indent=1, default=str), "utf-8")
        tmp.replace(self.out_dir / "stats.json")
