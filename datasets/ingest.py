"""Taking crawl outputs into the datasets: documents merged by doc_id, reprints linked to their
original, crawl errors and one crawl_runs row per spider process.

A spider process leaves a folder with `documents.jsonl`, `errors.jsonl` and `stats.json`, and
its parent folder a `run.json` ({"run_id", "sources"}). Folders left by a run that was killed
before it took them in are found by `leftovers` and taken in by the next run.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from qun.datasets import documents, runs, store, template
from qun.datasets.reprints import DocPrint, link_duplicates


def read_jsonl(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Rows of a JSON-lines file and the number of unreadable lines (a crawl cut off mid-line)."""
    rows: list[dict[str, Any]] = []
    bad = 0
    if not path.exists():
        return rows, bad
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                bad += 1
    return rows, bad


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


def run_row(run_id: str, sources: str, stats: dict[str, Any]) -> dict[str, Any]:
    """The crawl_runs row of one spider process, from its Scrapy stats."""
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


def ingest(
    data_dir: Path | str, out_dirs: list[Path], cleaner: template.Cleaner | None = None
) -> dict[str, int]:
    """Merge spider output folders into `documents` (by doc_id), remove each source's template
    from their text (with `cleaner`, see qun.datasets.template), link reprints, and record
    `crawl_errors` and `crawl_runs`; counts of the result."""
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
                run_row(meta["run_id"], meta["sources"], json.loads(stats_file.read_text("utf-8")))
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
    cleaned: set[str] = set()
    learnt = lines = store.read(template.SPEC, data_dir).to_pylist() if cleaner else []
    if cleaner is not None:
        cleaned, lines = template.apply(merged, learnt, cleaner)
    same = cleaner.comparable if cleaner is not None else (lambda t: t)
    prints = [
        DocPrint(
            r["doc_id"],
            r["published_at"].isoformat() if r["published_at"] else None,
            r["content_hash"],
            r["simhash"],
            r["title"] or "",
            same(r["text_simplified"] or ""),
        )
        for r in merged.values()
    ]
    links = link_duplicates(prints)
    relinked = 0
    for doc_id, row in merged.items():
        if row.get("duplicate_of") != links.get(doc_id):
            relinked += 1
            row["duplicate_of"] = links.get(doc_id)
    learnt_now = len(lines) > len(learnt)
    if (
        changed
        or relinked
        or cleaned
        or learnt_now
        or not store.part_files(documents.SPEC, data_dir)
    ):
        table = pa.Table.from_pylist(list(merged.values()), schema=documents.SCHEMA)
        tables = [(documents.SPEC, table)]
        if learnt_now:  # the template and the documents cleaned with it, together
            tables.append((template.SPEC, pa.Table.from_pylist(lines, schema=template.SCHEMA)))
        stored = store.write_together(data_dir, tables, replace_all=True)["documents"].rows
    else:  # nothing new, changed or relinked: the files stay as they are (and so do their times)
        stored = len(merged)
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
        "documents": stored,
        "new_or_changed": changed,
        "template_cleaned": len(cleaned),
        "template_lines": len(lines),
        "crawl_errors": err_table.num_rows,
        "reprints": len(links),
        "unreadable_lines": broken,
    }


def write_seen(data_dir: Path | str, path: Path) -> int:
    """What was fetched before, with its validators, as JSON lines for conditional re-crawls
    (the spiders' QUN_SEEN_FILE); the number of URLs written."""
    table = store.read(documents.SPEC, data_dir).select(["url", "etag", "last_modified"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in table.to_pylist():
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return table.num_rows


def leftovers(crawl_root: Path) -> list[Path]:
    """Spider output folders of earlier runs that were killed before being taken in."""
    return sorted(p.parent for p in crawl_root.glob("*/*/documents.jsonl"))


def new_run(crawl_root: Path, sources: str) -> tuple[str, Path]:
    """A new crawl run's id and folder under `crawl_root`, with its `run.json`; its spiders
    write their output folders inside it."""
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    run_dir = crawl_root / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_id, "sources": sources}), "utf-8")
    return run_id, run_dir


def remove_runs(out_dirs: list[Path]) -> None:
    """Remove the run folders of spider output folders that have been taken in."""
    for folder in {p.parent for p in out_dirs}:
        shutil.rmtree(folder, ignore_errors=True)
