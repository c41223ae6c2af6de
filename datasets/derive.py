"""Every derived table (trend tables, diffusion, network and backbone candidates, emerging terms,
canonical organizations) from one read of each dataset it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from qun.datasets import (
    diffusion,
    documents,
    emerging,
    events,
    mentions,
    network,
    store,
    trends,
    warehouse,
)

INPUTS = (
    documents.SPEC,
    mentions.CONCEPT_SPEC,
    mentions.ORG_SPEC,
    mentions.PARTNERSHIP_SPEC,
    mentions.FUNDING_SPEC,
)


def derive_all(
    data_dir: Path | str,
    concepts: list[str],
    known_terms: Iterable[str],
    gazetteer_rows: list[dict[str, Any]],
    name_groups: Callable[[list[dict[str, Any]]], dict[str, str]] | None = None,
) -> dict[str, int]:
    """Compute every derived table, then write them together (store.write_together: all files
    are written before any replaces its dataset, so a failure leaves the old tables, all of
    them); rows of the main ones. The tables are aggregated in DuckDB over the datasets'
    Parquet files (datasets.warehouse), so memory stays flat as the corpus grows.
    `concepts`: the lexicon's concept ids; `known_terms`: its forms (emerging terms leave them
    out); `gazetteer_rows`: the gazetteer's organizations (qun.models.gazetteer.canonical_table);
    `name_groups`: organization rows -> {org_id: group org_id}, folding name variants
    (qun.models.variants.name_groups)."""
    args = (data_dir, concepts, known_terms, gazetteer_rows, name_groups)
    try:
        tables = _compute(*args)
    except duckdb.OutOfMemoryException as exc:
        raise store.DatasetError(
            f"the trend tables need more memory than {warehouse.MEMORY_ENV}="
            f"{warehouse.setting(warehouse.MEMORY_ENV, warehouse.DEFAULT_MEMORY)} lets DuckDB "
            f"use: set it higher (1GB, say) ({' '.join(str(exc).split())[:200]})"
        ) from exc
    except (duckdb.Error, pa.ArrowException, OSError):
        # a file whose footer reads but whose pages do not: name it (DamagedFile), or with
        # --skip-damaged leave it out and compute from the rest
        if not warehouse.find_damaged(data_dir, INPUTS):
            raise
        tables = _compute(*args)
    written = store.write_together(data_dir, tables, replace_all=True)
    main = ("concept_trends", "partnership_trends", "funding_flows", "funding_events")
    return {name: written[name].rows for name in (*main, "organizations")}


def _compute(
    data_dir: Path | str,
    concepts: list[str],
    known_terms: Iterable[str],
    gazetteer_rows: list[dict[str, Any]],
    name_groups: Callable[[list[dict[str, Any]]], dict[str, str]] | None,
) -> list[tuple[store.DatasetSpec, pa.Table]]:
    with warehouse.connect(data_dir, INPUTS) as con:
        organizations = mentions.organizations(con, gazetteer_rows, name_groups)
        group_of = dict(
            zip(
                organizations["org_id"].to_pylist(),
                organizations["group_id"].to_pylist(),
                strict=True,
            )
        )
        group_names = dict(
            zip(
                organizations["group_id"].to_pylist(),
                organizations["group_name"].to_pylist(),
                strict=True,
            )
        )
        spread, adopters, leadlag = diffusion.diffusion(con)
        known = {term.lower() for term in known_terms}
        graph, backbone = network.network(con)
        tables = [
            (trends.SPEC, trends.concept_trends(con, concepts)),
            (trends.PARTNERSHIP_SPEC, trends.partnership_trends(con)),
            (trends.FUNDING_FLOW_SPEC, trends.funding_flows(con)),
            (events.SPEC, events.funding_events(con, group_of, group_names)),
            (trends.GRANT_INDEX_SPEC, trends.grantmaking_index(con)),
            (diffusion.DIFFUSION_SPEC, spread),
            (diffusion.ADOPTERS_SPEC, adopters),
            (diffusion.LEADLAG_SPEC, leadlag),
            (emerging.SPEC, emerging.emerging_terms(con, known)),
            (network.NETWORK_SPEC, graph),
            (network.BACKBONE_SPEC, backbone),
            (mentions.ORGANIZATIONS_SPEC, organizations),
        ]
    return tables
