"""`concept_trends`: attention to each concept per period, outlet and language.

Counts are of documents, with reprints folded into their original (a reprint is not a second
document), and shares are of all documents of the same period, outlet and language, so growth in
volume does not pass for growth in attention. `*` stands for all outlets or all languages.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from qun.datasets.documents import originals
from qun.datasets.store import DatasetSpec

ALL = "*"
GRANULARITIES = ("year", "quarter", "month")

SCHEMA = pa.schema(
    [
        pa.field("granularity", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("concept", pa.string(), nullable=False),
        pa.field("outlet", pa.string(), nullable=False),
        pa.field("lang", pa.string(), nullable=False),
        pa.field("docs_mentioning", pa.int64(), nullable=False),
        pa.field("mentions", pa.int64(), nullable=False),
        pa.field("docs_total", pa.int64(), nullable=False),
        pa.field("share", pa.float64(), nullable=False),
    ]
)

SPEC = DatasetSpec(
    name="concept_trends",
    schema=SCHEMA,
    partition="granularity",
    key=("period", "concept", "outlet", "lang"),
    description="Documents mentioning each concept per period/outlet/language, and their share.",
)


def _period(dates: pd.Series, granularity: str) -> tuple[pd.Series, pd.Series]:
    p = pd.to_datetime(dates).dt.to_period({"year": "Y", "quarter": "Q", "month": "M"}[granularity])
    labels = p.astype(str)
    return labels, p.dt.start_time.dt.date


def concept_trends(documents: pa.Table, mentions: pa.Table, concepts: list[str]) -> pa.Table:
    """Trend rows for every concept, period, outlet (and all) and language (and all)."""
    docs = documents.select(
        ["doc_id", "outlet", "lang", "published_at", "duplicate_of"]
    ).to_pandas()
    docs = docs[docs["duplicate_of"].isna() & docs["published_at"].notna()]
    ment = mentions.select(["doc_id", "concept"]).to_pandas()
    ment = ment[ment["doc_id"].isin(docs["doc_id"])]
    per_doc = ment.groupby(["doc_id", "concept"]).size().rename("mentions").reset_index()
    frames = []
    for gran in GRANULARITIES:
        d = docs.copy()
        d["period"], d["period_start"] = _period(d["published_at"], gran)
        for outlet_all in (False, True):
            for lang_all in (False, True):
                g = d.copy()
                if outlet_all:
                    g["outlet"] = ALL
                if lang_all:
                    g["lang"] = ALL
                keys = ["period", "period_start", "outlet", "lang"]
                totals = g.groupby(keys).size().rename("docs_total").reset_index()
                grid = totals.merge(pd.DataFrame({"concept": concepts}), how="cross")
                hits = g[["doc_id", *keys]].merge(per_doc, on="doc_id")
                agg = (
                    hits.groupby([*keys, "concept"])
                    .agg(docs_mentioning=("doc_id", "nunique"), mentions=("mentions", "sum"))
                    .reset_index()
                )
                out = grid.merge(agg, on=[*keys, "concept"], how="left")
                out[["docs_mentioning", "mentions"]] = (
                    out[["docs_mentioning", "mentions"]].fillna(0).astype("int64")
                )
                out["granularity"] = gran
                frames.append(out)
    result = pd.concat(frames, ignore_index=True).drop_duplicates(
        ["granularity", "period", "concept", "outlet", "lang"]
    )
    result["share"] = result["docs_mentioning"] / result["docs_total"]
    return pa.Table.from_pandas(result[SCHEMA.names], schema=SCHEMA, preserve_index=False)


PARTNERSHIP_SCHEMA = pa.schema(
    [
        pa.field("granularity", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("sector_pair", pa.string(), nullable=False),
        pa.field("partnerships", pa.int64(), nullable=False),
        pa.field("horizontal", pa.int64(), nullable=False),
        pa.field("vertical", pa.int64(), nullable=False),
        pa.field("unknown", pa.int64(), nullable=False),
        pa.field("horizontal_share", pa.float64()),
        pa.field("vertical_share", pa.float64()),
    ]
)

PARTNERSHIP_SPEC = DatasetSpec(
    name="partnership_trends",
    schema=PARTNERSHIP_SCHEMA,
    partition="granularity",
    key=("period", "sector_pair"),
    description="Partnerships per period and sector pair; horizontal and vertical shares.",
)


def partnership_trends(documents: pa.Table, partnerships: pa.Table) -> pa.Table:
    """Partnerships per period (year, quarter) and sector pair (and `*` for all pairs), with
    the shares of horizontal and vertical ones among those of known direction. Reprints are
    folded into their original; the same pair in one document counts once."""
    kept = originals(documents)
    p = partnerships.select(
        [
            "doc_id",
            "published_at",
            "org_a_id",
            "org_b_id",
            "org_a_sector",
            "org_b_sector",
            "direction",
        ]
    ).to_pandas()
    p = p[p["doc_id"].isin(kept) & p["published_at"].notna()]
    p = p.drop_duplicates(["doc_id", "org_a_id", "org_b_id"])
    if p.empty:
        return PARTNERSHIP_SCHEMA.empty_table()
    p["sector_pair"] = [
        "–".join(sorted((a, b))) for a, b in zip(p["org_a_sector"], p["org_b_sector"], strict=True)
    ]
    frames = []
    for gran in ("year", "quarter"):
        g = p.copy()
        g["period"], g["period_start"] = _period(g["published_at"], gran)
        for pairs_all in (False, True):
            h = g.copy()
            if pairs_all:
                h["sector_pair"] = ALL
            keys = ["period", "period_start", "sector_pair"]
            counts = h.pivot_table(
                index=keys, columns="direction", values="doc_id", aggfunc="count", fill_value=0
            ).reset_index()
            for col in ("horizontal", "vertical", "unknown"):
                if col not in counts:
                    counts[col] = 0
            counts["partnerships"] = counts[["horizontal", "vertical", "unknown"]].sum(axis=1)
            known = counts["horizontal"] + counts["vertical"]
            counts["horizontal_share"] = (counts["horizontal"] / known).where(known > 0)
            counts["vertical_share"] = (counts["vertical"] / known).where(known > 0)
            counts["granularity"] = gran
            frames.append(counts)
    result = pd.concat(frames, ignore_index=True)
    for col in ("partnerships", "horizontal", "vertical", "unknown"):
        result[col] = result[col].astype("int64")
    return pa.Table.from_pandas(
        result[PARTNERSHIP_SCHEMA.names], schema=PARTNERSHIP_SCHEMA, preserve_index=False
    )


FUNDING_FLOW_SCHEMA = pa.schema(
    [
        pa.field("year", pa.int32(), nullable=False),
        pa.field("funder_id", pa.string(), nullable=False),
        pa.field("funder", pa.string()),
        pa.field("funder_type", pa.string()),
        pa.field("recipient_id", pa.string(), nullable=False),
        pa.field("recipient", pa.string()),
        pa.field("recipient_type", pa.string()),
        pa.field("mentions", pa.int64(), nullable=False),
        pa.field("amount_cny", pa.float64()),
    ]
)
FUNDING_FLOW_SPEC = DatasetSpec(
    name="funding_flows",
    schema=FUNDING_FLOW_SCHEMA,
    partition="year",
    key=("year", "funder_id", "recipient_id"),
    description="Funder -> recipient per year: mentions and amounts in CNY (reprints folded).",
)

GRANT_INDEX_SCHEMA = pa.schema(
    [
        pa.field("year", pa.int32(), nullable=False),
        pa.field("foundations_funding", pa.int64(), nullable=False),
        pa.field("foundations_mentioned", pa.int64(), nullable=False),
        pa.field("foundation_mentions", pa.int64(), nullable=False),
        pa.field("foundation_funder_mentions", pa.int64(), nullable=False),
        pa.field("funder_role_share", pa.float64()),
        pa.field("grant_amount_cny", pa.float64()),
    ]
)
GRANT_INDEX_SPEC = DatasetSpec(
    name="grantmaking_index",
    schema=GRANT_INDEX_SCHEMA,
    partition="year",
    key=("year",),
    description="Per year: distinct foundations seen as funders, and the share of foundation "
    "mentions in a funder role.",
)


def funding_flows(documents: pa.Table, funding: pa.Table) -> pa.Table:
    """Named funder -> named recipient per year, in CNY, reprints folded into originals."""
    f = funding.to_pandas()
    f = f[f["doc_id"].isin(originals(documents)) & f["published_at"].notna()]
    f = f.dropna(subset=["funder_id", "recipient_id"])
    if f.empty:
        return FUNDING_FLOW_SCHEMA.empty_table()
    f["year"] = pd.to_datetime(f["published_at"]).dt.year.astype("int32")
    out = (
        f.groupby(["year", "funder_id", "recipient_id"])
        .agg(
            funder=("funder", "first"),
            funder_type=("funder_type", "first"),
            recipient=("recipient", "first"),
            recipient_type=("recipient_type", "first"),
            mentions=("doc_id", "count"),
            amount_cny=("amount_cny", "sum"),
        )
        .reset_index()
    )
    return pa.Table.from_pandas(
        out[FUNDING_FLOW_SCHEMA.names], schema=FUNDING_FLOW_SCHEMA, preserve_index=False
    )


def grantmaking_index(documents: pa.Table, org_mentions: pa.Table, funding: pa.Table) -> pa.Table:
    """Per year: distinct foundations seen funding someone, foundations mentioned at all, and
    the share of foundation mentions that are in a funder role (reprints folded)."""
    kept = originals(documents)
    m = org_mentions.select(["doc_id", "published_at", "org_id", "type"]).to_pandas()
    m = m[m["doc_id"].isin(kept) & m["published_at"].notna() & (m["type"] == "foundation")]
    f = funding.to_pandas()
    f = f[f["doc_id"].isin(kept) & f["published_at"].notna() & (f["funder_type"] == "foundation")]
    if m.empty:
        return GRANT_INDEX_SCHEMA.empty_table()
    m["year"] = pd.to_datetime(m["published_at"]).dt.year
    f["year"] = pd.to_datetime(f["published_at"]).dt.year
    rows = []
    for year in sorted(m["year"].unique()):
        my, fy = m[m["year"] == year], f[f["year"] == year]
        funder_mentions = len(fy.drop_duplicates(["doc_id", "funder_id", "amount_start"]))
        rows.append(
            {
                "year": int(year),
                "foundations_funding": int(fy["funder_id"].nunique()),
                "foundations_mentioned": int(my["org_id"].nunique()),
                "foundation_mentions": len(my),
                "foundation_funder_mentions": funder_mentions,
                "funder_role_share": funder_mentions / len(my) if len(my) else None,
                "grant_amount_cny": float(fy["amount_cny"].fillna(0).sum()),
            }
        )
    return pa.Table.from_pylist(rows, schema=GRANT_INDEX_SCHEMA)
