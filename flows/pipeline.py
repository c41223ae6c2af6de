"""The flows: crawl, extract, trends, report, and the pipeline that runs them in order.

Each step calls one library function (spiders, datasets, models) and owns no logic of its own.
Network IO (the crawl) is a step of its own with retries; deterministic steps are not retried.
They are Prefect flows and tasks when a run can be recorded (the scheduled deployments, or a
configured `PREFECT_API_URL`) and plain calls otherwise (qun.flows.steps): a command run from a
terminal pays no Prefect start-up.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from prefect.cache_policies import NO_CACHE

from qun import __version__
from qun.datasets import (
    catalog,
    derive,
    documents,
    extraction,
    ingest,
    lock,
    remote,
    report,
    state,
    store,
    template,
)
from qun.flows import progress
from qun.flows.cluster import dask_client, ordered_map
from qun.flows.steps import entry, logger, publishing, step
from qun.models import variants
from qun.models.concepts import load_lexicon
from qun.models.extract import EXTRACTOR_VERSION, document_rows
from qun.models.gazetteer import canonical_table
from qun.models.orgs import STATISTICAL_DEFAULT
from qun.spiders import archive, warcimport
from qun.spiders import template as site_template
from qun.spiders.process import CrawlFailed, CrawlRun, run_spider, unanswered
from qun.spiders.registry import load_sources, select

SPIDERS = ("media", "reports")
# What the trend tables are computed from, and what they are (a run with none of its inputs
# changed skips the step: qun.datasets.state); the report reads every dataset but the crawl's
# own records.
_CRAWL_RECORDS = {documents.ERRORS_SPEC.name, "crawl_runs", template.SPEC.name}
TREND_INPUTS = [documents.SPEC, *extraction.MENTION_SPECS.values()]
TREND_OUTPUTS = [
    s
    for s in catalog.ALL
    if s not in TREND_INPUTS and s.name not in _CRAWL_RECORDS and s.name != "extraction_log"
]
REPORT_INPUTS = [s for s in catalog.ALL if s.name not in _CRAWL_RECORDS]
F = TypeVar("F", bound=Callable[..., Any])


def _one_writer(command: str) -> Callable[[F], F]:
    """Run the flow holding its data folder's lock (qun.datasets.lock): a second run on the
    same folder, manual or scheduled, is refused at once with the holder's pid and start."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def locked(data_dir: str | Path, *args: Any, **kwargs: Any) -> Any:
            with lock.hold(data_dir, command):
                return fn(data_dir, *args, **kwargs)

        return locked  # type: ignore[return-value]

    return wrap


@dataclass
class RunSummary:
    data_dir: str | Path
    rows: dict[str, int] = field(default_factory=dict)
    date_range: tuple[str | None, str | None] = (None, None)
    crawl: dict[str, dict[str, int]] = field(default_factory=dict)
    report: Path | None = None


# ---- crawl -------------------------------------------------------------------------------------
TEMPLATE_CLEANER = template.Cleaner(
    repeated=site_template.repeated_lines,
    clean=site_template.clean,
    key=site_template.line_key,
    prints=site_template.prints,
    comparable=site_template.comparable,
)


# no retries of the whole spider process: Scrapy retries each failed request (RETRY_TIMES)
@step(name="crawl-spider")
def crawl_task(
    spider: str,
    sources: str,
    out_dir: Path,
    proxy: str | None,
    fast: bool,
    warc_dir: Path,
    seen_file: Path,
    run_id: str,
    allow_private: bool = False,
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
        settings={"QUN_ALLOW_PRIVATE": "True"} if allow_private else None,
    )


@step(name="ingest-crawl")
def ingest_task(data_dir: str | Path, out_dirs: list[Path]) -> dict[str, int]:
    """Merge crawl outputs into `documents`, link reprints, record errors and runs (also the
    outputs of crawls killed before they were taken in, so nothing is fetched twice)."""
    return ingest.ingest(data_dir, out_dirs, TEMPLATE_CLEANER)


