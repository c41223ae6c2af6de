"""The reader API for data scientists: any qun dataset as a pyarrow table, a pandas or a polars
frame, with column selection and filters pushed down to Parquet.

    from qun.datasets.read import load
    docs = load("documents", "data", columns=["doc_id", "title"], filter=("source", "==", "narada"))
    df = load("concept_trends", "data", as_="pandas", filter=("granularity", "==", "year"))
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from qun.datasets import catalog, store

_OPS = {
    "==": pc.equal,
    "!=": pc.not_equal,
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
}


# Datasets that hold summary rows (`*` = all outlets, languages or sector pairs) beside detail
# rows: summing a column over all rows counts each document more than once. A view keeps one
# level, so sums over it are right.
_STAR = "*"
VIEWS: dict[str, dict[str, pc.Expression]] = {
    "concept_trends": {
        "detail": (pc.field("outlet") != _STAR) & (pc.field("lang") != _STAR),
        "by_outlet": (pc.field("outlet") != _STAR) & (pc.field("lang") == _STAR),
        "by_lang": (pc.field("outlet") == _STAR) & (pc.field("lang") != _STAR),
        "total": (pc.field("outlet") == _STAR) & (pc.field("lang") == _STAR),
    },
    "partnership_trends": {
        "detail": pc.field("sector_pair") != _STAR,
        "total": pc.field("sector_pair") == _STAR,
    },
}


def _value(field: pa.Field, value: Any) -> Any:
    """`value` as the column's type: ISO date and time strings for date and timestamp columns."""
    if not isinstance(value, str):
        return value
    try:
        if pa.types.is_date(field.type):
            return date.fromisoformat(value)
        if pa.types.is_timestamp(field.type):
            when = datetime.fromisoformat(value)
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"{field.name}: {value!r} is not an ISO date (2017-11-26) or time "
            "(2017-11-26T08:00:00+00:00)"
        ) from None
    return value


def _expression(filter: Any, schema: pa.Schema | None = None) -> pc.Expression | None:
    """A pyarrow expression, or (column, op, value) tuples (a list of them is ANDed); values
    for date and timestamp columns may be ISO strings."""
    if filter is None or isinstance(filter, pc.Expression):
        return filter
    if isinstance(filter, tuple):
        filter = [filter]
    expr = None
    for column, op, value in filter:
        if schema is not None and column not in schema.names:
            raise ValueError(f"no column {column!r}; columns: {', '.join(schema.names)}")
        if schema is not None:
            field = schema.field(column)
            value = [_value(field, v) for v in value] if op == "in" else _value(field, value)
        if op == "in":
            part = pc.field(column).isin(list(value))
        elif op in _OPS:
            part = _OPS[op](pc.field(column), pc.scalar(value))
        else:
            raise ValueError(f"unknown filter operator {op!r}")
        expr = part if expr is None else expr & part
    return expr


def load(
    name: str,
    data_dir: Path | str = "data",
    columns: list[str] | None = None,
    filter: Any = None,
    as_: str = "arrow",
    view: str | None = None,
) -> Any:
    """Load dataset `name` from `data_dir` as "arrow", "pandas" or "polars". `filter`: a
    pyarrow expression or (column, op, value) tuples (ISO strings for dates). `view`: for
    datasets with summary rows (VIEWS), one level of them, e.g. `view="detail"` for
    concept_trends (every outlet and language, no `*` rows), so that sums do not overcount."""
    if name not in catalog.BY_NAME:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(catalog.BY_NAME)}")
    spec = catalog.BY_NAME[name]
    expr = _expression(filter, spec.schema)
    if view is not None:
        views = VIEWS.get(name, {})
        if view not in views:
            known = f"one of {', '.join(views)}" if views else "none: it has no summary rows"
            raise ValueError(f"{name} has no view {view!r} ({known})")
        expr = views[view] if expr is None else expr & views[view]
    catalog.require_datasets(data_dir)
    table = store.read(spec, data_dir, filter=expr)
    if columns:
        table = table.select(columns)
    if as_ == "arrow":
        return table
    if as_ == "pandas":
        return table.to_pandas()
    if as_ == "polars":
        import polars as pl

        return pl.from_arrow(table)
    raise ValueError(f"as_ must be arrow, pandas or polars, not {as_!r}")


def _fits(stored: pa.Schema, expected: pa.Schema) -> bool:
    """Whether a file's schema is the dataset's, or the dataset's before nullable columns were
    added to it (such a file reads with those columns null)."""
    if stored.equals(expected):
        return True
    names = set(stored.names)
    older = pa.schema([f for f in expected if f.name in names])
    added = [f for f in expected if f.name not in names]
    return stored.equals(older) and all(f.nullable for f in added)


def validate(data_dir: Path | str) -> list[str]:
    """Problems found in the datasets under `data_dir` (empty when all is well): files that do
    not read (every page of every file is read), schemas or metadata that differ from the
    dataset's, duplicate keys, and temporary files left by an interrupted write. Every dataset
    is checked; only the keys of a dataset whose own files have problems are left unchecked."""
    problems: list[str] = []
    switching = store.switching(data_dir)
    if switching is not None:
        names = ", ".join(switching)
        problems.append(
            f"{names}: an interrupted write stopped while moving these into place, so some may be "
            "from the last computation and some from the one before: `qun trends` makes them "
            "consistent"
        )
    for spec in catalog.ALL:
        for tmp in store.stale_files(spec, data_dir):
            problems.append(
                f"{spec.name}: {tmp} is left over from an interrupted write "
                "(the next write of this dataset removes it)"
            )
        before = len(problems)
        fs = store.filesystem(data_dir)
        for part in store.part_files(spec, data_dir):
            problem = store.file_problem(part, full=True, fs=fs)
            if problem is not None:
                problems.append(f"{spec.name}: {part} is damaged: {problem}")
                continue
            schema = ds.dataset(str(part), format="parquet", filesystem=fs).schema
            meta = schema.metadata or {}
            if meta.get(b"qun.dataset") != spec.name.encode():
                problems.append(f"{spec.name}: {part} is not marked as this dataset")
            if meta.get(b"qun.schema_version") != str(spec.version).encode():
                problems.append(
                    f"{spec.name}: {part} has schema version "
                    f"{meta.get(b'qun.schema_version')!r}, expected {spec.version}"
                )
            if not _fits(schema.remove_metadata(), spec.file_schema.remove_metadata()):
                problems.append(f"{spec.name}: {part} schema differs from the dataset's")
        if len(problems) > before:  # this dataset's files are unsound: its rows cannot be read
            continue
        table = store.read(spec, data_dir)
        if table.num_rows and spec.key:
            keys = table.group_by(list(spec.key)).aggregate([([], "count_all")])
            dupes = keys.filter(pc.greater(keys["count_all"], 1)).num_rows
            if dupes:
                problems.append(f"{spec.name}: {dupes} duplicate keys {spec.key}")
    return problems
