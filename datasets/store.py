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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Arrow's default allocator (mimalloc) keeps the memory it frees, so a long streamed run (the
# extraction of 100,000 documents) grows with the corpus; the system allocator gives it back and
# memory stays flat (benchmarks/bench_memory.py). Read when pyarrow loads; a user's setting wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.dataset as ds  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

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


def _message(exc: BaseException) -> str:
    """One line for an OS or Arrow error (Arrow's messages may span several lines)."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return " ".join(text.split()) or type(exc).__name__


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _tmp_name(folder: Path) -> Path:
    return folder / f".{PART_FILE}.{uuid.uuid4().hex}.tmp"


def _commit(spec: DatasetSpec, root: Path, staged: dict[str, Path], replace_all: bool) -> None:
    """Move staged files into place (renames only: nothing left to run out of space), then
    drop the partitions a replace_all write no longer holds, and stale temporary files."""
    for folder, tmp in staged.items():
        os.replace(tmp, root / folder / PART_FILE)
    if replace_all:
        for folder in root.iterdir():
            if (
                folder.is_dir()
                and folder.name.startswith(f"{spec.partition}=")
                and folder.name not in staged
            ):
                shutil.rmtree(folder)
    for stale in root.glob("*/.*.tmp"):  # left by a killed writer
        stale.unlink(missing_ok=True)


def _discard(staged: dict[str, Path]) -> None:
    for tmp in staged.values():
        tmp.unlink(missing_ok=True)


def write(
    spec: DatasetSpec, data_dir: Path | str, table: pa.Table, replace_all: bool = False
) -> WriteResult:
    """Write `table`, replacing each partition it holds (and, with replace_all, every other).

    Every partition is written to a temporary file first and all are moved into place only
    when all were written: a write that fails (a full disk, a file-size limit, a read-only
    directory) raises DatasetError and leaves the dataset exactly as it was."""
    table = conform(spec, table)
    root = spec.path(data_dir)
    values = pc.unique(table[spec.partition]).to_pylist() if table.num_rows else []
    staged: dict[str, Path] = {}
    try:
        root.mkdir(parents=True, exist_ok=True)
        for value in sorted(values, key=str):
            part = table.filter(pc.equal(table[spec.partition], value))
            if spec.key:
                part = part.sort_by([(k, "ascending") for k in spec.key])
            part = part.drop_columns([spec.partition]).cast(spec.file_schema)
            folder = root / f"{spec.partition}={_safe_value(value)}"
            folder.mkdir(parents=True, exist_ok=True)
            staged[folder.name] = tmp = _tmp_name(folder)
            pq.write_table(part, tmp, compression="zstd")
            _fsync(tmp)
        _commit(spec, root, staged, replace_all)
    except OSError as exc:  # pyarrow's IO errors are OSErrors too
        _discard(staged)
        raise DatasetError(f"{spec.name}: cannot write {root}: {_message(exc)}") from exc
    except BaseException:
        _discard(staged)
        raise
    return WriteResult(root, table.num_rows, len(staged))


class StreamWriter:
    """Write a dataset batch by batch, in flat memory: rows go to one temporary file per
    partition as they arrive (in row groups of about `row_group_bytes`), and close() moves every
    file into place at once, as write() does. A failure, abort() or leaving a `with` block on an
    error leaves the dataset as it was. Rows keep their arrival order (sorted by key within each
    row group), so the files are not sorted by key as a whole."""

    def __init__(
        self,
        spec: DatasetSpec,
        data_dir: Path | str,
        replace_all: bool = False,
        row_group_bytes: int = 1 << 20,
    ) -> None:
        self.spec, self.root, self.replace_all = spec, spec.path(data_dir), replace_all
        self.row_group_bytes = row_group_bytes
        self.rows = 0
        self._staged: dict[str, Path] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._pending: dict[str, list[pa.Table]] = {}
        self._pending_bytes: dict[str, int] = {}

    def __enter__(self) -> StreamWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.abort()

    @contextmanager
    def _cleanly(self) -> Iterator[None]:
        """On any failure, discard everything staged; OS errors become one-line DatasetErrors."""
        try:
            yield
        except OSError as exc:
            self.abort()
            raise DatasetError(
                f"{self.spec.name}: cannot write {self.root}: {_message(exc)}"
            ) from exc
        except BaseException:
            self.abort()
            raise

    def write(self, table: pa.Table) -> None:
        """Add rows (any number, any partitions)."""
        if not table.num_rows:
            return
        table = conform(self.spec, table)
        part_col = self.spec.partition
        with self._cleanly():
            for value in pc.unique(table[part_col]).to_pylist():
                name = f"{part_col}={_safe_value(value)}"
                part = table.filter(pc.equal(table[part_col], value)).drop_columns([part_col])
                self._pending.setdefault(name, []).append(part)
                self._pending_bytes[name] = self._pending_bytes.get(name, 0) + part.nbytes
                self.rows += part.num_rows
                if self._pending_bytes[name] >= self.row_group_bytes:
                    self._flush(name)

    def _flush(self, name: str) -> None:
        parts = self._pending.pop(name, [])
        self._pending_bytes.pop(name, None)
        if not parts:
            return
        group = pa.concat_tables(parts)
        if self.spec.key:
            group = group.sort_by([(k, "ascending") for k in self.spec.key])
        writer = self._writers.get(name)
        if writer is None:
            folder = self.root / name
            folder.mkdir(parents=True, exist_ok=True)
            self._staged[name] = tmp = _tmp_name(folder)
            writer = self._writers[name] = pq.ParquetWriter(
                tmp, self.spec.file_schema, compression="zstd"
            )
        writer.write_table(group.cast(self.spec.file_schema))

    def close(self) -> WriteResult:
        """Finish every file and move them all into place; the result counts the rows."""
        with self._cleanly():
            self.root.mkdir(parents=True, exist_ok=True)
            for name in list(self._pending):
                self._flush(name)
            for name, writer in self._writers.items():
                writer.close()
                _fsync(self._staged[name])
            self._writers.clear()
            _commit(self.spec, self.root, self._staged, self.replace_all)
        result = WriteResult(self.root, self.rows, len(self._staged))
        self._staged = {}
        return result

    def abort(self) -> None:
        """Drop whatever was staged; the dataset stays as it was."""
        for writer in self._writers.values():
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the file is discarded anyway
                pass
        self._writers.clear()
        self._pending.clear()
        _discard(self._staged)
        self._staged = {}


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


def scan(
    spec: DatasetSpec,
    data_dir: Path | str,
    columns: list[str] | None = None,
    batch_rows: int = 1024,
) -> Iterator[pa.Table]:
    """The dataset (or some of its columns) in tables of at most `batch_rows` rows, partition
    by partition, reading the files a page at a time: memory stays flat however large the
    dataset is."""
    names = columns or spec.schema.names
    schema = pa.schema([spec.schema.field(n) for n in names])
    field = spec.schema.field(spec.partition)
    in_file = [n for n in names if n != spec.partition]
    for path in sorted(spec.path(data_dir).glob(f"*/{PART_FILE}")):
        value = path.parent.name.partition("=")[2]
        with pq.ParquetFile(path, buffer_size=1 << 20) as pf:
            for batch in pf.iter_batches(batch_size=batch_rows, columns=in_file):
                table = pa.Table.from_batches([batch])
                if spec.partition in names:
                    column = pa.array([value] * table.num_rows).cast(field.type)
                    table = table.append_column(spec.partition, column)
                yield table.select(names).cast(schema)