@step(name="write-seen-state")
def seen_task(data_dir: str | Path, path: Path) -> int:
    """What was fetched before, with its validators, for conditional re-crawls."""
    return ingest.write_seen(data_dir, path)


@entry(name="qun-crawl")
@_one_writer("crawl")
def crawl_flow(
    data_dir: str | Path,
    sources: str = "real",
    proxy: str | None = None,
    fast: bool = False,
    spiders: tuple[str, ...] = SPIDERS,
    allow_private: bool = False,
) -> dict[str, Any]:
    """Crawl the selected sources (each spider in its own process) into `documents`;
    `allow_private`: sources on private or loopback addresses may be crawled."""
    select(load_sources(), sources)  # fail early, with the registry's message, on a bad name
    data_dir = remote.data_dir(data_dir)
    work = remote.work_dir(data_dir)
    crawl_root = work / "_crawl"
    leftovers = ingest.leftovers(crawl_root)
    if leftovers:
        logger().info("taking over %d unfinished crawl outputs", len(leftovers))
        ingest_task(data_dir, leftovers)
        ingest.remove_runs(leftovers)
    run_id, run_dir = ingest.new_run(crawl_root, sources)
    seen = run_dir / "seen.jsonl"
    seen_task(data_dir, seen)
    # The spiders run side by side, each in its own process (two cores, two processes).
    calls = [
        (
            spider,
            sources,
            run_dir / spider,
            proxy,
            fast,
            work / "archive",
            seen,
            run_id,
            allow_private,
        )
        for spider in spiders
    ]
    progress.step(f"crawling {sources} ({', '.join(spiders)})", len(calls))
    done = crawl_task.each(calls, progress.advance)
    counts = ingest_task(data_dir, [r.out_dir for r in done])
    failure = unanswered(done)  # read before the outputs go; their errors are in crawl_errors
    ingest.remove_runs([r.out_dir for r in done])
    if failure is not None:
        raise CrawlFailed(failure)
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


@entry(name="qun-reextract")
@_one_writer("reextract")
def reextract_flow(data_dir: str | Path) -> dict[str, int]:
    """Rebuild documents from the raw WARC archive with the current extraction code."""
    data_dir = remote.data_dir(data_dir)
    work = remote.work_dir(data_dir)
    warcs = sorted((work / "archive").glob("*.warc.gz"))
    if not warcs:
        raise FileNotFoundError(f"no WARC files in {work / 'archive'}: crawl first")
    run_dir = work / "_crawl" / f"reextract-{uuid.uuid4().hex[:6]}" / "archive"
    pages = archive.rebuild(warcs, load_sources(), run_dir)
    counts = ingest_task(data_dir, [run_dir])
    ingest.remove_runs([run_dir])
    _publish_counts("qun-reextract", counts, "Documents rebuilt from the archive")
    return {"pages": pages, **counts}


@entry(name="qun-import")
@_one_writer("import")
def import_flow(
    data_dir: str | Path, warcs: list[Path], source: str | None = None, outlet: str | None = None
) -> dict[str, Any]:
    """Pages archived by other crawlers (WARC files, left where they are) into `documents`
    through the crawl's decoding, main-text, date, template and reprint path."""
    data_dir = remote.data_dir(data_dir)
    run_dir = remote.work_dir(data_dir) / "_crawl" / f"import-{uuid.uuid4().hex[:6]}" / "import"
    progress.step(f"reading {len(warcs)} WARC file(s)")
    counts = warcimport.import_warcs(warcs, load_sources(), run_dir, source, outlet)
    ingested = ingest_task(data_dir, [run_dir])
    ingest.remove_runs([run_dir])
    _publish_counts("qun-import", ingested, "Documents after the import")
    return {"warc": dict(sorted(counts.items())), "datasets": ingested}


