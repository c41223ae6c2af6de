"""Every dataset qun writes, in the order the pipeline produces them."""

from __future__ import annotations

from qun.datasets import diffusion, documents, emerging, mentions, network, runs, trends
from qun.datasets.store import DatasetSpec

ALL: tuple[DatasetSpec, ...] = (
    documents.SPEC,
    documents.ERRORS_SPEC,
    runs.SPEC,
    mentions.ORG_SPEC,
    mentions.CONCEPT_SPEC,
    mentions.FUNDING_SPEC,
    mentions.PARTNERSHIP_SPEC,
    mentions.ORGANIZATIONS_SPEC,
    mentions.LOG_SPEC,
    trends.SPEC,
    trends.PARTNERSHIP_SPEC,
    trends.FUNDING_FLOW_SPEC,
    trends.GRANT_INDEX_SPEC,
    diffusion.DIFFUSION_SPEC,
    diffusion.ADOPTERS_SPEC,
    diffusion.LEADLAG_SPEC,
    network.NETWORK_SPEC,
    network.BACKBONE_SPEC,
    emerging.SPEC,
)
BY_NAME = {spec.name: spec for spec in ALL}
