"""Crawl the bundled sample site from a local server and check what comes out against the
manifest: every allowed document, nothing from the robots-disallowed section, correct decoding
and dates, and every bad page recorded with its reason."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from qun.datasets.ingest import read_jsonl
from qun.spiders.devserver import SiteServer
from qun.spiders.process import run_spider

# crawls, runs or builds of the whole pipeline: left out by `make test-fast`
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("crawl")
    with SiteServer() as server:
        runs = {
            s: run_spider(s, "sample", out / s, proxy=server.url, fast=True)
            for s in ("media", "reports")
        }
        hits = list(server.hits)
    docs = [d for s in runs for d in read_jsonl(out / s / "documents.jsonl")[0]]
    errors = [e for s in runs for e in read_jsonl(out / s / "errors.jsonl")[0]]
    return {"runs": runs, "docs": docs, "errors": errors, "hits": hits}


def test_yields_exactly_the_allowed_documents(crawl, manifest):
    allowed = {d["url"] for d in manifest["documents"] if d["allowed"]}
    urls = [d["url"] for d in crawl["docs"]]
    assert len(urls) == len(set(urls)), "a document was fetched twice"
    assert set(urls) == allowed


def test_robots_disallowed_section_is_never_fetched(crawl, manifest):
    assert not any("/member/" in h for h in crawl["hits"])
    robots = [e for e in crawl["errors"] if e["stage"] == "robots"]
    member = {d["url"] for d in manifest["documents"] if not d["allowed"]}
    assert member <= {e["url"] for e in robots}


def test_legacy_encodings_decode_without_replacement_characters(crawl, manifest):
    by_url = {d["url"]: d for d in manifest["documents"]}
    encodings = Counter()
    for doc in crawl["docs"]:
        expected = by_url[doc["url"]]["encoding"]
        if expected:
            assert doc["encoding"] == expected, doc["url"]
            encodings[expected] += 1
        assert "\ufffd" not in doc["text"], doc["url"]
    assert encodings["gb18030"] >= 10 and encodings["big5hkscs"] >= 5


def test_published_dates_match_the_manifest(crawl, manifest):
    by_url = {d["url"]: d for d in manifest["documents"]}
    right = sum(d["published_at"] == by_url[d["url"]]["date"] for d in crawl["docs"])
    assert right / len(crawl["docs"]) >= 0.98


def test_titles_languages_and_main_text(crawl, manifest):
    by_url = {d["url"]: d for d in manifest["documents"]}
    for doc in crawl["docs"]:
        gold = by_url[doc["url"]]
        assert doc["title"] == gold["title"]
        assert doc["lang"] == gold["lang"]
        paragraphs = [p for p in gold["text"].split("\n") if p.strip()]
        assert all(p[:25] in doc["text"] for p in paragraphs), doc["url"]
        assert "版权所有" not in doc["text"] and "synthetic sample" not in doc["text"]
        if gold["lang"] == "zh-Hant":
            assert doc["text_simplified"] != doc["text"]
            assert len(doc["text_simplified"]) == len(doc["text"])


def test_bylines_give_the_author_names(crawl, manifest):
    role = re.compile(
        r"^(本报记者|本報記者|特约记者|特約記者|记者|記者|通讯员|通訊員|文\s*[/／]|By)\s*"
    )
    by_url = {d["url"]: d for d in manifest["documents"]}
    pairs = [
        (re.sub(r"（.*?）", "", role.sub("", by_url[d["url"]]["author"])).strip(), d["author"])
        for d in crawl["docs"]
        if by_url[d["url"]]["author"] and d["doc_type"] == "article"
    ]
    right = sum(gold == got for gold, got in pairs)
    assert right / len(pairs) >= 0.95, [p for p in pairs if p[0] != p[1]]


def test_main_text_starts_after_headline_and_date_lines(crawl):
    html_docs = [d for d in crawl["docs"] if not d["url"].endswith(".pdf")]
    assert not [d["url"] for d in html_docs if d["text"].split("\n")[0].strip() == d["title"]]
    assert not [d["url"] for d in html_docs if d["text"].startswith(("发布时间", "發佈時間"))]


def test_bad_pages_end_as_recorded_errors(crawl, manifest):
    got = {(e["url"], e["stage"]): e["reason"] for e in crawl["errors"]}
    for bad in manifest["bad_pages"]:
        assert (bad["url"], bad["stage"]) in got, bad
        assert got[(bad["url"], bad["stage"])]
    for run in crawl["runs"].values():
        assert run.stats["finish_reason"] == "finished"


def test_reports_have_pages_and_publisher(crawl):
    pdfs = [d for d in crawl["docs"] if d["url"].endswith(".pdf")]
    assert len(pdfs) == 10
    assert all(d["n_pages"] >= 3 and d["doc_type"] == "report" for d in pdfs)
    assert all(d["author"] in ("明德公益基金会", "恒信慈善基金会") for d in pdfs)


def test_read_jsonl_skips_a_line_cut_by_a_kill(tmp_path: Path):
    path = tmp_path / "documents.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": ', "utf-8")
    rows, bad = read_jsonl(path)
    assert rows == [{"a": 1}, {"a": 2}] and bad == 1


def test_spiders_run_standalone_with_scrapy_crawl(tmp_path: Path):
    """`scrapy crawl media -a source=<id>` works from the repository root, with feed exports."""
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "items.jsonl"
    with SiteServer() as server:
        env = dict(os.environ, http_proxy=server.url)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "media",
                "-a",
                "source=sample-review",
                "-s",
                "QUN_ALLOW_PRIVATE=True",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-O",
                str(out),
            ],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    items = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len([i for i in items if "doc_id" in i]) == 20
    assert all(i["lang"] == "en" for i in items if "doc_id" in i)


def test_a_crawl_that_reaches_nothing_records_each_failure_then_fails(tmp_path: Path):
    """With no network, the failures were only in a scratch file and the whole spider process
    was retried for minutes: now each goes to crawl_errors with its cause, and the crawl ends
    in one line saying no site answered."""
    import socket

    from qun.datasets import documents, store
    from qun.flows.pipeline import crawl_flow
    from qun.spiders.process import CrawlFailed

    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    data = tmp_path / "data"
    with pytest.raises(CrawlFailed, match=r"^no site answered: \d+ requests got no response"):
        crawl_flow(data, "sample-review", proxy=dead, fast=True)
    errors = store.read(documents.ERRORS_SPEC, data).to_pylist()
    assert errors and all(e["stage"] == "fetch" for e in errors)
    assert all("Connection" in e["reason"] or "refused" in e["reason"] for e in errors)
    assert {e["source"] for e in errors} == {"sample-review"}
    assert not list((data / "_crawl").glob("*/media"))  # taken in, not left for the next run


def test_crawl_runs_count_where_dates_came_from(demo_dir: Path):
    from qun.datasets import runs, store

    rows = store.read(runs.SPEC, demo_dir).to_pylist()
    assert rows
    for row in rows:
        kinds = {k: row[f"dates_{k}"] or 0 for k in runs.DATE_SOURCES}
        assert sum(kinds.values()) == row["documents"], kinds
    assert sum(r["dates_header"] or 0 for r in rows) > 0
