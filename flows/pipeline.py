"""Prefect flows: crawl, extract, trends, report, and the pipeline that runs them in order.

Network IO (the crawl) is a task of its own with retries; deterministic steps are not retried.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from qun.datasets import (
    catalog,
    diffusion,
    documents,
    emerging,
    mentions,
    network,
    report,
    runs,
    store,
    trends,
)
from qun.flows import extraction, progress
from qun.flows.crawl import CrawlRun, read_jsonl, run_spider
from qun.models.concepts import load_lexicon
from qun.models.orgs import canonical_table
from qun.spiders import archive
from qun.spiders.dedup import DocPrint, link_duplicates
from qun.spiders.items import Document
from qun.spiders.registry import load_sources, select

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
def crawl_task(
    spider: str,
    sources: str,
    out_dir: Path,
    proxy: str | None,
    fast: bool,
    warc_dir: Path,
    seen_file: Path,
    run_id: str,
) -> CrawlRun:
    return run_spider(
        spider,
        sources,
        out_dir,
        proxy=proxy,
        fast=fast,
        warc_dir=warc_dir,
        seen_file=seen_file,
        run_id=run_id,
    )


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _doc_rows(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in raw:
        published = date.fromisoformat(r["published_at"]) if r.get("published_at") else None
        rows.append(
            {
                **r,
                "published_at": published,
                "fetched_at": _ts(r.get("fetched_at")),
                "duplicate_of": None,
            }
        )
    return rows


def _run_row(run_id: str, sources: str, stats: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run_id": run_id,
        "spider": stats.get("spider"),
        "sources": sources,
        "start_time": _ts(stats.get("start_time")),
        "finish_time": _ts(stats.get("finish_time")),
        "finish_reason": stats.get("finish_reason"),
    }
    row.update({k: int(stats.get(v, 0)) for k, v in runs.STAT_KEYS.items()})
    return row


_BOOKKEEPING = {"fetched_at", "warc_file", "warc_offset", "duplicate_of"}


def _content(row: dict[str, Any]) -> dict[str, Any]:
    """A document row without fetch bookkeeping: equal means nothing a user sees changed."""
    return {k: v for k, v in row.items() if k not in _BOOKKEEPING and k in documents.SCHEMA.names}


@task(name="ingest-crawl")
def ingest_task(data_dir: Path, out_dirs: list[Path]) -> dict[str, int]:
    """Merge crawl outputs into `documents` (by doc_id), link reprints, record errors and runs.

    Also takes the outputs of crawls that were killed before they were ingested, so their work
    is kept and nothing is fetched twice."""
    new_docs: list[dict[str, Any]] = []
    new_errors: list[dict[str, Any]] = []
    run_rows: list[dict[str, Any]] = []
    broken = 0
    for out in out_dirs:
        docs, bad_d = read_jsonl(out / "documents.jsonl")
        errs, bad_e = read_jsonl(out / "errors.jsonl")
        new_docs += docs
        new_errors += errs
        broken += bad_d + bad_e
        stats_file = out / "stats.json"
        if stats_file.exists():
            meta = json.loads((out.parent / "run.json").read_text("utf-8"))
            run_rows.append(
                _run_row(meta["run_id"], meta["sources"], json.loads(stats_file.read_text("utf-8")))
            )
    merged = {r["doc_id"]: r for r in store.read(documents.SPEC, data_dir).to_pylist()}
    changed = 0
    for row in _doc_rows(new_docs):
        old = merged.get(row["doc_id"])
        if (
            old is None
            or old["content_hash"] != row["content_hash"]
            or old["title"] != row["title"]
        ):
            changed += 1
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
    if run_rows:
        old_runs = store.read(runs.SPEC, data_dir).to_pylist()
        keep = [r for r in old_runs if r["run_id"] not in {x["run_id"] for x in run_rows}]
        store.write(
            runs.SPEC,
            data_dir,
            pa.Table.from_pylist(keep + run_rows, schema=runs.SCHEMA),
            replace_all=True,
        )
    return {
        "documents": result.rows,
        "new_or_changed": changed,
        "crawl_errors": err_table.num_rows,
        "reprints": len(links),
        "unreadable_lines": broken,
    }


@task(name="write-seen-state")
def seen_task(data_dir: Path, path: Path) -> int:
    """What was fetched before, with its validators, for conditional re-crawls."""
    table = store.read(documents.SPEC, data_dir).select(["url", "etag", "last_modified"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in table.to_pylist():
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return table.num_rows


def _leftovers(crawl_root: Path) -> list[Path]:
    """Spider output folders of earlier runs that were killed before being ingested."""
    return sorted(p.parent for p in crawl_root.glob("*/*/documents.jsonl"))


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
    data_dir = Path(data_dir)
    crawl_root = data_dir / "_crawl"
    leftovers = _leftovers(crawl_root)
    if leftovers:
        get_run_logger().info("taking over %d unfinished crawl outputs", len(leftovers))
        ingest_task(data_dir, leftovers)
        for folder in {p.parent for p in leftovers}:
            shutil.rmtree(folder, ignore_errors=True)
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    run_dir = crawl_root / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_id, "sources": sources}), "utf-8")
    seen = run_dir / "seen.jsonl"
    seen_task(data_dir, seen)
    # The spiders run side by side, each in its own process (two cores, two processes).
    futures = [
        crawl_task.submit(
            spider, sources, run_dir / spider, proxy, fast, data_dir / "archive", seen, run_id
        )
        for spider in spiders
    ]
    progress.step(f"crawling {sources} ({', '.join(spiders)})", len(futures))
    for _ in as_completed(futures):
        progress.advance()
    done = [f.result() for f in futures]
    counts = ingest_task(data_dir, [r.out_dir for r in done])
    shutil.rmtree(run_dir, ignore_errors=True)
    _publish_counts("qun-crawl", counts, "Documents and crawl errors after the crawl")
    return {
        "run_id": run_id,
        "counts": counts,
        "spiders": {
            r.spider: {
                "documents": r.documents,
                "errors": r.errors,
                "requests": int(r.stats.get("downloader/request_count", 0)),
                "not_modified": int(r.stats.get("qun/not_modified", 0)),
            }
            for r in done
        },
    }


@flow(name="qun-reextract")
def reextract_flow(data_dir: Path) -> dict[str, int]:
    """Rebuild documents from the raw WARC archive with the current extraction code."""
    data_dir = Path(data_dir)
    warcs = sorted((data_dir / "archive").glob("*.warc.gz"))
    if not warcs:
        raise FileNotFoundError(f"no WARC files in {data_dir / 'archive'}: crawl first")
    latest: dict[str, Any] = {}
    for page in archive.iter_pages(warcs, load_sources()):
        latest[page.url] = page  # later runs win
    run_dir = data_dir / "_crawl" / f"reextract-{uuid.uuid4().hex[:6]}" / "archive"
    run_dir.mkdir(parents=True)
    with (
        (run_dir / "documents.jsonl").open("w", encoding="utf-8") as docs_fh,
        (run_dir / "errors.jsonl").open("w", encoding="utf-8") as errs_fh,
    ):
        for page in latest.values():
            item = archive.process(page)
            fh = docs_fh if isinstance(item, Document) else errs_fh
            fh.write(json.dumps(dataclasses.asdict(item), ensure_ascii=False) + "\n")
    counts = ingest_task(data_dir, [run_dir])
    shutil.rmtree(run_dir.parent, ignore_errors=True)
    _publish_counts("qun-reextract", counts, "Documents rebuilt from the archive")
    return {"pages": len(latest), **counts}


# ---- extract -----------------------------------------------------------------------------------
MENTION_SPECS = extraction.MENTION_SPECS


@dataclass
class ExtractionPlan:
    """What an extraction run does: documents to read, rows kept from earlier runs."""

    todo: list[dict[str, Any]]
    kept: dict[str, list[dict[str, Any]]]
    log_rows: list[dict[str, Any]]
    unchanged: int
    nothing_to_do: bool = False


def _plan(data_dir: Path) -> ExtractionPlan:
    """Documents that are new, changed, or last extracted by another version are to be read
    (the same rule as the streaming extraction: `extraction.split_stale`)."""
    docs = store.read(
        documents.SPEC, data_dir, columns=["doc_id", "source", "published_at", "content_hash"]
    )
    log = store.read(mentions.LOG_SPEC, data_dir)
    todo_ids, keep = extraction.split_stale(docs, log)
    if not len(todo_ids) and log.num_rows == docs.num_rows:
        # nothing new, changed or removed: every dataset stays as it is
        return ExtractionPlan([], {}, [], len(keep), nothing_to_do=True)
    todo = []
    if len(todo_ids):
        todo = store.read(
            documents.SPEC,
            data_dir,
            filter=pc.field("doc_id").isin(todo_ids.to_pylist()),
            columns=["doc_id", "source", "published_at", "text", "content_hash"],
        ).to_pylist()
        todo.sort(key=lambda d: d["doc_id"])
    meta = docs.select(["doc_id", "source", "published_at"])

    def kept_rows(table: pa.Table) -> list[dict[str, Any]]:
        table = table.filter(pc.is_in(table["doc_id"], value_set=keep))
        return extraction.refreshed(table, meta).to_pylist()

    kept = {name: kept_rows(store.read(spec, data_dir)) for name, spec in MENTION_SPECS.items()}
    return ExtractionPlan(todo, kept, kept_rows(log), len(keep))


def _extract_docs(docs: list[dict[str, Any]], done: Callable[[int], None] | None = None) -> dict:
    """Mention rows and extraction-log rows (their time set when written) for some documents."""
    rows, log_rows = extraction.extract_rows(docs, None, done)
    return {"rows": rows, "log": log_rows}


def _write_extraction(data_dir: Path, plan: ExtractionPlan, batches: list[dict]) -> dict[str, int]:
    """Kept and new rows into the mention datasets, then the log."""
    now = datetime.now(UTC)
    rows = {name: list(kept) for name, kept in plan.kept.items()}
    log_rows = list(plan.log_rows)
    for batch in batches:
        for name, new_rows in batch["rows"].items():
            rows[name] += new_rows
        log_rows += [{**r, "extracted_at": now} for r in batch["log"]]
    # mentions first, the log last: a run killed in between redoes those documents
    counts = {"extracted": len(plan.todo), "unchanged": plan.unchanged}
    for name, spec in MENTION_SPECS.items():
        table = pa.Table.from_pylist(rows[name], schema=spec.schema)
        counts[name] = store.write(spec, data_dir, table, replace_all=True).rows
    store.write(
        mentions.LOG_SPEC,
        data_dir,
        pa.Table.from_pylist(log_rows, schema=mentions.LOG_SCHEMA),
        replace_all=True,
    )
    return counts


def _unchanged_counts(data_dir: Path, plan: ExtractionPlan) -> dict[str, int]:
    counts = {name: store.count(spec, data_dir) for name, spec in MENTION_SPECS.items()}
    return {"extracted": 0, "unchanged": plan.unchanged, **counts}


@task(name="extract-mentions", cache_policy=NO_CACHE)
def extract_task(data_dir: Path) -> dict[str, int]:
    """Extract only documents that are new, changed, or last extracted by another version."""
    progress.step("extracting documents")
    return extraction.extract_documents(data_dir, done=progress.advance)


@task(name="plan-extraction", cache_policy=NO_CACHE)
def plan_task(data_dir: Path) -> ExtractionPlan:
    return _plan(data_dir)


@task(name="extract-batch", cache_policy=NO_CACHE)
def extract_batch_task(docs: list[dict[str, Any]]) -> dict:
    """Extraction of a batch of documents; runs wherever the task runner puts it (text in,
    rows out: the worker needs no access to the datasets)."""
    return _extract_docs(docs)


@task(name="write-mentions", cache_policy=NO_CACHE)
def write_mentions_task(data_dir: Path, plan: ExtractionPlan, batches: list[dict]) -> dict:
    return _write_extraction(data_dir, plan, batches)


def dask_runner(spec: str) -> Any:
    """A DaskTaskRunner for `local` (a local cluster, a worker per core), `local:N` (N workers)
    or a running scheduler's address (`tcp://host:8786`)."""
    from prefect_dask import DaskTaskRunner

    if "://" in spec:
        return DaskTaskRunner(address=spec)
    match = re.fullmatch(r"local(?::([1-9][0-9]*))?", spec)
    if match is None:
        raise ValueError(
            f"--dask takes local, local:N or a scheduler address like tcp://host:8786, not {spec!r}"
        )
    workers = int(match.group(1) or os.cpu_count() or 1)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,  # the tokenizers are not shared between threads
            "processes": True,
            "host": "127.0.0.1",
            "scheduler_kwargs": {"dashboard": False},
        }
    )


