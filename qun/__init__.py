"""qun: how collective-impact ideas spread through Chinese philanthropy discourse.

The import package `qun` maps the repository's layers: `qun.spiders` (spiders/), `qun.models`
(models/), `qun.datasets` (datasets/) and `qun.flows` (flows/). Its small public API:

    import qun
    record = qun.extract("南都公益基金会资助晨光社区发展中心300万元。")
    docs = qun.load("documents", "data", as_="pandas")
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

try:
    __version__ = metadata.version("qun")
except metadata.PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__", "extract", "load"]


def extract(text: str, lang: str | None = None) -> dict[str, Any]:
    """Organizations, funding, partnerships and concepts in one text, with character offsets
    (the record `qun extract` writes; see qun.models.extract.extract for the options)."""
    from qun.models.extract import extract as _extract

    return _extract(text, lang)


def load(
    dataset: str,
    data_dir: Path | str = "data",
    columns: list[str] | None = None,
    filter: Any = None,
    as_: str = "arrow",
) -> Any:
    """Dataset `dataset` of `data_dir` as "arrow", "pandas" or "polars" (qun.datasets.read.load)."""
    from qun.datasets.read import load as _load

    return _load(dataset, data_dir, columns=columns, filter=filter, as_=as_)
