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
        rules = {}
        if (site / "_responses.json").is_file():
            rules = json.loads((site / "_responses.json").read_text("utf-8"))
        rule = rules.get(path, {})
        if rule.get("delay"):
            time.sleep(float(rule["delay"]))
        target = (site / path.lstrip("/")).resolve()
        if path.endswith("/"):
            target = target / "index.html"
        if site not in target.parents or not target.is_file() or not site.is_dir():
            target = None  # type: ignore[assignment]
        status = int(rule.get("status", 200 if target else 404))
        body = target.read_bytes() if target and status == 200 else rule.get("body", "").encode()
        if status == 404 and not body:
            body = b"<html><body><h1>404 Not Found</h1></body></html>"
        headers = {
            "Content-Type": _TYPES.get(Path(path).suffix.lower())
            or mimetypes.guess_type(path)[0]
            or "text/html"
        }
        if target and status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            mtime = target.stat().st_mtime
            headers["ETag"] = etag
            headers["Last-Modified"] = email.utils.formatdate(mtime, usegmt=True)
            ims = self.headers.get("If-Modified-Since")
            since = email.utils.parsedate_to_datetime(ims).timestamp() if ims else None
            if self.headers.get("If-None-Match") == etag or (since and int(mtime) <= since):
                status, body = 304, b""
        headers.update(rule.get("headers", {}))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class SiteServer:
    """Serve a folder of virtual hosts on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(self, root: Path = SAMPLE_SITE, port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"root": Path(root).resolve()})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.httpd.hits = []  # type: ignore[attr-defined]
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
