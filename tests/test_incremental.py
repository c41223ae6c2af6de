"""Re-crawls: unchanged documents are not fetched again, a changed one is updated, a crawl
killed with SIGKILL is finished by the next run without duplicates, and documents can be
rebuilt from the WARC archive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.compute as pc
import pytest

from qun.datasets import documents, runs, store
from qun.spiders.devserver import SiteServer

# crawls, runs or builds of the whole pipeline: left out by `make test-fast`
pytestmark = pytest.mark.e2e


def crawl(data_dir: Path, server: SiteServer) -> dict:
    from qun.flows.pipeline import crawl_flow

    return crawl_flow(data_dir, "sample", proxy=server.url, fast=True)


def docs(data_dir: Path) -> dict[str, dict]:
    return {r["doc_id"]: r for r in store.read(documents.SPEC, data_dir).to_pylist()}


def test_recrawl_fetches_no_unchanged_article_and_updates_exactly_a_changed_one(
    prefect_harness, site_copy: Path, tmp_path: Path, manifest: dict
):
    data = tmp_path / "data"
    with SiteServer(site_copy) as server:
        first = crawl(data, server)
        before = docs(data)
        second = crawl(data, server)
        assert docs(data) == before  # no row added or touched, fetch times included
        allowed = sum(d["allowed"] for d in manifest["documents"])
        assert sum(s["not_modified"] for s in second["spiders"].values()) == allowed
        assert sum(s["documents"] for s in second["spiders"].values()) == 0

        target = next(d for d in manifest["documents"] if d["site"] == "review")
        page = site_copy / "www.philanthropy-review.example" / target["url"].split(".example/")[1]
        page = page / "index.html"
        html = page.read_text("utf-8")
        marker = '<div class="entry-content"><p>'
        assert marker in html
        page.write_text(html.replace(marker, marker + "UPDATED: "), "utf-8")
        third = crawl(data, server)
    after = docs(data)
    changed = [k for k in after if after[k] != before[k]]
    assert len(changed) == 1
    assert after[changed[0]]["url"] == target["url"]
    assert "UPDATED: " in after[changed[0]]["text"]
    assert third["counts"]["new_or_changed"] == 1
    assert first["counts"]["documents"] == len(before) == allowed
    run_rows = store.read(runs.SPEC, data)
    assert run_rows.num_rows == 6  # three runs, two spiders each


def test_crawl_killed_with_sigkill_is_finished_by_the_next_run(
    prefect_harness, site_copy: Path, tmp_path: Path
):
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    script = (
        "import sys; from pathlib import Path; from qun.flows.pipeline import crawl_flow; "
        "crawl_flow(Path(sys.argv[1]), 'sample', proxy=sys.argv[2], fast=True)"
    )
    with SiteServer(site_copy, delay=0.05) as server:
        crawl(reference, server)
        env = dict(os.environ)
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(killed), server.url],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        written = 0
        while time.monotonic() < deadline and proc.poll() is None:
            out = list(killed.glob("_crawl/*/media/documents.jsonl"))
            # the file is being written: count whole lines in bytes, a line may be half there
            written = out[0].read_bytes().count(b"\n") if out else 0
            if written >= 20:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the crawl ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert written >= 20
        assert (
            not (killed / "documents").exists() or store.read(documents.SPEC, killed).num_rows < 126
        )
        crawl(killed, server)
    ref, got = docs(reference), docs(killed)
    assert set(got) == set(ref)
    key = ("url", "content_hash", "title", "published_at", "duplicate_of")
    assert {k: tuple(v[c] for c in key) for k, v in got.items()} == {
        k: tuple(v[c] for c in key) for k, v in ref.items()
    }


def test_reextract_rebuilds_documents_from_the_archive_without_network(
    prefect_harness, site_copy: Path, tmp_path: Path
):
    from qun.flows.pipeline import reextract_flow

    data = tmp_path / "data"
    with SiteServer(site_copy) as server:
        crawl(data, server)
    before = docs(data)
    table = store.read(documents.SPEC, data)
    # damage the dataset's text as if an old extractor had been worse
    damaged = table.set_column(
        table.schema.get_field_index("title"),
        "title",
        pc.binary_join_element_wise("old: ", table["title"], ""),
    )
    store.write(documents.SPEC, data, damaged, replace_all=True)
    result = reextract_flow(data)  # the server is gone: only the archive is read
    assert result["new_or_changed"] == len(before)
    restored = docs(data)
    assert {k: v["title"] for k, v in restored.items()} == {
        k: v["title"] for k, v in before.items()
    }
    assert all(v["warc_file"] and v["warc_offset"] is not None for v in restored.values())
