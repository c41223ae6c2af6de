"""Bad input never stops a crawl: every hostile or broken response ends as a recorded error or
a flagged document, with its reason, and the crawl finishes."""

from __future__ import annotations

import asyncio
import gzip
import io
import json

import pytest
from pypdf import PdfWriter

from qun.datasets.ingest import read_jsonl
from qun.spiders.devserver import SiteServer
from qun.spiders.middlewares import PrivateAddressMiddleware, UnsafeAddress, retry_after
from qun.spiders.process import run_spider

# crawls, runs or builds of the whole pipeline: left out by `make test-fast`
pytestmark = pytest.mark.e2e

HOST = "www.bad.example"
ARTICLE = "<p>{}</p>".format("社区基金会论坛在京举行，各方围绕集合影响力展开讨论。" * 6)


def page(
    body: str, head: str = '<meta charset="utf-8">', date: str = "发布时间：2019-05-06"
) -> str:
    return (
        f"<html><head>{head}<title>测试</title></head><body><h1>测试文章</h1>"
        f"<div>{date}</div>{body}</body></html>"
    )


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# path -> (file content or None, rule for _responses.json, expected outcome)
CASES: dict[str, tuple[bytes | None, dict, tuple[str, str]]] = {
    "/ok.html": (page(ARTICLE).encode(), {}, ("doc", "")),
    "/nodate.html": (page(ARTICLE, date="").encode(), {}, ("flag", "no_date")),
    "/wrongcharset.html": (
        page(ARTICLE, head='<meta charset="utf-8">').encode("gbk"),
        {},
        ("doc", ""),
    ),
    "/nocharset.html": (page(ARTICLE, head="").encode("big5", errors="ignore"), {}, ("doc", "")),
    "/truncated.html": (page(ARTICLE).encode()[:-30], {}, ("flag", "truncated_html")),
    "/empty.html": (b"", {}, ("error", "empty page")),
    "/nobody.html": (page("<p>短</p>").encode(), {}, ("error", "no main text")),
    "/binary.html": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, {}, ("error", "binary")),
    "/e404.html": (None, {}, ("error", "HTTP 404")),
    "/e500.html": (None, {"status": 500, "body": "oops"}, ("error", "HTTP 500")),
    "/e429.html": (
        page(ARTICLE).encode(),
        {"fail_first": 1, "status": 429, "headers": {"Retry-After": "1"}},
        ("doc", ""),
    ),
    "/loop.html": (
        None,
        {"status": 302, "headers": {"Location": "/loop.html"}},
        ("error", "redirect"),
    ),
    "/big.html": (page(ARTICLE * 1000).encode(), {}, ("error", "size")),
    "/bomb.html": (
        None,
        {"file": "bomb.gz", "headers": {"Content-Encoding": "gzip"}},
        ("error", "size"),
    ),
    "/corrupt.pdf": (b"%PDF-1.7\n" + bytes(range(256)) * 4, {}, ("error", "corrupt PDF")),
    "/encrypted.pdf": (encrypted_pdf(), {}, ("error", "encrypted PDF")),
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("badsite")
    site = root / HOST
    site.mkdir()
    links = "".join(f'<a href="{p}">{p}</a>' for p in CASES)
    (site / "index.html").write_text(f"<html><body>{links}</body></html>", "utf-8")
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n", "utf-8")
    (site / "bomb.gz").write_bytes(gzip.compress(b"<html>" + b" " * 5_000_000, 9))
    rules = {}
    for path, (content, rule, _) in CASES.items():
        if content is not None:
            (site / path.lstrip("/")).write_bytes(content)
        if rule:
            rules[path] = rule
    (site / "_responses.json").write_text(json.dumps(rules), "utf-8")
    registry = root / "sources.yaml"
    registry.write_text(
        "sources:\n  - id: bad\n    outlet: Bad\n    kind: media\n    lang: zh-Hans\n"
        f"    domains: [{HOST}]\n    listings: ['http://{HOST}/index.html']\n"
        f"    report_listings: ['http://{HOST}/index.html']\n"
        "    articles: ['/(?!index)[a-z0-9]+\\.html$']\n    reports: ['\\.pdf$']\n",
        "utf-8",
    )
    out = root / "out"
    settings = {"DOWNLOAD_MAXSIZE": "300000", "RETRY_BACKOFF_BASE": "0.05", "RETRY_TIMES": "2"}
    with SiteServer(root) as server:
        runs = [
            run_spider(
                s, "bad", out / s, proxy=server.url, fast=True, registry=registry, settings=settings
            )
            for s in ("media", "reports")
        ]
    docs = {
        d["url"].split(HOST)[1]: d
        for r in runs
        for d in read_jsonl(r.out_dir / "documents.jsonl")[0]
    }
    errors = {
        e["url"].split(HOST)[1]: e for r in runs for e in read_jsonl(r.out_dir / "errors.jsonl")[0]
    }
    return {"runs": runs, "docs": docs, "errors": errors}


