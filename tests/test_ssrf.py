"""The crawler never reaches the user's own network: addresses that are not globally routable
are refused where the connection is made (the DNS answer checked is the one used), redirects
stay inside the source's domains, and every refusal is a crawl error of stage `safety`."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy import Request

from qun.datasets.ingest import read_jsonl
from qun.spiders.middlewares import PrivateAddressMiddleware, UnsafeAddress
from qun.spiders.process import run_spider
from qun.spiders.resolver import PublicOnlyResolver, UnsafeAddressError, unsafe_ip

FEED = b"""<?xml version="1.0"?><rss><channel><item><link>{link}</link></item></channel></rss>"""


@pytest.mark.parametrize(
    ("address", "unsafe"),
    [
        ("100.100.100.200", True),  # a cloud's metadata service (shared address space)
        ("100.64.0.1", True),
        ("100.127.255.254", True),
        ("169.254.169.254", True),
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.1.1", True),
        ("0.0.0.0", True),
        ("::1", True),
        ("fd00::1", True),
        ("224.0.0.1", True),
        ("8.8.8.8", False),
        ("100.63.255.255", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_only_globally_routable_addresses_are_safe(address: str, unsafe: bool) -> None:
    assert unsafe_ip(address) is unsafe


def test_an_address_in_the_url_is_refused_before_connecting() -> None:
    check = PrivateAddressMiddleware()
    request = Request("http://100.100.100.200/latest/meta-data/")
    with pytest.raises(UnsafeAddress, match="100.100.100.200"):
        asyncio.run(check.process_request(request))


def test_the_resolver_refuses_a_non_public_answer() -> None:
    with pytest.raises(UnsafeAddressError, match="refused: x.test resolves to non-public"):
        PublicOnlyResolver._public("100.100.100.200", "x.test")
    assert PublicOnlyResolver._public("8.8.8.8", "x.test") == "8.8.8.8"


class _Site(BaseHTTPRequestHandler):
    """As a proxy sees it (absolute URLs): a.test redirects out of its domains; any other
    request is noted and answered, so a test sees whether the crawler went there."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    hits: list[str] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        url = (
            self.path
            if self.path.startswith("http")
            else f"http://{self.headers['Host']}{self.path}"
        )
        self.hits.append(url)
        status, headers, body = self.routes.get(url, (200, {}, b"<html><body>secret</body></html>"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    _Site.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Site
    server.shutdown()


def _registry(tmp_path: Path, domain: str, feed: str, listing: str | None = None) -> Path:
    path = tmp_path / "sources.yaml"
    listings = f'\n    listings: ["{listing}"]' if listing else ""
    path.write_text(
        f"""sources:
  - id: probe
    outlet: Probe
    kind: media
    lang: en
    domains: [{domain}]
    feeds: ["{feed}"]{listings}
    articles: ['/a/\\d+$']
""",
        "utf-8",
    )
    return path


def _errors(out: Path) -> list[dict]:
    return read_jsonl(out / "errors.jsonl")[0]


def test_a_name_that_resolves_to_loopback_is_refused_at_connect_time(site, tmp_path: Path):
    """No proxy, no pre-check of the name: the resolver the connection uses refuses it."""
    url, handler = site
    port = url.rsplit(":", 1)[1]
    registry = _registry(tmp_path, "localhost", f"http://localhost:{port}/feed.xml")
    run_spider(
        "media",
        "probe",
        tmp_path / "out",
        registry=registry,
        settings={"ROBOTSTXT_OBEY": "False", "DOWNLOAD_DELAY": "0"},
    )
    errors = _errors(tmp_path / "out")
    assert [e["stage"] for e in errors] == ["safety"]
    assert "refused: localhost resolves to non-public address 127.0.0.1" in errors[0]["reason"]
    assert handler.hits == []  # never connected


def test_redirects_stay_inside_the_source_domains(site, tmp_path: Path):
    url, handler = site
    handler.routes = {
        "http://a.test/feed.xml": (302, {"Location": "http://b.test/a/1"}, b""),
        "http://a.test/list": (
            301,
            {"Location": "http://100.100.100.200/latest/meta-data/"},
            b"",
        ),
    }
    registry = _registry(tmp_path, "a.test", "http://a.test/feed.xml", "http://a.test/list")
    run_spider(
        "media",
        "probe",
        tmp_path / "out",
        proxy=url,
        registry=registry,
        settings={"ROBOTSTXT_OBEY": "False"},
        fast=True,
    )
    errors = sorted(_errors(tmp_path / "out"), key=lambda e: e["url"])
    assert [e["stage"] for e in errors] == ["safety", "safety"]
    assert "leaves the domains of probe" in errors[0]["reason"]
    assert {e["source"] for e in errors} == {"probe"}
    assert not [h for h in handler.hits if "b.test" in h or "100.100.100.200" in h]
    assert len(errors) == 2
