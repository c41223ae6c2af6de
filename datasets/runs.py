"""`crawl_runs`: one row per spider process, with what it did (from Scrapy's stats)."""

from __future__ import annotations

import pyarrow as pa

from qun.datasets.store import DatasetSpec

# where documents' dates came from, in the order they are trusted (spiders/dates.py; `feed`
# and `listing`: the date a feed, sitemap or listing gave; `pdf_metadata`: a PDF's own
# creation date; `none`: undated)
DATE_SOURCES = (
    "meta",
    "jsonld",
    "header",
    "url",
    "page_label",
    "page_text",
    "feed",
    "listing",
    "pdf_metadata",
    "none",
)

SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("spider", pa.string(), nullable=False),
        pa.field("sources", pa.string()),
        pa.field("start_time", pa.timestamp("ms", tz="UTC")),
        pa.field("finish_time", pa.timestamp("ms", tz="UTC")),
        pa.field("finish_reason", pa.string()),
        pa.field("requests", pa.int64()),
        pa.field("responses", pa.int64()),
        pa.field("documents", pa.int64()),
        pa.field("errors", pa.int64()),
        pa.field("not_modified", pa.int64()),
        pa.field("skipped_seen", pa.int64()),
        pa.field("retries", pa.int64()),
        pa.field("bytes", pa.int64()),
        pa.field("warc_records", pa.int64()),
        *(pa.field(f"dates_{kind}", pa.int64()) for kind in DATE_SOURCES),
    ]
)

SPEC = DatasetSpec(
    name="crawl_runs",
    schema=SCHEMA,
    partition="spider",
    key=("run_id", "spider"),
    description="Per-run crawl statistics, one row per spider process.",
)

STAT_KEYS = {
    "requests": "downloader/request_count",
    "responses": "downloader/response_count",
    "documents": "qun/documents",
    "errors": "qun/errors",
    "not_modified": "qun/not_modified",
    "skipped_seen": "qun/skipped_seen",
    "retries": "retry/count",
    "bytes": "downloader/response_bytes",
    "warc_records": "qun/warc_records",
    **{f"dates_{kind}": f"qun/dates/{kind.replace('_', '-')}" for kind in DATE_SOURCES},
}