def test_the_crawl_finishes(crawled):
    assert all(r.stats["finish_reason"] == "finished" for r in crawled["runs"])


@pytest.mark.parametrize("path", sorted(CASES))
def test_each_bad_input_ends_recorded_with_its_reason(crawled, path):
    kind, reason = CASES[path][2]
    docs, errors = crawled["docs"], crawled["errors"]
    if kind == "error":
        assert path not in docs
        assert path in errors, f"{path} was lost silently"
        assert reason.lower() in errors[path]["reason"].lower(), errors[path]
    else:
        assert path in docs, errors.get(path)
        assert "\ufffd" not in docs[path]["text"]
        if kind == "flag":
            assert reason in docs[path]["flags"]


def test_retry_after_was_honoured(crawled):
    media = crawled["runs"][0].stats
    assert media.get("retry/count", 0) >= 1
    assert "/e429.html" in crawled["docs"]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(b"7", 7.0), (b"Wed, 21 Oct 2015 07:28:10 GMT", 3.0), (b"soon", None), (None, None)],
)
def test_retry_after_parsing(value, seconds):
    import email.utils

    now = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:28:07 GMT").timestamp()
    assert retry_after(value, now=now) == seconds


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "100.100.100.200",
        "100.64.0.1",
        "192.168.0.1",
        "[::1]",
        "0.0.0.0",
    ],
)
def test_private_addresses_are_refused(host):
    from scrapy import Request

    mw = PrivateAddressMiddleware()
    with pytest.raises(UnsafeAddress, match="refused"):
        asyncio.run(mw.process_request(Request(f"http://{host}/admin")))


def test_through_a_proxy_names_are_checked_before_the_request_goes_out():
    """A proxy resolves names itself, so the crawler's resolver never sees them."""
    from scrapy import Request

    with pytest.raises(UnsafeAddress, match="localhost resolves to non-public address"):
        asyncio.run(
            PrivateAddressMiddleware(through_proxy=True).process_request(
                Request("http://localhost/")
            )
        )
    # without a proxy a name is left to the resolver of the connection (see test_ssrf)
    assert (
        asyncio.run(PrivateAddressMiddleware().process_request(Request("http://localhost/")))
        is None
    )


def test_public_address_literals_pass():
    from scrapy import Request

    mw = PrivateAddressMiddleware()
    assert asyncio.run(mw.process_request(Request("http://93.184.215.14/"))) is None


def test_a_name_that_does_not_resolve_is_not_retried():
    """With no network, every request waited through three retries with backoff."""
    from scrapy import Request
    from scrapy.settings import Settings

    from qun.spiders.middlewares import _UNRESOLVED, BackoffRetryMiddleware

    mw = BackoffRetryMiddleware(Settings({"RETRY_TIMES": 3}))
    for exc_type in _UNRESOLVED:
        got = asyncio.run(mw.process_exception(Request("http://nowhere.invalid/"), exc_type("x")))
        assert got is None, exc_type
    # a connection refused or timed out is still retried (Scrapy's list, unchanged)
    from twisted.internet.error import ConnectionRefusedError as Refused

    assert issubclass(Refused, mw.exceptions_to_retry)
