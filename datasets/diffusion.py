"""How concepts spread: first mentions, the order in which outlets and organizations took a
concept up, cumulative adopter curves with a Bass model fit, and lead/lag between outlets.

Adoption is read from text: an outlet adopts a concept with its first document mentioning it; an
organization adopts it when it is named in a document mentioning the concept. This measures
attention, not practice (Benders et al. 2007). Reprints are folded into their original.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import Counter

import duckdb
import numpy as np
import pyarrow as pa

from qun.datasets import warehouse
from qun.datasets.store import DatasetSpec, list_of

MIN_BASS_POINTS = 6  # yearly points needed before a Bass fit is attempted

ADOPTERS_SCHEMA = pa.schema(
    [
        pa.field("concept", pa.string(), nullable=False),
        pa.field("adopter_kind", pa.string(), nullable=False),
        pa.field("adopter_id", pa.string(), nullable=False),
        pa.field("adopter", pa.string()),
        pa.field("first_seen", pa.date32()),
        pa.field("rank", pa.int32()),
        pa.field("doc_id", pa.string()),
    ]
)
ADOPTERS_SPEC = DatasetSpec(
    name="concept_adopters",
    schema=ADOPTERS_SCHEMA,
    partition="concept",
    key=("concept", "adopter_kind", "adopter_id"),
    description="Outlets and organizations in the order they took up each concept.",
)

_CURVE = list_of(pa.struct([pa.field("year", pa.int32()), pa.field("adopters", pa.int32())]))
DIFFUSION_SCHEMA = pa.schema(
    [
        pa.field("concept", pa.string(), nullable=False),
        pa.field("first_date", pa.date32()),
        pa.field("first_outlet", pa.string()),
        pa.field("first_doc_id", pa.string()),
        pa.field("first_title", pa.string()),
        pa.field("documents", pa.int64()),
        pa.field("outlets", pa.int64()),
        pa.field("organizations", pa.int64()),
        pa.field("curve", _CURVE),
        pa.field("bass_status", pa.string()),
        pa.field("bass_p", pa.float64()),
        pa.field("bass_q", pa.float64()),
        pa.field("bass_m", pa.float64()),
        pa.field("bass_p_se", pa.float64()),
        pa.field("bass_q_se", pa.float64()),
        pa.field("bass_m_se", pa.float64()),
    ]
)
DIFFUSION_SPEC = DatasetSpec(
    name="concept_diffusion",
    schema=DIFFUSION_SCHEMA,
    partition="concept",
    key=("concept",),
    description="Per concept: first mention, adopter counts, cumulative curve and a Bass fit.",
)

LEADLAG_SCHEMA = pa.schema(
    [
        pa.field("concept", pa.string(), nullable=False),
        pa.field("leader", pa.string(), nullable=False),
        pa.field("follower", pa.string(), nullable=False),
        pa.field("lag_days", pa.int32()),
    ]
)
LEADLAG_SPEC = DatasetSpec(
    name="outlet_leadlag",
    schema=LEADLAG_SCHEMA,
    partition="concept",
    key=("concept", "leader", "follower"),
    description="Per concept and outlet pair: how many days the leader's first mention preceded "
    "the follower's.",
)


def bass_cumulative(t: np.ndarray, p: float, q: float, m: float) -> np.ndarray:
    """Bass (1969) cumulative adopters at time t (t = 0 at the first adoption)."""
    e = np.exp(-(p + q) * t)
    return m * (1 - e) / (1 + (q / p) * e)


def fit_bass(years: list[int], cumulative: list[int]) -> dict[str, float | str | None]:
    """Least-squares Bass fit with standard errors; a status explains a missing fit."""
    empty: dict[str, float | str | None] = {
        k: None for k in ("bass_p", "bass_q", "bass_m", "bass_p_se", "bass_q_se", "bass_m_se")
    }
    if len(years) < MIN_BASS_POINTS or cumulative[-1] < 3:
        return {**empty, "bass_status": f"too few points (need {MIN_BASS_POINTS} years)"}
    from scipy.optimize import curve_fit

    t = np.array(years, dtype=float) - years[0] + 1
    y = np.array(cumulative, dtype=float)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params, cov = curve_fit(
                bass_cumulative,
                t,
                y,
                p0=(0.03, 0.4, y[-1] * 1.5),
                bounds=([1e-4, 1e-4, y[-1]], [1.0, 3.0, y[-1] * 20]),
                maxfev=20000,
            )
    except (RuntimeError, ValueError) as exc:
        return {**empty, "bass_status": f"no fit: {exc}"[:120]}
    se = [math.sqrt(v) if v >= 0 and math.isfinite(v) else None for v in np.diag(cov)]
    at_bound = params[0] >= 0.99 or params[1] <= 2e-4 or params[2] >= y[-1] * 19.9
    return {
        "bass_status": "fitted at a bound (unreliable)" if at_bound else "fitted",
        "bass_p": float(params[0]),
        "bass_q": float(params[1]),
        "bass_m": float(params[2]),
        "bass_p_se": se[0],
        "bass_q_se": se[1],
        "bass_m_se": se[2],
    }


def diffusion(con: duckdb.DuckDBPyConnection) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(concept_diffusion, concept_adopters, outlet_leadlag), from per-concept aggregates that
    SQL computes over the `documents`, `concept_mentions` and `org_mentions` views: each
    outlet's and each organization's first document mentioning the concept (ties on the date
    go to the smaller doc_id), so memory does not grow with the corpus."""
    # each concept's documents (originals with a date), once per document
    cm = """
        with cm as not materialized (
            select m.concept, d.doc_id, d.outlet, d.published_at
            from (select concept, doc_id from concept_mentions group by all) m
            join documents d using (doc_id)
            where d.duplicate_of is null and d.published_at is not null
        )
    """
    # the first document of each (concept, outlet) and (concept, organization), and each
    # concept's first document: grouped aggregates, which DuckDB spills past its memory limit
    # (two queries, not one union: DuckDB would run both sides at once, each with its tables)
    adopters = warehouse.rows(
        con,
        cm
        + """
        select concept, 'outlet' as adopter_kind, outlet as adopter_id, outlet as adopter,
               min(published_at) as first_seen,
               arg_min(doc_id, (published_at, doc_id)) as doc_id
        from cm where outlet is not null group by concept, outlet
        order by concept, first_seen, doc_id, adopter_id
        """,
    ) + warehouse.rows(
        con,
        cm
        + """
        select cm.concept, 'organization' as adopter_kind, om.org_id as adopter_id,
               min(cm.published_at) as first_seen,
               arg_min(cm.doc_id, (cm.published_at, cm.doc_id)) as doc_id
        from cm join (select doc_id, org_id from org_mentions group by all) om using (doc_id)
        group by cm.concept, om.org_id
        order by concept, first_seen, doc_id, adopter_id
        """,
    )
    names = {
        r["org_id"]: r["canonical"]
        for r in warehouse.rows(
            con, "select org_id, min(canonical) as canonical from org_mentions group by org_id"
        )
    }
    for a in adopters:
        if a["adopter_kind"] == "organization":
            a["adopter"] = names.get(a["adopter_id"])
    per_concept = warehouse.rows(
        con,
        cm
        + """
        , firsts as (
            select concept, count(*) as documents, min(published_at) as first_date,
                   arg_min(doc_id, (published_at, doc_id)) as first_doc_id
            from cm group by concept
        )
        select f.*, d.outlet as first_outlet, d.title as first_title
        from firsts f join documents d on d.doc_id = f.first_doc_id
        order by f.concept
        """,
    )
    rows, ranked, leadlag = [], [], []
    by_concept: dict[str, list[dict]] = {}
    for a in adopters:
        by_concept.setdefault(a["concept"], []).append(a)
    for c in per_concept:
        concept = c["concept"]
        found = by_concept.get(concept, [])
        outlets = [a for a in found if a["adopter_kind"] == "outlet"]
        orgs = [a for a in found if a["adopter_kind"] == "organization"]
        for group in (outlets, orgs):
            for rank, a in enumerate(group, start=1):
                ranked.append({**a, "rank": rank})
        yearly = Counter(a["first_seen"].year for a in found)
        years = list(range(min(yearly), max(yearly) + 1)) if yearly else []
        cumulative = list(itertools.accumulate(yearly.get(y, 0) for y in years))
        rows.append(
            {
                **c,
                "outlets": len(outlets),
                "organizations": len(orgs),
                "curve": [
                    {"year": y, "adopters": n} for y, n in zip(years, cumulative, strict=True)
                ],
                **(fit_bass(years, cumulative) if years else fit_bass([], [0])),
            }
        )
        for lead in outlets:
            for follow in outlets:
                if lead is not follow and lead["first_seen"] <= follow["first_seen"]:
                    leadlag.append(
                        {
                            "concept": concept,
                            "leader": lead["adopter_id"],
                            "follower": follow["adopter_id"],
                            "lag_days": (follow["first_seen"] - lead["first_seen"]).days,
                        }
                    )
    return (
        pa.Table.from_pylist(rows, schema=DIFFUSION_SCHEMA),
        pa.Table.from_pylist(ranked, schema=ADOPTERS_SCHEMA),
        pa.Table.from_pylist(leadlag, schema=LEADLAG_SCHEMA),
    )
