"""The datasets as DuckDB views, for aggregations computed out of core.

Trend tables are SQL over the Parquet datasets: DuckDB streams the files (only the columns a
query names, filters pushed down), aggregates in a bounded amount of memory and spills to a
temporary folder past it, so `qun trends` takes about the same memory at 10,000 documents as at a
million. Each dataset is registered as a pyarrow dataset built the way `store.read` builds it
(every file checked, the dataset's own schema, so a file written before a column was added reads
with that column null).

Settings: `QUN_TRENDS_MEMORY` (DuckDB's memory limit, default 256MB; DuckDB's own syntax:
`1GB`, `400MB`), `QUN_TRENDS_THREADS` (default 1: each thread's hash tables take their share
of the limit, and with two threads at 256MB the joins of a million documents ran out of it;
one thread took 40.6 s at 100,000 documents against 39.3 s with two).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from qun.datasets import store

MEMORY_ENV = "QUN_TRENDS_MEMORY"
THREADS_ENV = "QUN_TRENDS_THREADS"
DEFAULT_MEMORY = "256MB"


def setting(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


@contextmanager
def connect(
    data_dir: Path | str | None = None,
    specs: Iterable[store.DatasetSpec] = (),
    tables: dict[str, pa.Table] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with each of `specs` (read from `data_dir`) and each of `tables`
    (name -> Arrow table, for callers holding the rows already) as a view of that name."""
    with tempfile.TemporaryDirectory(prefix="qun-duckdb-") as spill:
        memory = setting(MEMORY_ENV, DEFAULT_MEMORY)
        threads = setting(THREADS_ENV, "1")
        try:
            con = duckdb.connect(
                config={
                    "memory_limit": memory,
                    "threads": int(threads),
                    "temp_directory": spill,
                    "preserve_insertion_order": False,
                }
            )
        except (duckdb.Error, ValueError) as exc:
            raise store.DatasetError(
                f"{MEMORY_ENV}={memory!r} or {THREADS_ENV}={threads!r} is not a setting DuckDB "
                f"takes (a size such as 512MB, a whole number of threads): "
                f"{' '.join(str(exc).split())}"
            ) from exc
        try:
            for spec in specs:
                _view(con, spec, data_dir)
            for name, table in (tables or {}).items():
                con.register(name, table)
            yield con
        finally:
            con.close()


def _view(con: duckdb.DuckDBPyConnection, spec: store.DatasetSpec, data_dir: Path | str) -> None:
    """`spec` as a view: DuckDB's own Parquet reader over the dataset's files (every footer
    checked first, as store.read does), typed as the dataset's schema. When a column of the
    schema is in none of the files (a dataset written before the column was added), the files
    are read through a pyarrow dataset instead, which fills it with nulls."""
    if store.filesystem(data_dir) is not None:  # a URL: read through pyarrow's filesystem
        con.register(spec.name, store.arrow_dataset(spec, data_dir))
        return
    files = store.readable_files(spec, data_dir)
    stored: set[str] = set()
    for path in files:
        stored.update(store.file_columns(path))
    columns = [f.name for f in spec.schema if f.name != spec.partition]
    text_partition = pa.types.is_string(spec.schema.field(spec.partition).type)
    if not files or not set(columns) <= stored or not text_partition:
        con.register(spec.name, store.arrow_dataset(spec, data_dir))
        return
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    names = ", ".join(f'"{c}"' for c in [*columns, spec.partition])
    con.execute(
        f"""create view "{spec.name}" as select {names} from read_parquet([{listed}],
        hive_partitioning = true, hive_types = {{'{spec.partition}': 'VARCHAR'}},
        union_by_name = true)"""
    )


def find_damaged(data_dir: Path | str | None, specs: Iterable[store.DatasetSpec]) -> bool:
    """Read every page of every file of `specs` (after a query failed on data a footer check
    lets through): a damaged file raises DamagedFile naming it, or in skip mode is recorded
    in store.skipped (views built afterwards leave it out). Whether one was found."""
    before = len(store.skipped)
    fs = store.filesystem(data_dir)
    for spec in specs:
        store.check_files(spec, store.readable_files(spec, data_dir), fs)
    return len(store.skipped) > before


def arrow(con: duckdb.DuckDBPyConnection, sql: str, **params: object) -> pa.Table:
    """The rows of `sql` as an Arrow table (DuckDB 2's to_arrow_table, 1.x's arrow)."""
    result = con.sql(sql, params=params or None)
    fetch = getattr(result, "to_arrow_table", None) or result.arrow
    return fetch()


def one(con: duckdb.DuckDBPyConnection, sql: str, **params: object) -> tuple:
    """The first row of `sql` (for a query that returns one)."""
    return con.execute(sql, params or None).fetchall()[0]


def rows(con: duckdb.DuckDBPyConnection, sql: str, **params: object) -> list[dict]:
    """The rows of `sql` as dictionaries (for small, aggregated results)."""
    return arrow(con, sql, **params).to_pylist()


def table(
    con: duckdb.DuckDBPyConnection, sql: str, schema: pa.Schema, **params: object
) -> pa.Table:
    """The rows of `sql` as an Arrow table of `schema` (columns selected by name and cast)."""
    got = arrow(con, sql, **params)
    if not got.num_rows:
        return schema.empty_table()
    return got.select(schema.names).cast(schema)


def batches(
    con: duckdb.DuckDBPyConnection, sql: str, rows: int = 65536, **params: object
) -> Iterator[pa.RecordBatch]:
    """The rows of `sql` as a stream of record batches (the result is never held whole)."""
    result = con.sql(sql, params=params or None)
    reader = getattr(result, "to_arrow_reader", None) or result.fetch_arrow_reader
    yield from reader(rows)
