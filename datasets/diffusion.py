"""How concepts spread: first mentions, the order in which outlets and organizations took a
concept up, cumulative adopter curves with a Bass model fit, and lead/lag between outlets.

Adoption is read from text: an outlet adopts a concept with its first document mentioning it; an
organization adopts it when it is named in a document mentioning the concept. This measures
attention, not practice (Benders et al. 2007). Reprints are folded into their original.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

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


def diffusion(
    documents: pa.Table, concept_mentions: pa.Table, org_mentions: pa.Table
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(concept_diffusion, concept_adopters, outlet_leadlag) from the datasets."""
    docs = documents.select(
        ["doc_id", "outlet", "title", "published_at", "duplicate_of"]
    ).to_pandas()
    docs = docs[docs["duplicate_of"].isna() & docs["published_at"].notna()]
    cm = concept_mentions.select(["doc_id", "concept"]).to_pandas().drop_duplicates()
    cm = cm.merge(docs, on="doc_id").sort_values(["published_at", "doc_id"])
    om = (
        org_mentions.select(["doc_id", "org_id", "canonical"])
        .to_pandas()
        .drop_duplicates(["doc_id", "org_id"])
    )
    rows, adopters, leadlag = [], [], []
    for concept, group in cm.groupby("concept", sort=True):
        first = group.iloc[0]
        outlets = group.drop_duplicates("outlet")
        orgs = (
            group[["doc_id", "published_at"]]
            .merge(om, on="doc_id")
            .sort_values(["published_at", "doc_id"])
            .drop_duplicates("org_id")
        )
        for kind, frame, id_col, name_col in (
            ("outlet", outlets, "outlet", "outlet"),
            ("organization", orgs, "org_id", "canonical"),
        ):
            for rank, row in enumerate(frame.itertuples(index=False), start=1):
                adopters.append(
                    {
                        "concept": concept,
                        "adopter_kind": kind,
                        "adopter_id": getattr(row, id_col),
                        "adopter": getattr(row, name_col),
                        "rank": rank,
                        "first_seen": row.published_at,
                        "doc_id": row.doc_id,
                    }
                )
        firsts = pd.concat([outlets["published_at"], orgs["published_at"]])
        yearly = pd.to_datetime(firsts).dt.year.value_counts().sort_index()
        years = list(range(int(yearly.index.min()), int(yearly.index.max()) + 1))
        cumulative = [int(yearly[yearly.index <= y].sum()) for y in years]
        rows.append(
            {
                "concept": concept,
                "first_date": first["published_at"],
                "first_outlet": first["outlet"],
                "first_doc_id": first["doc_id"],
                "first_title": first["title"],
                "documents": int(group["doc_id"].nunique()),
                "outlets": len(outlets),
                "organizations": len(orgs),
                "curve": [
                    {"year": y, "adopters": c} for y, c in zip(years, cumulative, strict=True)
                ],
                **fit_bass(years, cumulative),
            }
        )
        dates = outlets.set_index("outlet")["published_at"]
        for leader, lead_date in dates.items():
            for follower, follow_date in dates.items():
                if leader != follower and lead_date <= follow_date:
                    leadlag.append(
                        {
                            "concept": concept,
                            "leader": leader,
                            "follower": follower,
                            "lag_days": (follow_date - lead_date).days,
                        }
                    )
    return (
        pa.Table.from_pylist(rows, schema=DIFFUSION_SCHEMA),
        pa.Table.from_pylist(adopters, schema=ADOPTERS_SCHEMA),
        pa.Table.from_pylist(leadlag, schema=LEADLAG_SCHEMA),
    )
