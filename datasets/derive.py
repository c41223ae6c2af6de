"""Every derived table (trend tables, diffusion, network and backbone candidates, emerging terms,
canonical organizations) from one read of each dataset it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from qun.datasets import (
    diffusion,
    documents,
    emerging,
    events,
    mentions,
    network,
    store,
    trends,
)

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
    name_groups: Callable[[list[dict[str, Any]]], dict[str, str]] | None = None,
) -> dict[str, int]:
    """Compute every derived table, then write them together (store.write_together: all files
    are written before any replaces its dataset, so a failure leaves the old tables, all of
    them); rows of the main ones. `concepts`: the lexicon's concept ids; `known_terms`: its
    forms (emerging terms leave them out); `gazetteer_rows`: the gazetteer's organizations
    (qun.models.gazetteer.canonical_table); `name_groups`: organization rows -> {org_id: group
    org_id}, folding name variants (qun.models.variants.name_groups)."""
    docs = store.read(documents.SPEC, data_dir, columns=_DOC_COLUMNS)
    concept_rows = store.read(mentions.CONCEPT_SPEC, data_dir)
    orgs = store.read(mentions.ORG_SPEC, data_dir)
    partners = store.read(mentions.PARTNERSHIP_SPEC, data_dir)
    fund = store.read(mentions.FUNDING_SPEC, data_dir)

    organizations = mentions.organizations(orgs, gazetteer_rows, name_groups)
    group_of = dict(
        zip(organizations["org_id"].to_pylist(), organizations["group_id"].to_pylist(), strict=True)
    )
    group_names = dict(
        zip(
            organizations["group_id"].to_pylist(),
            organizations["group_name"].to_pylist(),
            strict=True,
        )
    )
    spread, adopters, leadlag = diffusion.diffusion(docs, concept_rows, orgs)
    known = {term.lower() for term in known_terms}
    graph, backbone = network.network(docs, partners, concept_rows)
    tables = [
        (trends.SPEC, trends.concept_trends(docs, concept_rows, concepts)),
        (trends.PARTNERSHIP_SPEC, trends.partnership_trends(docs, partners)),
        (trends.FUNDING_FLOW_SPEC, trends.funding_flows(docs, fund)),
        (events.SPEC, events.funding_events(docs, fund, group_of, group_names)),
        (trends.GRANT_INDEX_SPEC, trends.grantmaking_index(docs, orgs, fund)),
        (diffusion.DIFFUSION_SPEC, spread),
        (diffusion.ADOPTERS_SPEC, adopters),
        (diffusion.LEADLAG_SPEC, leadlag),
        (emerging.SPEC, emerging.emerging_terms(docs, concept_rows, known)),
        (network.NETWORK_SPEC, graph),
        (network.BACKBONE_SPEC, backbone),
        (mentions.ORGANIZATIONS_SPEC, organizations),
    ]
    written = store.write_together(data_dir, tables, replace_all=True)
    main = ("concept_trends", "partnership_trends", "funding_flows", "funding_events")
    return {name: written[name].rows for name in (*main, "organizations")}
