"""Who convenes whom: the partnership network per period window, and backbone candidates.

A backbone organization (Kania & Kramer) convenes partners across sectors around a common
agenda. Candidates are ranked by partners, sectors reached and co-occurrence with
collective-impact concepts, and every row keeps the evidence behind its score.
"""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pyarrow as pa

from qun.datasets.documents import originals
from qun.datasets.store import DatasetSpec, list_of

WINDOW_YEARS = 3
CI_CONCEPTS = (
    "collective_impact",
    "backbone_support",
    "common_agenda",
    "shared_measurement",
    "mutually_reinforcing_activities",
    "continuous_communication",
    "collaborative_network",
    "horizontal_collaboration",
)

NETWORK_SCHEMA = pa.schema(
    [
        pa.field("window", pa.string(), nullable=False),
        pa.field("org_id", pa.string(), nullable=False),
        pa.field("org", pa.string()),
        pa.field("sector", pa.string()),
        pa.field("partners", list_of(pa.string())),
        pa.field("degree", pa.int32()),
        pa.field("betweenness", pa.float64()),
        pa.field("sectors_reached", pa.int32()),
        pa.field("horizontal_ties", pa.int32()),
        pa.field("vertical_ties", pa.int32()),
    ]
)
NETWORK_SPEC = DatasetSpec(
    name="org_network",
    schema=NETWORK_SCHEMA,
    partition="window",
    key=("window", "org_id"),
    description="Per period window: each organization's partners, degree, betweenness, sectors.",
)

BACKBONE_SCHEMA = pa.schema(
    [
        pa.field("rank", pa.int32(), nullable=False),
        pa.field("org_id", pa.string(), nullable=False),
        pa.field("org", pa.string()),
        pa.field("sector", pa.string()),
        pa.field("partners", pa.int32()),
        pa.field("sectors_reached", pa.int32()),
        pa.field("betweenness", pa.float64()),
        pa.field("ci_documents", pa.int32()),
        pa.field("score", pa.float64()),
        pa.field("partner_names", list_of(pa.string())),
        pa.field("evidence_doc_ids", list_of(pa.string())),
        pa.field("evidence", pa.string()),
        pa.field("scope", pa.string(), nullable=False),
    ]
)
BACKBONE_SPEC = DatasetSpec(
    name="backbone_candidates",
    schema=BACKBONE_SCHEMA,
    partition="scope",
    key=("scope", "org_id"),
    description="Organizations that convene partners across sectors and co-occur with "
    "collective-impact concepts, ranked, with the evidence.",
)


def _window(year: int, first: int) -> str:
    start = first + (year - first) // WINDOW_YEARS * WINDOW_YEARS
    return f"{start}-{start + WINDOW_YEARS - 1}"


def _graph(edges: pd.DataFrame) -> nx.Graph:
    g = nx.Graph()
    for e in edges.itertuples(index=False):
        g.add_node(e.org_a_id, name=e.org_a, sector=e.org_a_sector)
        g.add_node(e.org_b_id, name=e.org_b, sector=e.org_b_sector)
        if g.has_edge(e.org_a_id, e.org_b_id):
            g[e.org_a_id][e.org_b_id]["docs"].add(e.doc_id)
        else:
            g.add_edge(
                e.org_a_id, e.org_b_id, docs={e.doc_id}, direction=e.direction, evidence=e.evidence
            )
    return g


def _rows(g: nx.Graph, window: str) -> list[dict]:
    between = nx.betweenness_centrality(g, normalized=True) if g.number_of_nodes() > 2 else {}
    rows = []
    for node, data in g.nodes(data=True):
        partners = sorted(g.neighbors(node))
        sectors = {g.nodes[p]["sector"] for p in partners} - {"unknown"}
        directions = [g[node][p]["direction"] for p in partners]
        rows.append(
            {
                "window": window,
                "org_id": node,
                "org": data["name"],
                "sector": data["sector"],
                "partners": [g.nodes[p]["name"] for p in partners],
                "degree": len(partners),
                "betweenness": float(between.get(node, 0.0)),
                "sectors_reached": len(sectors),
                "horizontal_ties": directions.count("horizontal"),
                "vertical_ties": directions.count("vertical"),
            }
        )
    return rows


def network(
    documents: pa.Table, partnerships: pa.Table, concept_mentions: pa.Table, top: int = 50
) -> tuple[pa.Table, pa.Table]:
    """(org_network, backbone_candidates) from partnerships (reprints folded)."""
    kept = originals(documents)
    p = partnerships.to_pandas()
    p = p[p["doc_id"].isin(kept) & p["published_at"].notna()]
    if p.empty:
        return NETWORK_SCHEMA.empty_table(), BACKBONE_SCHEMA.empty_table()
    p["year"] = pd.to_datetime(p["published_at"]).dt.year
    first = int(p["year"].min())
    p["window"] = [_window(int(y), first) for y in p["year"]]
    rows = []
    for window, edges in sorted(p.groupby("window")):
        rows += _rows(_graph(edges), window)
    rows += _rows(_graph(p), "all")
    net = pa.Table.from_pylist(rows, schema=NETWORK_SCHEMA)

    ci = concept_mentions.select(["doc_id", "concept"]).to_pandas()
    ci_docs = set(ci.loc[ci["concept"].isin(CI_CONCEPTS), "doc_id"]) & kept
    g = _graph(p)
    candidates = []
    overall = {r["org_id"]: r for r in rows if r["window"] == "all"}
    for node in g.nodes:
        r = overall[node]
        docs_of = set().union(*(g[node][q]["docs"] for q in g.neighbors(node)))
        with_ci = sorted(docs_of & ci_docs)
        score = (
            r["degree"]
            * (1 + r["sectors_reached"])
            * (1 + len(with_ci)) ** 0.5
            * (1 + r["betweenness"])
        )
        example = next(
            (g[node][q]["evidence"] for q in g.neighbors(node) if g[node][q]["docs"] & ci_docs),
            None,
        ) or next(g[node][q]["evidence"] for q in g.neighbors(node))
        candidates.append(
            {
                "org_id": node,
                "org": r["org"],
                "sector": r["sector"],
                "partners": r["degree"],
                "sectors_reached": r["sectors_reached"],
                "betweenness": r["betweenness"],
                "ci_documents": len(with_ci),
                "score": round(score, 4),
                "partner_names": r["partners"],
                "evidence_doc_ids": with_ci[:10] or sorted(docs_of)[:10],
                "evidence": example,
                "scope": "all",
            }
        )
    candidates.sort(key=lambda c: (-c["score"], c["org_id"]))
    for rank, c in enumerate(candidates[:top], start=1):
        c["rank"] = rank
    backbone = pa.Table.from_pylist(candidates[:top], schema=BACKBONE_SCHEMA)
    return net, backbone
