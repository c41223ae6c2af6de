"""`org_mentions` and `concept_mentions`: what the models found in each document, with offsets."""

from __future__ import annotations

import pyarrow as pa

from datasets.store import DatasetSpec

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
        pa.field("approximate", pa.bool_()),
        *_EVIDENCE,
    ]
)
FUNDING_SPEC = DatasetSpec(
    name="funding",
    schema=FUNDING_SCHEMA,
    partition="source",
    key=("doc_id", "amount_start", "funder_id"),
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
