"""`qun import`: pages other crawlers archived in WARC files become documents through the crawl's
own path (decoding GBK, Big5 and UTF-8, main text, dates), or recorded errors; records that are
not HTML or PDF responses are counted and skipped; the WARC file stays where it is."""

from __future__ import annotations

import io
import json
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from qun.datasets import documents, store
from tests.conftest import qun

PARA = "社区基金会联合多家社会组织开展服务，共同议程和共享测量让合作持续下去。"
PARA_HANT = "社區基金會聯合多家社會組織開展服務，共同議程和共享測量讓合作持續下去。"


def _page(title: str, date: str, charset: str, para: str = PARA) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{para}第{k}段。</p>" for k in range(4))
    return (
        f"<html><head>{meta}<title>{title}</title></head><body><h1>{title}</h1>"
        f"<div class='date'>{date}</div><div class='article'>{body}</div></body></html>"
    )


def _response(writer: WARCWriter, url: str, body: bytes, ctype: str, status: str = "200 OK"):
    headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=headers
    )
    writer.write_record(record)


def _warc(path: Path) -> Path:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "wget/1.21"}))
        _response(
            writer,
            "http://news.example.cn/a/1.html",
            _page("联合行动启动", "2023年4月5日", "utf-8").encode("utf-8"),
            "text/html; charset=utf-8",
        )
        _response(
            writer,
            "http://news.example.cn/a/2.html",
            _page("社区基金会年会召开", "2023-06-07", "gb2312").encode("gb18030"),
            "text/html",
        )
        # Big5 declared as UTF-8: decoded from the bytes, not the label
        _response(
            writer,
            "http://hk.example.org/b/3.html",
            _page("社區基金會聯合行動", "2023年8月9日", "utf-8", PARA_HANT).encode("big5"),
            "text/html; charset=utf-8",
        )
        _response(writer, "http://news.example.cn/logo.png", b"\x89PNG\r\n\x1a\n0000", "image/png")
        _response(
            writer,
            "http://news.example.cn/gone.html",
            b"<html>gone</html>",
            "text/html",
            "404 Not Found",
        )
        _response(
            writer, "http://news.example.cn/empty.html", b"<html><body></body></html>", "text/html"
        )
        req = writer.create_warc_record(
            "http://news.example.cn/a/1.html",
            "request",
            payload=io.BytesIO(b"GET /a/1.html HTTP/1.1\r\n\r\n"),
        )
        writer.write_record(req)
    return path


def test_a_wget_style_warc_becomes_documents_and_recorded_errors(tmp_path: Path):
    warc = _warc(tmp_path / "crawl.warc.gz")
    before = warc.read_bytes()
    data = tmp_path / "data"
    out = qun("import", str(warc), "--data-dir", str(data), "--outlet", "示例新闻")
    result = json.loads(out.stdout.splitlines()[0])
    counts = result["warc"]
    assert counts["records"] == 8 and counts["pages"] == 4
    assert counts["documents"] == 3 and counts["errors"] == 1  # the empty page
    assert counts["skipped: not HTML or PDF (image/png)"] == 1
    assert counts["skipped: HTTP 404"] == 1
    assert counts["skipped: request record"] == 1 and counts["skipped: warcinfo record"] == 1
    docs = {d["url"]: d for d in store.read(documents.SPEC, data).to_pylist()}
    assert len(docs) == 3
    for doc in docs.values():
        assert "\ufffd" not in doc["text"] and PARA[:10] in doc["text_simplified"]
        assert doc["outlet"] == "示例新闻" and doc["warc_file"] == str(warc.resolve())
    assert docs["http://news.example.cn/a/2.html"]["published_at"].isoformat() == "2023-06-07"
    assert docs["http://hk.example.org/b/3.html"]["source"] == "hk.example.org"
    assert docs["http://hk.example.org/b/3.html"]["title"] == "社區基金會聯合行動"
    errors = store.read(documents.ERRORS_SPEC, data).to_pylist()
    assert [e["url"] for e in errors] == ["http://news.example.cn/empty.html"]
    assert warc.read_bytes() == before and not (data / "archive").exists()  # left where it is
    # again: nothing new
    again = json.loads(qun("import", str(warc), "--data-dir", str(data)).stdout.splitlines()[0])
    assert again["datasets"]["new_or_changed"] == 0


def test_import_refuses_what_it_cannot_read(tmp_path: Path):
    missing = qun(
        "import", str(tmp_path / "nope.warc.gz"), "--data-dir", str(tmp_path / "d"), check=False
    )
    assert missing.returncode == 1 and "no such file" in missing.stderr
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"this is not a warc file at all")
    proc = qun("import", str(junk), "--data-dir", str(tmp_path / "d"), check=False)
    assert proc.returncode == 1
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith(f"qun: error: {junk.resolve()} is not a WARC")
    )
