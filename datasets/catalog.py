"""Every dataset qun writes, in the order the pipeline produces them."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc

from qun.datasets import (
    diffusion,
    documents,
    emerging,
    events,
    mentions,
    network,
    runs,
    store,
    template,
    trends,
)
from qun.datasets.store import DatasetSpec

ALL: tuple[DatasetSpec, ...] = (
    documents.SPEC,
    documents.ERRORS_SPEC,
    template.SPEC,
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
    events.SPEC,
    trends.GRANT_INDEX_SPEC,
    diffusion.DIFFUSION_SPEC,
    diffusion.ADOPTERS_SPEC,
    diffusion.LEADLAG_SPEC,
    network.NETWORK_SPEC,
    network.BACKBONE_SPEC,
    emerging.SPEC,
)
BY_NAME = {spec.name: spec for spec in ALL}


def row_counts(data_dir: Path | str) -> dict[str, int]:
    """Rows of every dataset under `data_dir` (0 for one not written yet)."""
    return {spec.name: store.count(spec, data_dir) for spec in ALL}


def date_range(data_dir: Path | str) -> tuple[str | None, str | None]:
    """The first and last publication date among the documents (None when there are none)."""
    dates = store.read(documents.SPEC, data_dir, columns=["published_at"])["published_at"]
    dates = dates.drop_null()
    if not len(dates):
        return None, None
    return str(pc.min(dates).as_py()), str(pc.max(dates).as_py())


def holds_datasets(data_dir: Path | str) -> bool:
    """Whether `data_dir` holds any qun dataset (a folder named after one)."""
    if store.filesystem(data_dir) is not None:  # a URL: folders exist as their files' keys
        return any(store.part_files(spec, data_dir) for spec in ALL)
    return any(spec.path(data_dir).is_dir() for spec in ALL)


def require_datasets(data_dir: Path | str) -> None:
    """Raise DatasetError when `data_dir` holds no qun dataset: a command that reads them must
    not write an empty report or call a mistyped folder valid."""
    if not holds_datasets(data_dir):
        raise store.DatasetError(
            f"{data_dir} holds no qun datasets (a mistyped --data-dir? "
            "`qun run` or `qun crawl` creates them)"
        )
