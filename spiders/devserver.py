"""A local web server for the bundled sample site and for test fixtures, on 127.0.0.1 only.

It serves several virtual hosts from one folder (`<root>/<host>/<path>`) and works both as a
plain server (Host header) and as an HTTP proxy (absolute request URIs), so the crawler keeps the
sites' real-looking URLs (`http://www.gongyi-observer.example/...`) whatever port is free.
Per-path behaviour (status, headers, delays) comes from `<root>/<host>/_responses.json`.
Conditional requests (ETag, If-Modified-Since) are answered with 304.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import mimetypes
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SAMPLE_SITE = Path(__file__).with_name("sample_site") / "site"
_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".json": "application/json",
}


class _Handler(BaseHTTPRequestHandler):
    server_version = "qun-devserver/1"
    root: Path
    delay: float = 0.0

    def log_message(self, format: str, *args: object) -> None:  # quiet by default
        self.server.hits.append(self.path)  # type: ignore[attr-defined]

    def _locate(self) -> tuple[str, str]:
        parts = urlsplit(self.path)
        host = parts.hostname or (self.headers.get("Host") or "").split(":")[0]
        return host.lower(), unquote(parts.path or "/")

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        host, path = self._locate()
        site = (self.root / host).resolve()
        rule = self._rule(site, path)
        if rule.get("delay", self.delay):
            time.sleep(float(rule.get("delay", self.delay)))
        if rule.get("fail_first") is not None:  # misbehave N times, then serve normally
            seen = self.server.failures.get((host, path), 0)  # type: ignore[attr-defined]
            self.server.failures[(host, path)] = seen + 1  # type: ignore[attr-defined]
            if seen >= int(rule["fail_first"]):
                rule = {}
        headers = {
            "Content-Type": _TYPES.get(Path(path).suffix.lower())
            or mimetypes.guess_type(path)[0]
            or "text/html"
        }
        if "status" in rule or "file" in rule or "body" in rule:
            status = int(rule.get("status", 200))
            body = (
                (site / rule["file"]).read_bytes()
                if rule.get("file")
                else str(rule.get("body", "")).encode("utf-8")
            )
            headers.update(rule.get("headers", {}))
        else:
            status, body = self._static(site, path, headers)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _static(self, site: Path, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """A file of the site, with ETag and Last-Modified; 304 when the client has it."""
        target = (site / path.lstrip("/")).resolve()
        if path.endswith("/"):
            target = target / "index.html"
        if not (site.is_dir() and site in target.parents and target.is_file()):
            return 404, b"<html><body><h1>404 Not Found</h1></body></html>"
        body = target.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        mtime = int(target.stat().st_mtime)
        headers["ETag"] = etag
        headers["Last-Modified"] = email.utils.formatdate(mtime, usegmt=True)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            return (304, b"") if inm == etag else (200, body)
        if ims and mtime <= email.utils.parsedate_to_datetime(ims).timestamp():
            return 304, b""
        return 200, body

    def _rule(self, site: Path, path: str) -> dict:
        rules_file = site / "_responses.json"
        if not rules_file.is_file():
            return {}
        rules = json.loads(rules_file.read_text("utf-8"))
        return dict(rules.get(path, {}))


class SiteServer:
    """Serve a folder of virtual hosts on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(self, root: Path = SAMPLE_SITE, port: int = 0, delay: float = 0.0) -> None:
        handler = type("Handler", (_Handler,), {"root": Path(root).resolve(), "delay": delay})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.httpd.hits = []  # type: ignore[attr-defined]
        self.httpd.failures = {}  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def hits(self) -> list[str]:
        return self.httpd.hits  # type: ignore[attr-defined,no-any-return]

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
