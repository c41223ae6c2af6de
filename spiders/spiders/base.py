"""Discovery shared by qun's spiders: feeds, sitemaps (also those named in robots.txt) and
listing pages with pagination, driven by the source registry. Spiders stay thin: select,
build the item, yield."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml import etree
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from qun.spiders.dates import parse_date
from qun.spiders.fingerprint import normalize_url
from qun.spiders.items import CrawlError, Page
from qun.spiders.middlewares import AlreadySeen, NotModified, OutOfScope, UnsafeAddress
from qun.spiders.registry import Source, load_sources, select
from qun.spiders.resolver import UnsafeAddressError, refusal


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


class SourceSpider(scrapy.Spider):
    """Crawl the sources named by `-a source=id[,id...]` (or `sample`, `real`)."""

    name = "base"
    doc_types: tuple[str, ...] = ("article",)

    def __init__(self, source: str = "sample", registry: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sources = {s.id: s for s in select(load_sources(registry), source)}
        self.allowed_domains = sorted({d for s in self.sources.values() for d in s.domains})
        self.pages: Counter[str] = Counter()
        self.requested: set[str] = set()

    # -- discovery -----------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        for src in self.sources.values():
            kw = {"source": src.id}
            for url in src.feeds if "article" in self.doc_types else ():
                yield scrapy.Request(
                    url, self.parse_feed, cb_kwargs=kw, errback=self.failed, dont_filter=True
                )
            for url in src.sitemaps:
                yield scrapy.Request(
                    url, self.parse_sitemap, cb_kwargs=kw, errback=self.failed, dont_filter=True
                )
            if src.sitemaps_from_robots:
                for host in src.domains:
                    scheme = urlsplit((src.listings or src.feeds or ("http://x",))[0]).scheme
                    yield scrapy.Request(
                        f"{scheme}://{host}/robots.txt",
                        self.parse_robots,
                        cb_kwargs=kw,
                        errback=self.failed,
                        dont_filter=True,
                    )
            starts = src.listings if "article" in self.doc_types else ()
            if "report" in self.doc_types:
                starts = src.report_listings
            for url in starts:
                yield scrapy.Request(
                    url, self.parse_listing, cb_kwargs=kw, errback=self.failed, dont_filter=True
                )

    def parse_robots(self, response: Response, source: str) -> Iterator[scrapy.Request]:
        for line in response.text.splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "sitemap" and value.strip():
                yield scrapy.Request(
                    value.strip(),
                    self.parse_sitemap,
                    cb_kwargs={"source": source},
                    errback=self.failed,
                )

    def parse_sitemap(self, response: Response, source: str) -> Iterator[Any]:
        root = self._xml(response, source)
        if root is None:
            return
        kind = _local(root.tag)
        for entry in root:
            fields = {_local(child.tag): (child.text or "").strip() for child in entry}
            loc = fields.get("loc")
            if not loc:
                continue
            if kind == "sitemapindex":
                yield scrapy.Request(
                    loc, self.parse_sitemap, cb_kwargs={"source": source}, errback=self.failed
                )
            else:
                yield from self._document(loc, source, hint_date=fields.get("lastmod"))

    def parse_feed(self, response: Response, source: str) -> Iterator[Any]:
        root = self._xml(response, source)
        if root is None:
            return
        for entry in root.iter():
            if _local(entry.tag) not in ("item", "entry"):
                continue
            fields: dict[str, str] = {}
            for child in entry:
                name = _local(child.tag)
                if name == "link" and child.get("href"):
                    fields.setdefault("link", child.get("href", ""))
                elif child.text:
                    fields.setdefault(name, child.text.strip())
            link = fields.get("link")
            if link:
                date = fields.get("pubdate") or fields.get("published") or fields.get("updated")
                yield from self._document(
                    urljoin(response.url, link),
                    source,
                    hint_date=date,
                    hint_title=fields.get("title"),
                )

    def parse_listing(self, response: Response, source: str) -> Iterator[Any]:
        src = self.sources[source]
        for anchor in response.css("a[href]"):
            url = urljoin(response.url, anchor.attrib["href"].strip())
            if not src.allows(url):
                continue
            if src.matches("follow", url):
                yield scrapy.Request(
                    url, self.parse_listing, cb_kwargs={"source": source}, errback=self.failed
                )
                continue
            title = " ".join(anchor.css("::text").getall()).strip() or None
            context = " ".join(anchor.xpath("..//text()").getall())
            yield from self._document(url, source, hint_date=context, hint_title=title)

    # -- documents -----------------------------------------------------------------------------
    def _doc_type(self, src: Source, url: str) -> str | None:
        if src.matches("reports", url):
            return "report"
        if src.matches("articles", url):
            return "article"
        return None

    def _document(
        self, url: str, source: str, hint_date: str | None = None, hint_title: str | None = None
    ) -> Iterator[scrapy.Request]:
        src = self.sources[source]
        url = normalize_url(url)  # drop tracking parameters such as ?from=rss
        doc_type = self._doc_type(src, url)
        if doc_type not in self.doc_types or not src.allows(url):
            return
        if url in self.requested:
            return
        if self.pages[source] >= src.max_pages:
            self.crawler.stats.inc_value(f"qun/capped/{source}")
            return
        self.pages[source] += 1
        self.requested.add(url)
        parsed = parse_date(hint_date) if hint_date else None
        meta: dict[str, Any] = {"qun_document": True}
        if doc_type == "report":
            meta["download_maxsize"] = src.max_pdf_bytes
        yield scrapy.Request(
            url,
            self.parse_document,
            errback=self.failed,
            meta=meta,
            dont_filter=True,  # de-duplicated above; redirect loops then end in an error
            cb_kwargs={
                "source": source,
                "doc_type": doc_type,
                "hint_date": parsed.isoformat() if parsed else None,
                "hint_title": hint_title,
            },
        )

    def parse_document(
        self,
        response: Response,
        source: str,
        doc_type: str,
        hint_date: str | None,
        hint_title: str | None,
    ) -> Iterator[Page]:
        headers = response.headers
        warc_file, warc_offset = response.meta.get("qun_warc", (None, None))
        yield Page(
            url=response.url,
            source=source,
            outlet=self.sources[source].outlet,
            doc_type=doc_type,
            status=response.status,
            content_type=headers.get("Content-Type", b"").decode("latin-1"),
            body=response.body,
            fetched_at=_now(),
            hint_date=hint_date,
            hint_title=hint_title,
            etag=(headers.get("ETag") or b"").decode("latin-1") or None,
            last_modified=(headers.get("Last-Modified") or b"").decode("latin-1") or None,
            warc_file=warc_file,
            warc_offset=warc_offset,
            content=self.sources[source].content,
        )

    # -- failures ------------------------------------------------------------------------------
    def _xml(self, response: Response, source: str) -> Any:
        try:
            return etree.fromstring(
                response.body, etree.XMLParser(recover=True, resolve_entities=False)
            )
        except etree.XMLSyntaxError:
            self.crawler.stats.inc_value("qun/bad_xml")
            return None

    def failed(self, failure: Failure) -> Iterator[CrawlError]:
        request = failure.request  # type: ignore[attr-defined]
        source = request.cb_kwargs.get("source", "?")
        status = None
        if failure.check(NotModified, AlreadySeen):
            return  # unchanged since the last crawl: nothing to record
        refused = refusal(urlsplit(request.url).hostname or "")
        if failure.check(UnsafeAddress, OutOfScope, UnsafeAddressError):
            stage, reason = "safety", str(failure.value)
        elif refused is not None:  # the resolver refused the name the connection asked for
            stage, reason = "safety", refused
        elif failure.check(HttpError):
            status = failure.value.response.status
            stage, reason = "fetch", f"HTTP {status}"
        elif "robots.txt" in str(failure.value):
            stage, reason = "robots", "forbidden by robots.txt"
        else:
            stage, reason = "fetch", f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300]
        yield CrawlError(
            url=request.url,
            source=source,
            stage=stage,
            reason=reason,
            status=status,
            fetched_at=_now(),
        )