# ---- extract -----------------------------------------------------------------------------------
EXTRACTOR = extraction.Extractor(EXTRACTOR_VERSION, document_rows)
DASK_BATCH_DOCS = 50  # smaller batches on Dask: work spreads over the workers


def extractor(statistical: Iterable[str] | None = None) -> extraction.Extractor:
    """The document extractor with these statistical organization recognizers (None: the
    default). Another choice is another version in extraction_log (`0.8.20+statistical=en`), so
    changing it re-reads every document rather than mixing two extractors' rows."""
    if statistical is None or frozenset(statistical) == STATISTICAL_DEFAULT:
        return EXTRACTOR
    chosen = tuple(sorted(set(statistical)))
    return extraction.Extractor(
        f"{EXTRACTOR_VERSION}+statistical={','.join(chosen) or 'none'}",
        functools.partial(document_rows, statistical=chosen),
    )


@step(name="extract-mentions", cache_policy=NO_CACHE)
def extract_task(
    data_dir: str | Path, dask: str | None = None, statistical: list[str] | None = None
) -> dict[str, int]:
    """Extract only documents that are new, changed, or last extracted by another version; with
    `dask`, batches of documents go to the cluster's workers (text in, rows out: the workers
    need no access to the datasets), a bounded number at a time. `statistical`: as
    `qun extract --statistical` (None: the default)."""
    chosen = extractor(statistical)
    if not dask:
        progress.step("extracting documents")
        return extraction.extract_documents(data_dir, chosen, done=progress.advance)
    with dask_client(dask) as client:
        progress.step(f"extracting documents on Dask ({dask})")
        return extraction.extract_documents(
            data_dir,
            chosen,
            batch_docs=DASK_BATCH_DOCS,
            done=progress.advance,
            map_batches=lambda fn, batches: ordered_map(client, fn, batches),
        )


@entry(name="qun-extract")
@_one_writer("extract")
def extract_flow(
    data_dir: str | Path, dask: str | None = None, statistical: list[str] | None = None
) -> dict[str, int]:
    """Organizations, concepts, funding and partnerships for new or changed documents into the
    mention datasets, in this process or on a Dask cluster (`local`, `local:N` or an address);
    `statistical`: the statistical organization recognizers (None: the default)."""
    counts = extract_task(remote.data_dir(data_dir), dask, statistical)
    _publish_counts("qun-extract", counts, "Documents extracted and rows per mention dataset")
    return counts


# ---- trends and report -------------------------------------------------------------------------
@step(name="concept-trends")
def trends_task(data_dir: str | Path) -> dict[str, int]:
    """Every trend table, from one read of each dataset it needs."""
    lexicon = load_lexicon()
    concepts = [c.id for c in lexicon]
    forms = [form for c in lexicon for form in c.forms]
    canonical = canonical_table()
    inputs = state.fingerprint(
        data_dir,
        TREND_INPUTS,
        version=__version__,
        lexicon=[concepts, forms],
        canonical=canonical,
        variants=variants.RULES.read_text("utf-8"),
    )
    outputs = state.fingerprint(data_dir, TREND_OUTPUTS)
    if not store.skip_damaged():  # a run that skips damaged files is never the one to reuse
        done = state.unchanged(data_dir, "trends", inputs, outputs)
        if done is not None:
            progress.step("trend tables are up to date")
            return {**done, "unchanged": True}
    progress.step("computing trend tables")
    counts = derive.derive_all(data_dir, concepts, forms, canonical, variants.name_groups)
    if not store.skip_damaged():
        state.record(data_dir, "trends", inputs, state.fingerprint(data_dir, TREND_OUTPUTS), counts)
    return counts


@entry(name="qun-trends")
@_one_writer("trends")
def trends_flow(data_dir: str | Path) -> dict[str, int]:
    """Trend tables from the mention datasets."""
    counts = trends_task(remote.data_dir(data_dir))
    if store.skip_damaged():  # --skip-damaged: computed from the rest, and saying so
        counts["damaged_files_skipped"] = len(store.skipped)
    _publish_counts("qun-trends", counts, "Rows per trend table")
    return counts


