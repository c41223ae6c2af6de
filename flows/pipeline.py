"""Prefect flows: crawl, extract, trends, report, and the pipeline that runs them in order.

Network IO (the crawl) is a task of its own with retries; deterministic steps are not retried.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from prefect import flow, get_run_logger, task

from datasets import catalog, documents, mentions, report, store, trends
from flows.crawl import CrawlRun, read_jsonl, run_spider
from models.concepts import load_lexicon
from models.extract import mention_rows
from spiders.dedup import DocPrint, link_duplicates
from spiders.registry import load_sources, select

SPIDERS = ("media", "reports")


@dataclass
class RunSummary:
    data_dir: Path
    rows: dict[str, int] = field(default_factory=dict)
    date_range: tuple[str | None, str | None] = (None, None)
    crawl: dict[str, dict[str, int]] = field(default_factory=dict)
    report: Path | None = None


# ---- crawl -------------------------------------------------------------------------------------
@task(name="crawl-spider", retries=2, retry_delay_seconds=[5, 30])
def crawl_task(spider: str, sources: str, out_dir: Path, proxy: str | None, fast: bool) -> CrawlRun:
    return run_spider(spider, sources, out_dir, proxy=proxy, fast=fast)


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _doc_rows(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in raw:
        rows.append(
            {
                **r,
                "published_at": date.fromisoformat(r["published_at"])
                if r.get("published_at")
                else None,
                "fetched_at": _ts(r.get("fetched_at")),
                "duplicate_of": None,
            }
        )
    return rows


@task(name="ingest-crawl")
def ingest_task(data_dir: Path, runs: list[CrawlRun]) -> dict[str, int]:
    """Merge crawled documents into `documents` (by doc_id), link reprints, record errors."""
    new_docs: list[dict[str, Any]] = []
    new_errors: list[dict[str, Any]] = []
    broken = 0
    for run in runs:
        docs, bad_d = read_jsonl(run.out_dir / "documents.jsonl")
        errs, bad_e = read_jsonl(run.out_dir / "errors.jsonl")
        new_docs += docs
        new_errors += errs
        broken += bad_d + bad_e
    merged = {r["doc_id"]: r for r in store.read(documents.SPEC, data_dir).to_pylist()}
    for row in _doc_rows(new_docs):
        merged[row["doc_id"]] = row
    prints = [
        DocPrint(
            r["doc_id"],
            r["published_at"].isoformat() if r["published_at"] else None,
            r["content_hash"],
            r["simhash"],
            r["title"] or "",
            r["text_simplified"],
        )
        for r in merged.values()
    ]
    links = link_duplicates(prints)
    for doc_id, row in merged.items():
        row["duplicate_of"] = links.get(doc_id)
    table = pa.Table.from_pylist(list(merged.values()), schema=documents.SCHEMA)
    result = store.write(documents.SPEC, data_dir, table, replace_all=True)
    errors = {
        (r["url"], r["stage"]): r for r in store.read(documents.ERRORS_SPEC, data_dir).to_pylist()
    }
    for r in new_errors:
        errors[(r["url"], r["stage"])] = {**r, "fetched_at": _ts(r.get("fetched_at"))}
    err_table = pa.Table.from_pylist(list(errors.values()), schema=documents.ERRORS_SCHEMA)
    store.write(documents.ERRORS_SPEC, data_dir, err_table, replace_all=True)
    return {
        "documents": result.rows,
        "crawl_errors": err_table.num_rows,
        "reprints": len(links),
        "unreadable_lines": broken,
    }


@flow(name="qun-crawl")
def crawl_flow(
    data_dir: Path,
    sources: str = "real",
    proxy: str | None = None,
    fast: bool = False,
    spiders: tuple[str, ...] = SPIDERS,
) -> dict[str, Any]:
    """Crawl the selected sources (each spider in its own process) into `documents`."""
    select(load_sources(), sources)  # fail early, with the registry's message, on a bad name
    run_dir = Path(data_dir) / "_crawl" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    run_dir = run_dir.with_name(f"{run_dir.name}-{uuid.uuid4().hex[:6]}")
    runs = [crawl_task(spider, sources, run_dir / spider, proxy, fast) for spider in spiders]
    counts = ingest_task(Path(data_dir), runs)
    shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "counts": counts,
        "spiders": {
            r.spider: {
                "documents": r.documents,
                "errors": r.errors,
                "requests": int(r.stats.get("downloader/request_count", 0)),
            }
            for r in runs
        },
    }


# ---- extract -----------------------------------------------------------------------------------
@task(name="extract-mentions")
def extract_task(data_dir: Path) -> dict[str, int]:
    docs = (
        store.read(documents.SPEC, data_dir)
        .select(["doc_id", "source", "published_at", "text"])
        .to_pylist()
    )
    org_rows: list[dict[str, Any]] = []
    concept_rows: list[dict[str, Any]] = []
    for doc in docs:
        base = {
            "doc_id": doc["doc_id"],
            "source": doc["source"],
            "published_at": doc["published_at"],
        }
        orgs, concepts = mention_rows(doc["text"] or "")
        org_rows += [{**base, **o} for o in orgs]
        concept_rows += [{**base, **c} for c in concepts]
    o = store.write(
        mentions.ORG_SPEC,
        data_dir,
        pa.Table.from_pylist(org_rows, schema=mentions.ORG_SCHEMA),
        replace_all=True,
    )
    c = store.write(
        mentions.CONCEPT_SPEC,
        data_dir,
        pa.Table.from_pylist(concept_rows, schema=mentions.CONCEPT_SCHEMA),
        replace_all=True,
    )
    return {"org_mentions": o.rows, "concept_mentions": c.rows}


@flow(name="qun-extract")
def extract_flow(data_dir: Path) -> dict[str, int]:
    """Organizations and concepts for every document into `org_mentions`, `concept_mentions`."""
    return extract_task(Path(data_dir))


# ---- trends and report -------------------------------------------------------------------------
@task(name="concept-trends")
def trends_task(data_dir: Path) -> dict[str, int]:
    table = trends.concept_trends(
        store.read(documents.SPEC, data_dir),
        store.read(mentions.CONCEPT_SPEC, data_dir),
        [c.id for c in load_lexicon()],
    )
    result = store.write(trends.SPEC, data_dir, table, replace_all=True)
    return {"concept_trends": result.rows}


@flow(name="qun-trends")
def trends_flow(data_dir: Path) -> dict[str, int]:
    """Trend tables from the mention datasets."""
    return trends_task(Path(data_dir))


@task(name="write-report")
def report_task(data_dir: Path, out: Path | None) -> Path:
    labels = {c.id: (c.label_zh, c.label_en) for c in load_lexicon()}
    return report.write_report(Path(data_dir), out, labels)


@flow(name="qun-report")
def report_flow(data_dir: Path, out: Path | None = None) -> Path:
    """The HTML trend report for communications teams."""
    return report_task(Path(data_dir), out)


# ---- the whole pipeline ------------------------------------------------------------------------
@flow(name="qun-pipeline")
def pipeline_flow(
    data_dir: Path, sources: str = "real", proxy: str | None = None, fast: bool = False
) -> RunSummary:
    """Crawl -> documents -> mentions -> trends -> report."""
    log = get_run_logger()
    data_dir = Path(data_dir)
    summary = RunSummary(data_dir)
    crawled = crawl_flow(data_dir, sources, proxy, fast)
    summary.crawl = crawled["spiders"]
    log.info("crawl: %s", crawled["counts"])
    extract_flow(data_dir)
    trends_flow(data_dir)
    summary.report = report_flow(data_dir)
    summary.rows = {spec.name: store.read(spec, data_dir).num_rows for spec in catalog.ALL}
    dates = store.read(documents.SPEC, data_dir).column("published_at").drop_null()
    if len(dates):
        summary.date_range = (str(min(dates.to_pylist())), str(max(dates.to_pylist())))
    return summary
