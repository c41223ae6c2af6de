"""Downloader middlewares, one concern each: refuse private addresses, keep redirects inside the
source's domains, retry with backoff
(honouring Retry-After), skip unchanged documents with conditional requests, archive every
response to gzip WARC."""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from scrapy import Request
from scrapy import exceptions as scrapy_exceptions
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from twisted.internet.error import DNSLookupError

from qun.spiders.resolver import UnsafeAddressError, non_public, refusal, unsafe_ip


class UnsafeAddress(IgnoreRequest):
    """The host resolves to a private, loopback, link-local or reserved address."""


class NotModified(IgnoreRequest):
    """The server says the document did not change since the last crawl (HTTP 304)."""


class AlreadySeen(IgnoreRequest):
    """The document was fetched before and the site gives no validators to re-check it."""


class OutOfScope(IgnoreRequest):
    """A redirect leads outside the domains of the source that asked for the page."""


class PrivateAddressMiddleware:
    """Outside the demo and tests, never let a page steer the crawler into the user's network.
    An address in the URL is checked here (nothing resolves it); a name is checked where the
    connection resolves it (qun.spiders.resolver.PublicOnlyResolver), so the answer checked is
    the one connected to. Through an HTTP proxy the proxy resolves names: they are checked here
    as well, before the request goes out."""

    def __init__(self, through_proxy: bool = False) -> None:
        self.through_proxy = through_proxy
        self.cache: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        if crawler.settings.getbool("QUN_ALLOW_PRIVATE"):
            raise NotConfigured("private addresses allowed (demo or tests)")
        proxied = any(
            os.environ.get(v) for v in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY")
        )
        return cls(through_proxy=proxied)

    def _check(self, host: str) -> str | None:
        try:
            return host if unsafe_ip(host) else None
        except ValueError:
            pass  # a name, not an address literal
        if not self.through_proxy:
            return None  # the resolver checks it when the connection is made
        return non_public(host)  # a name that does not resolve fails with its own DNS error

    async def process_request(self, request: Request, spider: Any = None) -> None:
        host = urlsplit(request.url).hostname or ""
        if host not in self.cache:
            self.cache[host] = await asyncio.to_thread(self._check, host)
        if self.cache[host]:
            raise UnsafeAddress(
                f"refused: {host} resolves to non-public address {self.cache[host]}"
            )


class RedirectScopeMiddleware:
    """A redirect is followed only inside the domains of the source that asked for the page:
    a site cannot send the crawler to another site, or to an address of the user's network."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectScopeMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        redirects = request.meta.get("redirect_urls")
        sources = getattr(spider or self.crawler.spider, "sources", None)
        source = sources.get(request.cb_kwargs.get("source")) if sources else None
        if redirects and source is not None and not source.allows(request.url):
            raise OutOfScope(
                f"refused: the redirect from {redirects[0]} to {request.url} leaves the domains "
                f"of {source.id}"
            )


def retry_after(value: bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


# a host name that did not resolve (Scrapy >= 2.13 raises its own CannotResolveHostError)
_UNRESOLVED = (DNSLookupError, getattr(scrapy_exceptions, "CannotResolveHostError", DNSLookupError))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, with a wait first: Retry-After when the server sends it, else
    exponential backoff (RETRY_BACKOFF_BASE * 2**n, capped at RETRY_BACKOFF_MAX). A host name
    that does not resolve is not retried: seconds later it does not resolve either, and with no
    network every request would wait through every retry."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)

    def _delay(self, request: Request, response: Response | None) -> float:
        hinted = retry_after(response.headers.get("Retry-After")) if response is not None else None
        tries = request.meta.get("retry_times", 0)
        return min(self.cap, hinted if hinted is not None else self.base * 2**tries)

    async def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await asyncio.sleep(self._delay(request, response))
        return retry

    async def process_exception(
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        if (
            request.meta.get("dont_retry")
            or not isinstance(exception, self.exceptions_to_retry)
            or isinstance(exception, UnsafeAddressError)  # refused, not failed: no retry
            or isinstance(exception, _UNRESOLVED)
            or refusal(urlsplit(request.url).hostname or "") is not None
        ):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(self._delay(request, None))
        return retry


class ConditionalRequestMiddleware:
    """Documents fetched before are asked for with If-None-Match / If-Modified-Since; a 304 means
    unchanged and nothing more is done. Without validators, a seen document is not re-fetched.
    The seen state comes from QUN_SEEN_FILE (JSON lines of url, etag, last_modified)."""

    def __init__(self, seen: dict[str, dict[str, str | None]], crawler: Crawler) -> None:
        self.seen = seen
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        path = crawler.settings.get("QUN_SEEN_FILE")
        if not path or not Path(path).exists():
            raise NotConfigured("no seen-state file")
        seen: dict[str, dict[str, str | None]] = {}
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    seen[row["url"]] = row
        return cls(seen, crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        if not request.meta.get("qun_document"):
            return None
        state = self.seen.get(request.url)
        if state is None:
            return None
        if not (state.get("etag") or state.get("last_modified")):
            self.stats.inc_value("qun/skipped_seen")  # type: ignore[union-attr]
            raise AlreadySeen(f"seen before, no validators: {request.url}")
        if state.get("etag"):
            request.headers.setdefault("If-None-Match", state["etag"])
        if state.get("last_modified"):
            request.headers.setdefault("If-Modified-Since", state["last_modified"])
        return None

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        if response.status == 304 and request.meta.get("qun_document"):
            self.stats.inc_value("qun/not_modified")  # type: ignore[union-attr]
            raise NotModified(f"not modified: {request.url}")
        return response


class WarcArchiveMiddleware:
    """Every response (decompressed, as the parser sees it) goes into a gzip WARC file, so
    documents can be re-extracted later without re-crawling. The record's file and offset are
    left in request.meta['qun_warc']."""

    def __init__(self, path: Path, crawler: Crawler) -> None:
        from warcio.warcwriter import WARCWriter

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fh = path.open("ab")
        self.writer = WARCWriter(self.fh, gzip=True)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiveMiddleware:
        folder = crawler.settings.get("QUN_WARC_DIR")
        if not folder:
            raise NotConfigured("QUN_WARC_DIR not set")
        name = crawler.settings.get("QUN_RUN_ID") or time.strftime("%Y%m%dT%H%M%S")
        assert crawler.spidercls is not None
        mw = cls(Path(folder) / f"{name}-{crawler.spidercls.name}.warc.gz", crawler)
        from scrapy import signals

        crawler.signals.connect(mw.close, signal=signals.spider_closed)
        return mw

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        from warcio.statusandheaders import StatusAndHeaders

        if response.status == 304:
            return response
        headers = [
            (k.decode("latin-1"), b", ".join(v).decode("latin-1"))
            for k, v in response.headers.items()
            if k.lower() not in (b"content-encoding", b"transfer-encoding")
        ]
        http = StatusAndHeaders(str(response.status), headers, protocol="HTTP/1.1")
        extra = {
            "Qun-" + k.replace("_", "-").title(): quote(str(v), safe="")
            for k, v in request.cb_kwargs.items()
            if v is not None
        }
        import io

        record = self.writer.create_warc_record(
            response.url,
            "response",
            payload=io.BytesIO(response.body),
            http_headers=http,
            warc_headers_dict=extra,
        )
        offset = self.fh.tell()
        self.writer.write_record(record)
        self.fh.flush()
        request.meta["qun_warc"] = (self.path.name, offset)
        self.stats.inc_value("qun/warc_records")  # type: ignore[union-attr]
        return response

    def close(self) -> None:
        self.fh.close()
