"""Every derived table (trend tables, diffusion, network and backbone candidates, emerging terms,
canonical organizations) from one read of each dataset it needs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa

from qun.datasets import diffusion, documents, emerging, mentions, network, store, trends

_DOC_COLUMNS = [
    "doc_id",
    "outlet",
    "title",
    "lang",
    "published_at",
    "duplicate_of",
    "text_simplified",
]


def derive_all(
    data_dir: Path | str,
    concepts: list[str],
    known_terms: Iterable[str],
    gazetteer_rows: list[dict[str, Any]],
) -> dict[str, int]:
    """Compute and write every derived table; rows of the main ones. `concepts`: the lexicon's
    concept ids; `known_terms`: its forms (emerging terms leave them out); `gazetteer_rows`: the
    gazetteer's organizations (qun.models.gazetteer.canonical_table)."""
    docs = store.read(documents.SPEC, data_dir, columns=_DOC_COLUMNS)
    concept_rows = store.read(mentions.CONCEPT_SPEC, data_dir)
    orgs = store.read(mentions.ORG_SPEC, data_dir)
    partners = store.read(mentions.PARTNERSHIP_SPEC, data_dir)
    fund = store.read(mentions.FUNDING_SPEC, data_dir)

    def write(spec: store.DatasetSpec, table: pa.Table) -> int:
        return store.write(spec, data_dir, table, replace_all=True).rows

    counts = {
        "concept_trends": write(trends.SPEC, trends.concept_trends(docs, concept_rows, concepts)),
        "partnership_trends": write(
            trends.PARTNERSHIP_SPEC, trends.partnership_trends(docs, partners)
        ),
        "funding_flows": write(trends.FUNDING_FLOW_SPEC, trends.funding_flows(docs, fund)),
    }
    write(trends.GRANT_INDEX_SPEC, trends.grantmaking_index(docs, orgs, fund))
    spread, adopters, leadlag = diffusion.diffusion(docs, concept_rows, orgs)
    write(diffusion.DIFFUSION_SPEC, spread)
    write(diffusion.ADOPTERS_SPEC, adopters)
    write(diffusion.LEADLAG_SPEC, leadlag)
    known = {term.lower() for term in known_terms}
    write(emerging.SPEC, emerging.emerging_terms(docs, concept_rows, known))
    graph, backbone = network.network(docs, partners, concept_rows)
    write(network.NETWORK_SPEC, graph)
    write(network.BACKBONE_SPEC, backbone)
    counts["organizations"] = write(
        mentions.ORGANIZATIONS_SPEC, mentions.organizations(orgs, gazetteer_rows)
    )
    return counts
