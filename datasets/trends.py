"""`concept_trends`: attention to each concept per period, outlet and language.

Counts are of documents, with reprints folded into their original (a reprint is not a second
document), and shares are of all documents of the same period, outlet and language, so growth in
volume does not pass for growth in attention. `*` stands for all outlets or all languages.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from qun.datasets import warehouse
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


# a document's period in each granularity, labelled as pandas labels periods (2019, 2019Q1,
# 2019-01), with the period's first day
_PERIODS = """
    (values
        ('year', strftime(d.published_at, '%Y'), date_trunc('year', d.published_at)),
        ('quarter', strftime(d.published_at, '%Y') || 'Q' || quarter(d.published_at),
            date_trunc('quarter', d.published_at)),
        ('month', strftime(d.published_at, '%Y-%m'), date_trunc('month', d.published_at))
    ) p(granularity, period, period_start)
"""
# originals (reprints folded into them) with a publication date
ORIGINALS = "select * from documents where duplicate_of is null and published_at is not null"


def _grouped(keys: str, levels: tuple[str, ...], select: str, source: str) -> str:
    """`select` over `source` grouped by `keys` plus each of `levels` (GROUPING SETS); a column
    of a level that leaves it out is `*`, and a row whose value is missing counts in `*` only."""
    columns = sorted({c.strip() for lv in levels for c in lv.split(",") if c.strip()})
    sets = ", ".join(f"({keys}{', ' if lv else ''}{lv})" for lv in levels)
    flags = ", ".join(f"grouping({c}) as _all_{c}" for c in columns)
    raw = ", ".join(columns)
    outer = ", ".join(f"coalesce({c}, '*') as {c}" for c in columns)
    known = " and ".join(f"not (_all_{c} = 0 and {c} is null)" for c in columns)
    return f"""
        select * exclude ({raw}, {", ".join(f"_all_{c}" for c in columns)}), {outer}
        from (select {keys}, {raw}, {flags}, {select} from {source} group by grouping sets ({sets}))
        where {known}
    """


def concept_trends(con: duckdb.DuckDBPyConnection, concepts: list[str]) -> pa.Table:
    """Trend rows for every concept, period, outlet (and all) and language (and all), in SQL
    over the `documents` and `concept_mentions` views (datasets.warehouse)."""
    levels = ("outlet, lang", "outlet", "lang", "")
    keys = "granularity, period, period_start"
    sql = f"""
    with docs as ({ORIGINALS}),
    per_doc as (
        select m.doc_id, m.concept, count(*) as mentions
        from concept_mentions m semi join docs using (doc_id)
        group by all
    ),
    doc_periods as (
        select d.doc_id, d.outlet, d.lang, p.granularity, p.period,
               p.period_start::date as period_start
        from docs d, {_PERIODS}
    ),
    hits_in as (select * from doc_periods join per_doc using (doc_id)),
    totals as ({_grouped(keys, levels, "count(*) as docs_total", "doc_periods")}),
    hits as ({
        _grouped(
            keys + ", concept",
            levels,
            "count(*) as docs_mentioning, sum(mentions) as mentions",
            "hits_in",
        )
    })
    select t.granularity, t.period, t.period_start, c.concept, t.outlet, t.lang,
           coalesce(h.docs_mentioning, 0) as docs_mentioning,
           coalesce(h.mentions, 0) as mentions, t.docs_total,
           coalesce(h.docs_mentioning, 0) / t.docs_total as share
    from totals t cross join (select unnest($concepts::varchar[]) as concept) c
    left join hits h using (granularity, period, period_start, outlet, lang, concept)
    """
    return warehouse.table(con, sql, SCHEMA, concepts=list(concepts))


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


def partnership_trends(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Partnerships per period (year, quarter) and sector pair (and `*` for all pairs), with
    the shares of horizontal and vertical ones among those of known direction. Reprints are
    folded into their original; the same pair in one document counts once (its first mention
    in the text)."""
    sql = f"""
    with p as (
        select p.*, d.published_at as date
        from partnerships p join ({ORIGINALS}) d using (doc_id)
        qualify row_number() over (
            partition by p.doc_id, p.org_a_id, p.org_b_id order by p.evidence_start) = 1
    ),
    pairs as (
        select least(coalesce(org_a_sector, 'unknown'), coalesce(org_b_sector, 'unknown'))
               || '–' ||
               greatest(coalesce(org_a_sector, 'unknown'), coalesce(org_b_sector, 'unknown'))
               as sector_pair,
               direction, g.granularity, g.period, g.period_start::date as period_start
        from p, (values
            ('year', strftime(p.date, '%Y'), date_trunc('year', p.date)),
            ('quarter', strftime(p.date, '%Y') || 'Q' || quarter(p.date),
                date_trunc('quarter', p.date))
        ) g(granularity, period, period_start)
    ),
    counts as ({
        _grouped(
            "granularity, period, period_start",
            ("sector_pair", ""),
            "count(*) filter (direction = 'horizontal') as horizontal, "
            "count(*) filter (direction = 'vertical') as vertical, "
            "count(*) filter (direction = 'unknown') as unknown",
            "pairs",
        )
    })
    select *, horizontal + vertical + unknown as partnerships,
           horizontal / nullif(horizontal + vertical, 0) as horizontal_share,
           vertical / nullif(horizontal + vertical, 0) as vertical_share
    from counts
    where horizontal + vertical + unknown > 0
    """
    return warehouse.table(con, sql, PARTNERSHIP_SCHEMA)


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