@step(name="write-report")
def report_task(data_dir: str | Path, out: Path | None) -> Path:
    labels = {c.id: (c.label_zh, c.label_en) for c in load_lexicon()}
    target = Path(out) if out else report.default_out(data_dir)
    inputs = state.fingerprint(
        data_dir, REPORT_INPUTS, version=__version__, labels=labels, out=str(target.resolve())
    )
    written = [target, target.parent / "report.json"]
    if not store.skip_damaged():
        done = state.unchanged(data_dir, "report", inputs, state.fingerprint(data_dir, [], written))
        if done is not None:
            progress.step("the report is up to date")
            return Path(done)
    progress.step("writing the report and its charts")
    sample = [s.id for s in load_sources().values() if s.sample]
    path = report.write_report(
        remote.data_dir(data_dir), out, labels, sample_sources=sample, version=__version__
    )
    if not store.skip_damaged():
        outputs = state.fingerprint(data_dir, [], written)
        state.record(data_dir, "report", inputs, outputs, str(path))
    return path


@entry(name="qun-report")
@_one_writer("report")
def report_flow(data_dir: str | Path, out: Path | None = None) -> Path:
    """The HTML trend report for communications teams, with PNG charts and CSV/XLSX tables."""
    path = report_task(remote.data_dir(data_dir), out)
    _publish_report(path)
    return path


# ---- what the Prefect UI shows of a run --------------------------------------------------------
def _publish_counts(flow_name: str, counts: dict[str, Any], description: str) -> None:
    """A table artifact of a run's counts (key: the flow's name)."""
    if not publishing():
        return
    from prefect.artifacts import create_table_artifact

    rows = [{"what": k, "count": v} for k, v in counts.items() if isinstance(v, int)]
    create_table_artifact(rows, key=f"{flow_name}-counts", description=description)


def _publish_report(path: Path) -> None:
    """A link to the report and a note of its charts and tables."""
    if not publishing():
        return
    from prefect.artifacts import create_link_artifact, create_markdown_artifact

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
@entry(name="qun-pipeline")
@_one_writer("run")
def pipeline_flow(
    data_dir: str | Path,
    sources: str = "real",
    proxy: str | None = None,
    fast: bool = False,
    dask: str | None = None,
    allow_private: bool = False,
) -> RunSummary:
    """Crawl -> documents -> mentions -> trends -> report."""
    log = logger()
    data_dir = remote.data_dir(data_dir)
    summary = RunSummary(data_dir)
    crawled = crawl_flow(data_dir, sources, proxy, fast, allow_private=allow_private)
    summary.crawl = crawled["spiders"]
    log.info("crawl: %s", crawled["counts"])
    extract_flow(data_dir, dask)
    trends_flow(data_dir)
    summary.report = report_flow(data_dir)
    summary.rows = catalog.row_counts(data_dir)
    summary.date_range = catalog.date_range(data_dir)
    _publish_counts("qun-pipeline", summary.rows, "Rows per dataset after the run")
    return summary


@entry(name="qun-crawl-and-extract")
@_one_writer("crawl-and-extract")
def crawl_and_extract_flow(
    data_dir: str | Path, sources: str = "real", dask: str | None = None
) -> dict[str, Any]:
    """The daily half: crawl the sources, then extract what is new or changed."""
    data_dir = remote.data_dir(data_dir)
    crawled = crawl_flow(data_dir, sources)
    return {"crawl": crawled, "extract": extract_flow(data_dir, dask)}


@entry(name="qun-trends-and-report")
@_one_writer("trends-and-report")
def trends_and_report_flow(data_dir: str | Path) -> dict[str, Any]:
    """The weekly half: recompute the trend tables and write the report."""
    data_dir = remote.data_dir(data_dir)
    counts = trends_flow(data_dir)
    return {"trends": counts, "report": str(report_flow(data_dir))}
