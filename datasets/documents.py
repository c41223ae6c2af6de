"""`documents`: one row per fetched document (article or report), reprints linked to originals."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from qun.datasets.store import DatasetSpec, list_of

SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("canonical_url", pa.string()),
        pa.field("source", pa.string(), nullable=False),
        pa.field("outlet", pa.string()),
        pa.field("doc_type", pa.string()),
        pa.field("title", pa.string()),
        pa.field("author", pa.string()),
        pa.field("published_at", pa.date32()),
        pa.field("date_source", pa.string()),
        pa.field("fetched_at", pa.timestamp("ms", tz="UTC")),
        pa.field("lang", pa.string()),
        pa.field("script", pa.string()),
        pa.field("text", pa.large_string()),
        pa.field("text_simplified", pa.large_string()),
        pa.field("encoding", pa.string()),
        pa.field("content_hash", pa.string()),
        pa.field("simhash", pa.int64()),
        pa.field("duplicate_of", pa.string()),
        pa.field("n_pages", pa.int32()),
        pa.field("flags", list_of(pa.string())),
        pa.field("etag", pa.string()),
        pa.field("last_modified", pa.string()),
        pa.field("warc_file", pa.string()),
        pa.field("warc_offset", pa.int64()),
    ]
)

SPEC = DatasetSpec(
    name="documents",
    schema=SCHEMA,
    partition="source",
    key=("doc_id",),
    description="One row per document; reprints keep their row and point to the original "
    "with duplicate_of.",
)

ERRORS_SCHEMA = pa.schema(
    [
        pa.field("url", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("stage", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("status", pa.int32()),
        pa.field("fetched_at", pa.timestamp("ms", tz="UTC")),
    ]
)

ERRORS_SPEC = DatasetSpec(
    name="crawl_errors",
    schema=ERRORS_SCHEMA,
    partition="source",
    key=("url", "stage"),
    description="Every URL the crawl could not turn into a document, with the stage and reason.",
)


def originals(documents: pa.Table) -> set[str]:
    """doc_ids of documents that are not reprints: trend tables fold reprints into these."""
    table = documents.select(["doc_id", "duplicate_of"])
    return set(table.filter(pc.is_null(table["duplicate_of"]))["doc_id"].to_pylist())