def funding_flows(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Named funder -> named recipient per year, in CNY, reprints folded into originals; names
    and types as the earliest mention gives them."""
    sql = f"""
    select year(d.published_at)::int as year, f.funder_id, f.recipient_id,
           first(f.funder order by d.published_at, f.doc_id, f.amount_start)
               filter (f.funder is not null) as funder,
           first(f.funder_type order by d.published_at, f.doc_id, f.amount_start)
               filter (f.funder_type is not null) as funder_type,
           first(f.recipient order by d.published_at, f.doc_id, f.amount_start)
               filter (f.recipient is not null) as recipient,
           first(f.recipient_type order by d.published_at, f.doc_id, f.amount_start)
               filter (f.recipient_type is not null) as recipient_type,
           count(*) as mentions, coalesce(sum(f.amount_cny), 0) as amount_cny
    from funding f join ({ORIGINALS}) d using (doc_id)
    where f.funder_id is not null and f.recipient_id is not null
    group by all
    """
    return warehouse.table(con, sql, FUNDING_FLOW_SCHEMA)


def grantmaking_index(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Per year: distinct foundations seen funding someone, foundations mentioned at all, and
    the share of foundation mentions that are in a funder role (reprints folded)."""
    sql = f"""
    with docs as ({ORIGINALS}),
    m as (
        select year(d.published_at)::int as year, count(distinct m.org_id) as mentioned,
               count(*) as mentions
        from org_mentions m join docs d using (doc_id)
        where m.type = 'foundation'
        group by all
    ),
    f as (
        select year(d.published_at)::int as year, count(distinct f.funder_id) as funding,
               count(distinct (f.doc_id, f.funder_id, f.amount_start)) as funder_mentions,
               coalesce(sum(f.amount_cny), 0) as amount
        from funding f join docs d using (doc_id)
        where f.funder_type = 'foundation'
        group by all
    )
    select m.year, coalesce(f.funding, 0) as foundations_funding,
           m.mentioned as foundations_mentioned, m.mentions as foundation_mentions,
           coalesce(f.funder_mentions, 0) as foundation_funder_mentions,
           coalesce(f.funder_mentions, 0) / m.mentions as funder_role_share,
           coalesce(f.amount, 0.0) as grant_amount_cny
    from m left join f using (year)
    order by m.year
    """
    return warehouse.table(con, sql, GRANT_INDEX_SCHEMA)