@flow(name="qun-extract")
def extract_flow(data_dir: Path, dask: str | None = None, batch_size: int = 50) -> dict[str, int]:
    """Organizations and concepts for new or changed documents into the mention datasets.

    With `dask` set, documents are extracted in batches submitted to the flow's task runner
    (`run_extract` gives it a DaskTaskRunner); the datasets are read and written here only."""
    data_dir = Path(data_dir)
    if not dask:
        counts = extract_task(data_dir)
    else:
        plan = plan_task(data_dir)
        if plan.nothing_to_do:
            counts = _unchanged_counts(data_dir, plan)
        else:
            chunks = [plan.todo[i : i + batch_size] for i in range(0, len(plan.todo), batch_size)]
            progress.step(f"extracting documents on Dask ({dask})", len(plan.todo))
            futures = [extract_batch_task.submit(chunk) for chunk in chunks]
            for future in as_completed(futures):
                progress.advance(len(future.result()["log"]))
            counts = write_mentions_task(data_dir, plan, [f.result() for f in futures])
    _publish_counts("qun-extract", counts, "Documents extracted and rows per mention dataset")
    return counts


@contextmanager
def _api_for_workers() -> Iterator[None]:
    """Dask workers are other processes and report their task runs to the Prefect API too.
    With no server configured, this process's temporary one is started here and its address
    handed to the workers (else each would start a temporary server of its own)."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    if get_current_settings().api.url:
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = server.api_url  # inherited by the worker processes
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before


def run_extract(data_dir: Path, dask: str | None = None) -> dict[str, int]:
    """Run `qun-extract`, on Dask when `dask` names a cluster (see `dask_runner`)."""
    if not dask:
        return extract_flow(data_dir)
    with _api_for_workers():
        return extract_flow.with_options(task_runner=dask_runner(dask))(data_dir, dask=dask)


# ---- trends and report -------------------------------------------------------------------------
@task(name="concept-trends")
def trends_task(data_dir: Path) -> dict[str, int]:
    """Every trend table, from one read of each dataset it needs."""
    progress.step("computing trend tables")
    docs = store.read(
        documents.SPEC,
        data_dir,
        columns=[
            "doc_id",
            "outlet",
            "title",
            "lang",
            "published_at",
            "duplicate_of",
            "text_simplified",
        ],
    )
    concepts = store.read(mentions.CONCEPT_SPEC, data_dir)
    orgs = store.read(mentions.ORG_SPEC, data_dir)
    partners = store.read(mentions.PARTNERSHIP_SPEC, data_dir)
    fund = store.read(mentions.FUNDING_SPEC, data_dir)
    lexicon = load_lexicon()

    def write(spec: Any, table: pa.Table) -> int:
        return store.write(spec, data_dir, table, replace_all=True).rows

    counts = {
        "concept_trends": write(
            trends.SPEC, trends.concept_trends(docs, concepts, [c.id for c in lexicon])
        ),
        "partnership_trends": write(
            trends.PARTNERSHIP_SPEC, trends.partnership_trends(docs, partners)
        ),
        "funding_flows": write(trends.FUNDING_FLOW_SPEC, trends.funding_flows(docs, fund)),
    }
    write(trends.GRANT_INDEX_SPEC, trends.grantmaking_index(docs, orgs, fund))
    spread, adopters, leadlag = diffusion.diffusion(docs, concepts, orgs)
    write(diffusion.DIFFUSION_SPEC, spread)
    write(diffusion.ADOPTERS_SPEC, adopters)
    write(diffusion.LEADLAG_SPEC, leadlag)
    known = {f.lower() for c in lexicon for f in c.forms}
    write(emerging.SPEC, emerging.emerging_terms(docs, concepts, known))
    graph, backbone = network.network(docs, partners, concepts)
    write(network.NETWORK_SPEC, graph)
    write(network.BACKBONE_SPEC, backbone)
    counts["organizations"] = write(
        mentions.ORGANIZATIONS_SPEC, mentions.organizations(orgs, canonical_table())
    )
    return counts


@flow(name="qun-trends")
def trends_flow(data_dir: Path) -> dict[str, int]:
    """Trend tables from the mention datasets."""
    counts = trends_task(Path(data_dir))
    _publish_counts("qun-trends", counts, "Rows per trend table")
    return counts


@task(name="write-report")
def report_task(data_dir: Path, out: Path | None) -> Path:
    progress.step("writing the report and its charts")
    labels = {c.id: (c.label_zh, c.label_en) for c in load_lexicon()}
    return report.write_report(Path(data_dir), out, labels)


@flow(name="qun-report")
def report_flow(data_dir: Path, out: Path | None = None) -> Path:
    """The HTML trend report for communications teams, with PNG charts and CSV/XLSX tables."""
    path = report_task(Path(data_dir), out)
    _publish_report(path)
    return path


# ---- what the Prefect UI shows of a run --------------------------------------------------------
def _publish_counts(flow_name: str, counts: dict[str, Any], description: str) -> None:
    """A table artifact of a run's counts (key: the flow's name)."""
    rows = [{"what": k, "count": v} for k, v in counts.items() if isinstance(v, int)]
    create_table_artifact(rows, key=f"{flow_name}-counts", description=description)


def _publish_report(path: Path) -> None:
    """A link to the report and a note of its charts and tables."""
    path = Path(path).resolve()
    create_link_artifact(
        path.as_uri(), link_text=str(path), key="qun-report", description="The HTML trend report"
    )
    meta_file = path.parent / "report.json"
    meta = json.loads(meta_file.read_text("utf-8")) if meta_file.exists() else {}
    lines = [f"**Report:** [{path}]({path.as_uri()})", ""]
    lines += [f"- chart `{c}`" for c in meta.get("charts", [])]
    lines += [f"- table `tables/{t}.csv`" for t in meta.get("tables", [])]
    lines += ["", f"Chart font: {meta.get('chart_font') or 'none found'}"]
    create_markdown_artifact("\n".join(lines), key="qun-report-contents")


# ---- the whole pipeline, and the two scheduled halves of it -----------------------------------
@flow(name="qun-pipeline")
def pipeline_flow(
    data_dir: Path,
    sources: str = "real",
    proxy: str | None = None,
    fast: bool = False,
    dask: str | None = None,
) -> RunSummary:
    """Crawl -> documents -> mentions -> trends -> report."""
    log = get_run_logger()
    data_dir = Path(data_dir)
    summary = RunSummary(data_dir)
    crawled = crawl_flow(data_dir, sources, proxy, fast)
    summary.crawl = crawled["spiders"]
    log.info("crawl: %s", crawled["counts"])
    run_extract(data_dir, dask)
    trends_flow(data_dir)
    summary.report = report_flow(data_dir)
    summary.rows = {spec.name: store.count(spec, data_dir) for spec in catalog.ALL}
    dates = store.read(documents.SPEC, data_dir, columns=["published_at"])["published_at"]
    dates = dates.drop_null()
    if len(dates):
        summary.date_range = (str(pc.min(dates).as_py()), str(pc.max(dates).as_py()))
    _publish_counts("qun-pipeline", summary.rows, "Rows per dataset after the run")
    return summary


@flow(name="qun-crawl-and-extract")
def crawl_and_extract_flow(
    data_dir: Path, sources: str = "real", dask: str | None = None
) -> dict[str, Any]:
    """The daily half: crawl the sources, then extract what is new or changed."""
    data_dir = Path(data_dir)
    crawled = crawl_flow(data_dir, sources)
    return {"crawl": crawled, "extract": run_extract(data_dir, dask)}


@flow(name="qun-trends-and-report")
def trends_and_report_flow(data_dir: Path) -> dict[str, Any]:
    """The weekly half: recompute the trend tables and write the report."""
    data_dir = Path(data_dir)
    counts = trends_flow(data_dir)
    return {"trends": counts, "report": str(report_flow(data_dir))}
