"""Atomic, idempotent Parquet writes with Hive partitioning, and readers.

Each partition is one file, `<root>/<col>=<value>/part-0.parquet`, written to a temporary name
and moved into place with os.replace: a reader sees the old file or the new one, never half a
file. Writing a partition replaces it whole, so a rerun never duplicates rows. The schema
version and dataset name go into the Parquet file metadata.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

PART_FILE = "part-0.parquet"


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset's name, schema (partition column included), partition column and key."""

    name: str
    schema: pa.Schema
    partition: str
    key: tuple[str, ...]
    version: int = 1
    description: str = ""

    def path(self, data_dir: Path | str) -> Path:
        return Path(data_dir) / self.name

    @property
    def file_schema(self) -> pa.Schema:
        """The schema of each Parquet file: the partition column lives in the path."""
        meta = {
            b"qun.dataset": self.name.encode(),
            b"qun.schema_version": str(self.version).encode(),
        }
        return self.schema.remove(self.schema.get_field_index(self.partition)).with_metadata(meta)


@dataclass(frozen=True)
class WriteResult:
    path: Path
    rows: int
    partitions: int


class DatasetError(RuntimeError):
    """A dataset could not be written or read; the message names the dataset and the cause."""


def _safe_value(value: object) -> str:
    text = str(value)
    if not text or "/" in text or text.startswith(".") or "\x00" in text:
        raise DatasetError(f"unsafe partition value {value!r}")
    return text


def conform(spec: DatasetSpec, table: pa.Table) -> pa.Table:
    """Select and cast the columns of `table` to the dataset schema (missing ones -> error)."""
    missing = [f.name for f in spec.schema if f.name not in table.column_names]
    if missing:
        raise DatasetError(f"{spec.name}: missing columns {missing}")
    return table.select(spec.schema.names).cast(spec.schema)


def write(
    spec: DatasetSpec, data_dir: Path | str, table: pa.Table, replace_all: bool = False
) -> WriteResult:
    """Write `table`, replacing each partition it holds (and, with replace_all, every other)."""
    table = conform(spec, table)
    root = spec.path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    values = pc.unique(table[spec.partition]).to_pylist() if table.num_rows else []
    written: set[str] = set()
    for value in sorted(values, key=str):
        part = table.filter(pc.equal(table[spec.partition], value))
        if spec.key:
            part = part.sort_by([(k, "ascending") for k in spec.key])
        part = part.drop_columns([spec.partition]).cast(spec.file_schema)
        folder = root / f"{spec.partition}={_safe_value(value)}"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{PART_FILE}.{uuid.uuid4().hex}.tmp"
        try:
            pq.write_table(part, tmp, compression="zstd")
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, folder / PART_FILE)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise DatasetError(f"{spec.name}: cannot write {folder}: {exc}") from exc
        written.add(folder.name)
    if replace_all:
        for folder in root.iterdir():
            if (
                folder.is_dir()
                and folder.name.startswith(f"{spec.partition}=")
                and folder.name not in written
            ):
                shutil.rmtree(folder)
    for stale in root.glob("*/.*.tmp"):  # left by a killed writer
        stale.unlink(missing_ok=True)
    return WriteResult(root, table.num_rows, len(written))


def _dataset(spec: DatasetSpec, root: Path) -> ds.Dataset:
    partitioning = ds.partitioning(pa.schema([spec.schema.field(spec.partition)]), flavor="hive")
    return ds.dataset(root, format="parquet", partitioning=partitioning, exclude_invalid_files=True)


def read(
    spec: DatasetSpec,
    data_dir: Path | str,
    filter: pc.Expression | None = None,
    columns: list[str] | None = None,
) -> pa.Table:
    """The dataset (or some of its columns) as one table with the dataset's types; an empty
    table if the dataset does not exist yet."""
    names = columns or spec.schema.names
    schema = pa.schema([spec.schema.field(n) for n in names])
    root = spec.path(data_dir)
    if not any(root.glob(f"*/{PART_FILE}")):
        return schema.empty_table()
    table = _dataset(spec, root).to_table(filter=filter, columns=names)
    return table.select(names).cast(schema)


def count(spec: DatasetSpec, data_dir: Path | str) -> int:
    """Rows in the dataset, from the Parquet metadata (no data read)."""
    root = spec.path(data_dir)
    return _dataset(spec, root).count_rows() if any(root.glob(f"*/{PART_FILE}")) else 0
