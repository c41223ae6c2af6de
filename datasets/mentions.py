"""`org_mentions` and `concept_mentions`: what the models found in each document, with offsets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from qun.datasets import warehouse
from qun.datasets.store import DatasetSpec, list_of

_COMMON = [
    pa.field("doc_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("published_at", pa.date32()),
    pa.field("start", pa.int32(), nullable=False),
    pa.field("end", pa.int32(), nullable=False),
    pa.field("text", pa.string()),
    pa.field("sentence", pa.string()),
]

ORG_SCHEMA = pa.schema(
    [
        *_COMMON,
        pa.field("org_id", pa.string(), nullable=False),
        pa.field("canonical", pa.string()),
        pa.field("type", pa.string()),
        pa.field("sector", pa.string()),
        pa.field("method", pa.string()),
        pa.field("extractor_version", pa.string()),
    ]
)

CONCEPT_SCHEMA = pa.schema(
    [
        *_COMMON,
        pa.field("concept", pa.string(), nullable=False),
        pa.field("method", pa.string()),
        pa.field("rule", pa.string()),
        pa.field("extractor_version", pa.string()),
    ]
)

ORG_SPEC = DatasetSpec(
    name="org_mentions",
    schema=ORG_SCHEMA,
    partition="source",
    key=("doc_id", "start"),
    description="Organization mentions: span in the document text, resolved org_id and type.",
)
CONCEPT_SPEC = DatasetSpec(
    name="concept_mentions",
    schema=CONCEPT_SCHEMA,
    partition="source",
    key=("doc_id", "start"),
    description="Collective-impact concept mentions with their span in the document text.",
)

LOG_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("content_hash", pa.string()),
        pa.field("extractor_version", pa.string()),
        pa.field("extracted_at", pa.timestamp("ms", tz="UTC")),
        pa.field("organizations", pa.int32()),
        pa.field("concepts", pa.int32()),
        pa.field("error", pa.string()),
    ]
)
LOG_SPEC = DatasetSpec(
    name="extraction_log",
    schema=LOG_SCHEMA,
    partition="source",
    key=("doc_id",),
    description="Which version of the extractors last read which content of each document.",
)

_DOC = [
    pa.field("doc_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("published_at", pa.date32()),
]
_EVIDENCE = [
    pa.field("evidence_start", pa.int32(), nullable=False),
    pa.field("evidence_end", pa.int32(), nullable=False),
    pa.field("evidence", pa.string()),
    pa.field("extractor_version", pa.string()),
]

FUNDING_SCHEMA = pa.schema(
    [
        *_DOC,
        pa.field("funder_id", pa.string()),
        pa.field("funder", pa.string()),
        pa.field("funder_type", pa.string()),
        pa.field("recipient_id", pa.string()),
        pa.field("recipient", pa.string()),
        pa.field("recipient_type", pa.string()),
        pa.field("amount_start", pa.int32(), nullable=False),
        pa.field("amount_text", pa.string()),
        pa.field("amount", pa.float64()),
        pa.field("currency", pa.string()),
        pa.field("amount_cny", pa.float64()),
        pa.field("kind", pa.string()),
        pa.field("method", pa.string()),
        pa.field("approximate", pa.bool_()),
        *_EVIDENCE,
    ]
)
FUNDING_SPEC = DatasetSpec(
    name="funding",
    schema=FUNDING_SCHEMA,
    partition="source",
    key=("doc_id", "amount_start", "funder_id", "recipient_id"),
    description="Funding mentions: who gives how much to whom, with the sentence read.",
)

PARTNERSHIP_SCHEMA = pa.schema(
    [
        *_DOC,
        pa.field("org_a_id", pa.string(), nullable=False),
        pa.field("org_a", pa.string()),
        pa.field("org_a_sector", pa.string()),
        pa.field("org_b_id", pa.string(), nullable=False),
        pa.field("org_b", pa.string()),
        pa.field("org_b_sector", pa.string()),
        pa.field("relation", pa.string()),
        pa.field("direction", pa.string()),
        pa.field("method", pa.string()),
        *_EVIDENCE,
    ]
)
PARTNERSHIP_SPEC = DatasetSpec(
    name="partnerships",
    schema=PARTNERSHIP_SCHEMA,
    partition="source",
    key=("doc_id", "evidence_start", "org_a_id", "org_b_id"),
    description="Partnerships between named organizations, horizontal or vertical, with evidence.",
)

ORGANIZATIONS_SCHEMA = pa.schema(
    [
        pa.field("org_id", pa.string(), nullable=False),
        pa.field("canonical", pa.string()),
        pa.field("name_zh", pa.string()),
        pa.field("name_en", pa.string()),
        pa.field("aliases", list_of(pa.string())),
        pa.field("type", pa.string()),
        pa.field("sector", pa.string()),
        pa.field("in_gazetteer", pa.bool_()),
        pa.field("mentions", pa.int64()),
        pa.field("documents", pa.int64()),
        pa.field("first_seen", pa.date32()),
        pa.field("last_seen", pa.date32()),
        pa.field("group_id", pa.string()),
        pa.field("group_name", pa.string()),
    ]
)
ORGANIZATIONS_SPEC = DatasetSpec(
    name="organizations",
    schema=ORGANIZATIONS_SCHEMA,
    partition="sector",
    key=("org_id",),
    description="Canonical organizations (gazetteer and those found by rules) with mention counts.",
)


def organizations(
    con: duckdb.DuckDBPyConnection,
    gazetteer_rows: list[dict],
    name_groups: Callable[[list[dict[str, Any]]], dict[str, str]] | None = None,
) -> pa.Table:
    """One row per organization mentioned (and every gazetteer organization), with counts from
    the `org_mentions` view (aggregated in SQL); `name_groups` (rows -> {org_id: group org_id},
    qun.models.variants.name_groups) puts the name variants of one organization in one group
    (`group_id`, `group_name`). An organization outside the gazetteer takes its name, type and
    sector from its earliest mention."""
    found = {
        r["org_id"]: r
        for r in warehouse.rows(
            con,
            """
            select org_id, count(*) as mentions, count(distinct doc_id) as documents,
                   min(published_at) as first_seen, max(published_at) as last_seen,
                   arg_min(canonical, (published_at, doc_id, start)) as canonical,
                   arg_min(type, (published_at, doc_id, start)) as type,
                   arg_min(sector, (published_at, doc_id, start)) as sector,
                   list_sort(list(distinct text) filter (text is not null)) as aliases
            from org_mentions group by org_id order by org_id
        """,
        )
    }
    rows = []
    for gaz in gazetteer_rows:
        seen = found.pop(gaz["org_id"], None) or {}
        rows.append(
            {
                **gaz,
                **{k: seen.get(k) for k in ("first_seen", "last_seen")},
                "mentions": seen.get("mentions", 0),
                "documents": seen.get("documents", 0),
            }
        )
    for r in found.values():
        rows.append({**r, "in_gazetteer": False, "name_zh": None, "name_en": None})
    for r in rows:
        r["sector"] = r.get("sector") or "unknown"
    groups = name_groups(rows) if name_groups else {}
    names = {r["org_id"]: r.get("canonical") for r in rows}
    for r in rows:
        r["group_id"] = groups.get(r["org_id"], r["org_id"])
        r["group_name"] = names.get(r["group_id"]) or r["group_id"]
    return pa.Table.from_pylist(rows, schema=ORGANIZATIONS_SCHEMA)
