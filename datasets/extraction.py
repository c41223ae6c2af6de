"""Extraction of the `documents` dataset into the mention datasets, a batch at a time.

Documents are read, extracted and written `batch_docs` at a time (store.scan and StreamWriter),
and what is kept from earlier runs is copied over in batches too, so memory stays flat however
large the corpus is. Only documents that are new, changed, or last read by another extractor
version are extracted; the mention datasets are committed first and the log last, so a run killed
in between redoes those documents.

The extractor itself is given (an `Extractor`: its version and a text -> rows function, such as
qun.models.extract.document_rows), and so is the way batches are mapped through it: in this
process by default, or on a cluster (a `map_batches` that submits each batch to Dask workers
and yields their results in order, a bounded number in flight).
"""

from __future__ import annotations

import ctypes
import functools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from qun.datasets import documents, mentions, store

BATCH_DOCS = 256
_logger = logging.getLogger(__name__)
Rows = dict[str, list[dict[str, Any]]]
BatchResult = tuple[Rows, list[dict[str, Any]]]


@dataclass(frozen=True)
class Extractor:
    """What reads a document: `rows(text)` gives the rows of each mention dataset (without the
    document's id, source and date); `version` is recorded in the log (a new version re-reads
    every document). `rows` must be picklable (a module-level function) to run on Dask."""

    version: str
    rows: Callable[[str], Rows]


def _release_freed_memory() -> None:
    """Hand memory freed by a batch back to the system (glibc's malloc keeps it in per-thread
    arenas otherwise, and the resident size creeps up with the corpus); no-op elsewhere."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim from the symbols already loaded (no library search, no subprocess)."""
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except OSError:
        return None


MENTION_SPECS = {
    "org_mentions": mentions.ORG_SPEC,
    "concept_mentions": mentions.CONCEPT_SPEC,
    "funding": mentions.FUNDING_SPEC,
    "partnerships": mentions.PARTNERSHIP_SPEC,
}
_DOC_COLUMNS = ["doc_id", "source", "published_at", "text", "content_hash"]


def split_stale(docs: pa.Table, log: pa.Table, version: str) -> tuple[pa.Array, pa.Array]:
    """doc_ids to extract (new, changed, or read by another extractor version) and to keep."""
    current = log.filter(pc.equal(log["extractor_version"], version))
    current = current.select(["doc_id", "content_hash"]).rename_columns(["doc_id", "logged"])
    joined = docs.select(["doc_id", "content_hash"]).join(current, "doc_id")
    same = pc.fill_null(pc.equal(joined["content_hash"], joined["logged"]), False)
    ids = joined["doc_id"].combine_chunks()
    return ids.filter(pc.invert(same)), ids.filter(same)


def refreshed(table: pa.Table, meta: pa.Table) -> pa.Table:
    """Rows kept from an earlier run, with their document's current source and date."""
    at = pc.index_in(table["doc_id"], value_set=meta["doc_id"])
    for name in ("source", "published_at"):
        if name in table.column_names:
            i = table.schema.get_field_index(name)
            table = table.set_column(i, table.field(name), meta[name].take(at))
    return table


def extract_rows(docs: list[dict[str, Any]], extractor: Extractor) -> BatchResult:
    """Mention rows and extraction-log rows (without their time) for a batch of documents:
    text in, rows out, nothing read or written (this is what runs on a Dask worker)."""
    rows: Rows = {name: [] for name in MENTION_SPECS}
    log_rows = []
    for doc in docs:
        base = {k: doc[k] for k in ("doc_id", "source", "published_at")}
        error = None
        try:
            found = extractor.rows(doc["text"] or "")
        except Exception as exc:  # one document that breaks an extractor must not end the run
            found = {name: [] for name in MENTION_SPECS}
            error = f"{type(exc).__name__}: {exc}"[:500]
        for name, new_rows in found.items():
            rows[name] += [{**base, **r} for r in new_rows]
        log_rows.append(
            {
                "doc_id": doc["doc_id"],
                "source": doc["source"],
                "content_hash": doc["content_hash"],
                "extractor_version": extractor.version,
                "organizations": len(found["org_mentions"]),
                "concepts": len(found["concept_mentions"]),
                "error": error,
            }
        )
    return rows, log_rows


MapBatches = Callable[
    [Callable[[list[dict[str, Any]]], BatchResult], Iterable[list[dict]]], Iterable[BatchResult]
]


def extract_documents(
    data_dir: Path | str,
    extractor: Extractor,
    batch_docs: int = BATCH_DOCS,
    done: Callable[[int], None] | None = None,
    map_batches: MapBatches = map,
) -> dict[str, int]:
    """Extract what needs it into `org_mentions`, `concept_mentions`, `funding`,
    `partnerships` and `extraction_log`; `done(n)` is called after each batch of n documents.
    `map_batches(fn, batches)` yields `fn(batch)` for each batch, in order (the default runs
    them here; see the module's docstring)."""
    docs = store.read(
        documents.SPEC, data_dir, columns=["doc_id", "source", "published_at", "content_hash"]
    )
    log = store.read(mentions.LOG_SPEC, data_dir)
    todo, keep = split_stale(docs, log, extractor.version)
    if not len(todo) and log.num_rows == docs.num_rows:
        # nothing new, changed or removed: every dataset stays as it is
        counts = {name: store.count(spec, data_dir) for name, spec in MENTION_SPECS.items()}
        return {"extracted": 0, "unchanged": len(keep), **counts}
    meta = docs.select(["doc_id", "source", "published_at"])
    writers = {
        name: store.StreamWriter(spec, data_dir, replace_all=True)
        for name, spec in MENTION_SPECS.items()
    }
    log_writer = store.StreamWriter(mentions.LOG_SPEC, data_dir, replace_all=True)
    counts = {"extracted": 0, "unchanged": len(keep), "failed": 0}
    try:
        if len(keep):
            for name, spec in MENTION_SPECS.items():
                for old in store.scan(spec, data_dir, batch_rows=16384):
                    old = old.filter(pc.is_in(old["doc_id"], value_set=keep))
                    writers[name].write(refreshed(old, meta))
            log_writer.write(refreshed(log.filter(pc.is_in(log["doc_id"], value_set=keep)), meta))
        now = datetime.now(UTC)

        def todo_batches() -> Iterator[list[dict[str, Any]]]:
            for batch in store.scan(documents.SPEC, data_dir, _DOC_COLUMNS, batch_rows=batch_docs):
                if len(keep):
                    batch = batch.filter(pc.is_in(batch["doc_id"], value_set=todo))
                if batch.num_rows:
                    yield batch.to_pylist()

        fn = functools.partial(extract_rows, extractor=extractor)
        for rows, log_rows in map_batches(fn, todo_batches()):
            for name, spec in MENTION_SPECS.items():
                writers[name].write(pa.Table.from_pylist(rows[name], schema=spec.schema))
            log_rows = [{**r, "extracted_at": now} for r in log_rows]
            log_writer.write(pa.Table.from_pylist(log_rows, schema=mentions.LOG_SCHEMA))
            n = len(log_rows)
            counts["extracted"] += n
            failed = [r for r in log_rows if r["error"]]
            counts["failed"] += len(failed)
            for r in failed:
                _logger.warning("document %s not extracted: %s", r["doc_id"], r["error"])
            del rows, log_rows
            _release_freed_memory()
            if done is not None:
                done(n)
        # mentions first, the log last: a run killed in between redoes those documents
        for name, writer in writers.items():
            counts[name] = writer.close().rows
        log_writer.close()
    except BaseException:
        for writer in (*writers.values(), log_writer):
            writer.abort()
        raise
    return counts
