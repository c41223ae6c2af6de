"""Who convenes whom: the partnership network per period window, and backbone candidates.

A backbone organization (Kania & Kramer) convenes partners across sectors around a common
agenda. Candidates are ranked by partners, sectors reached and co-occurrence with
collective-impact concepts, and every row keeps the evidence behind its score.
"""

from __future__ import annotations

import itertools

import duckdb
import networkx as nx
import pyarrow as pa

from qun.datasets import warehouse
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


def _graph(edges: list[dict], nodes: dict[str, tuple[str | None, str | None]]) -> nx.Graph:
    """The partnership graph of one window from its aggregated edges (one row per organization
    pair); `nodes`: org_id -> (name, sector)."""
    g = nx.Graph()
    for e in edges:
        for node in (e["a"], e["b"]):
            name, sector = nodes[node]
            g.add_node(node, name=name, sector=sector)
        g.add_edge(
            e["a"], e["b"], direction=e["direction"], evidence=e["evidence"], ci_docs=e["ci_docs"]
        )
    return g


def betweenness(g: nx.Graph) -> dict[str, float]:
    """Normalized betweenness centrality of every node (networkx's definition), computed with
    rustworkx: the same values, in compiled code (exact betweenness is O(nodes x edges); in pure
    Python it took most of the trend step's time at 10,000 documents). Rounded to 12 decimals:
    rustworkx sums in parallel threads, so the last bit varied from run to run."""
    import rustworkx as rx

    if g.number_of_nodes() <= 2:
        return {}
    graph = rx.PyGraph()
    index = {node: graph.add_node(node) for node in g.nodes}
    graph.add_edges_from_no_data([(index[a], index[b]) for a, b in g.edges])
    scores = rx.graph_betweenness_centrality(graph, normalized=True)
    return {node: round(float(scores[i]), 12) for node, i in index.items()}


def _rows(g: nx.Graph, window: str) -> list[dict]:
    between = betweenness(g)
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


# partnerships of originals with a date, each pair (in either order) as one undirected edge,
# and whether the document mentions a collective-impact concept
_EDGES = f"""
    with ci as (
        select doc_id from concept_mentions where concept in {tuple(CI_CONCEPTS)} group by all
    ),
    e as (
        select least(p.org_a_id, p.org_b_id) as a, greatest(p.org_a_id, p.org_b_id) as b, p.*,
               year(d.published_at) as year, ci.doc_id is not null as is_ci
        from partnerships p join documents d using (doc_id) left join ci using (doc_id)
        where d.duplicate_of is null and d.published_at is not null
    )
"""


def network(con: duckdb.DuckDBPyConnection, top: int = 50) -> tuple[pa.Table, pa.Table]:
    """(org_network, backbone_candidates) from partnerships (reprints folded), aggregated in
    SQL to one row per organization pair and window before the graphs are built: memory grows
    with the organizations and their ties, not with the documents. An edge's direction and
    evidence are those of its earliest mention; an organization's name and sector those of its
    latest."""
    first_year = warehouse.one(con, _EDGES + "select min(year) from e")[0]
    if first_year is None:
        return NETWORK_SCHEMA.empty_table(), BACKBONE_SCHEMA.empty_table()
    nodes = {
        r["org_id"]: (r["name"], r["sector"])
        for r in warehouse.rows(
            con,
            _EDGES
            + """
            select org_id, arg_max(name, k) as name, arg_max(sector, k) as sector from (
                select org_a_id as org_id, org_a as name, org_a_sector as sector,
                       (year, doc_id, evidence_start, 0) as k from e
                union all
                select org_b_id, org_b, org_b_sector, (year, doc_id, evidence_start, 1) from e
            ) group by org_id""",
        )
    }
    edge_sql = (
        _EDGES
        + """
        , w as (select {window} as "window", * from e),
        firsts as (
            select "window", a, b, min((year, doc_id, evidence_start)) as k from w group by all
        ),
        picked as (
            select f."window", f.a, f.b, any_value(w.direction) as direction,
                   any_value(w.evidence) as evidence
            from firsts f join w on w."window" = f."window" and w.a = f.a and w.b = f.b
                and (w.year, w.doc_id, w.evidence_start) = f.k
            group by all
        ),
        with_ci as (
            select "window", a, b, count(*) as ci_docs
            from (select "window", a, b, doc_id from w where is_ci group by all)
            group by all
        )
        select p.*, coalesce(c.ci_docs, 0) as ci_docs
        from picked p left join with_ci c using ("window", a, b)
        order by "window", a, b"""
    )
    span = f"{first_year} + (year - {first_year}) // {WINDOW_YEARS} * {WINDOW_YEARS}"
    windowed = warehouse.rows(
        con, edge_sql.format(window=f"({span})::varchar || '-' || ({span} + {WINDOW_YEARS - 1})")
    )
    every = warehouse.rows(con, edge_sql.format(window="'all'"))
    rows = []
    for window, edges in itertools.groupby(windowed, key=lambda e: e["window"]):
        rows += _rows(_graph(list(edges), nodes), window)
    g = _graph(every, nodes)
    rows += _rows(g, "all")
    net = pa.Table.from_pylist(rows, schema=NETWORK_SCHEMA)

    # documents behind each organization's ties: how many mention collective-impact concepts,
    # and up to ten of them (those, else any) as evidence
    docs_of = {
        r["org_id"]: r
        for r in warehouse.rows(
            con,
            _EDGES
            + """
            , node_docs as (
                select org_id, doc_id, bool_or(is_ci) as is_ci from (
                    select org_a_id as org_id, doc_id, is_ci from e
                    union all select org_b_id, doc_id, is_ci from e
                ) group by all
            )
            select org_id, count(*) filter (is_ci) as ci_documents,
                   arg_min(doc_id, doc_id, 10) filter (is_ci) as ci_ids,
                   arg_min(doc_id, doc_id, 10) as any_ids
            from node_docs group by org_id""",
        )
    }
    candidates = []
    overall = {r["org_id"]: r for r in rows if r["window"] == "all"}
    for node in g.nodes:
        r, d = overall[node], docs_of[node]
        with_ci = d["ci_documents"]
        score = (
            r["degree"] * (1 + r["sectors_reached"]) * (1 + with_ci) ** 0.5 * (1 + r["betweenness"])
        )
        ties = sorted(g[node].items(), key=lambda t: (-(t[1]["ci_docs"] > 0), t[0]))
        candidates.append(
            {
                "org_id": node,
                "org": r["org"],
                "sector": r["sector"],
                "partners": r["degree"],
                "sectors_reached": r["sectors_reached"],
                "betweenness": r["betweenness"],
                "ci_documents": with_ci,
                "score": round(score, 4),
                "partner_names": r["partners"],
                "evidence_doc_ids": (d["ci_ids"] or d["any_ids"] or [])[:10],
                "evidence": ties[0][1]["evidence"],
                "scope": "all",
            }
        )
    candidates.sort(key=lambda c: (-c["score"], c["org_id"]))
    for rank, c in enumerate(candidates[:top], start=1):
        c["rank"] = rank
    backbone = pa.Table.from_pylist(candidates[:top], schema=BACKBONE_SCHEMA)
    return net, backbone
