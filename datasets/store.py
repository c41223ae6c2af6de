"""Atomic, idempotent Parquet writes with Hive partitioning, and readers.

Each partition is one file, `<root>/<col>=<value>/part-0.parquet`, written to a temporary name
and moved into place with os.replace: a reader sees the old file or the new one, never half a
file. Writing a partition replaces it whole, so a rerun never duplicates rows. The schema
version and dataset name go into the Parquet file metadata.

Readers read every file of a dataset: one that does not read raises DamagedFile naming it
(`QUN_SKIP_DAMAGED=1`, set by `--skip-damaged`, leaves it out and records it in `skipped`), so
nothing is computed, or written back, from part of a dataset without saying so.
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


def list_of(item: pa.DataType) -> pa.DataType:
    """A list type as Parquet stores it and every reader gives it back (`list<element: ...>`),
    so the dataset's schema, the files and the data dictionary say the same."""
    return pa.list_(pa.field("element", item))


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


def _stage(spec: DatasetSpec, data_dir: Path | str, table: pa.Table) -> dict[str, Path]:
    """Write each partition of `table` to a temporary file in its folder (nothing is visible
    yet); on failure, remove them and raise DatasetError."""
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
    except OSError as exc:  # pyarrow's IO errors are OSErrors too
        _discard(staged)
        raise DatasetError(f"{spec.name}: cannot write {root}: {_message(exc)}") from exc
    except BaseException:
        _discard(staged)
        raise
    return staged


def write(
    spec: DatasetSpec, data_dir: Path | str, table: pa.Table, replace_all: bool = False
) -> WriteResult:
    """Write `table`, replacing each partition it holds (and, with replace_all, every other).

    Every partition is written to a temporary file first and all are moved into place only
    when all were written: a write that fails (a full disk, a file-size limit, a read-only
    directory) raises DatasetError and leaves the dataset exactly as it was."""
    return write_together(data_dir, [(spec, table)], replace_all)[spec.name]


def write_together(
    data_dir: Path | str, tables: list[tuple[DatasetSpec, pa.Table]], replace_all: bool = False
) -> dict[str, WriteResult]:
    """Write several datasets that belong together (the trend tables of one computation): every
    file of every dataset is written first, and only then are they all moved into place (renames
    only, one dataset after another), so a failure while writing, a full disk say, leaves every
    one of them as it was rather than some new and some old."""
    staged: dict[str, dict[str, Path]] = {}
    marker = switching_marker(data_dir)
    try:
        for spec, table in tables:
            staged[spec.name] = _stage(spec, data_dir, table)
        # while the renames run, a marker names the datasets: a writer stopped among them leaves
        # some new and some old, which `qun datasets validate` then reports
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("\n".join(spec.name for spec, _ in tables) + "\n", "utf-8")
        results = {}
        for spec, table in tables:
            root, files = spec.path(data_dir), staged.pop(spec.name)
            try:
                _commit(spec, root, files, replace_all)
            except OSError as exc:
                _discard(files)
                raise DatasetError(f"{spec.name}: cannot write {root}: {_message(exc)}") from exc
            results[spec.name] = WriteResult(root, table.num_rows, len(files))
        marker.unlink()
    except BaseException:
        for files in staged.values():
            _discard(files)
        raise
    return results


def switching_marker(data_dir: Path | str) -> Path:
    """The file that is present while write_together moves datasets into place."""
    return Path(data_dir) / ".qun-state" / "switching"


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


SKIP_DAMAGED_ENV = "QUN_SKIP_DAMAGED"
# Files left out by readers in skip mode (QUN_SKIP_DAMAGED=1, set by --skip-damaged), so that a
# command can count them in its results and the report can name them.
skipped: set[Path] = set()


class DamagedFile(DatasetError):
    """A file of a dataset does not open or read; the message names it and the way back."""

    def __init__(self, dataset: str, path: Path, cause: str) -> None:
        self.dataset, self.path, self.cause = dataset, path, cause
        super().__init__(
            f"{dataset}: {path} is damaged ({cause}); `qun datasets validate` lists every damaged "
            "file and `qun datasets repair` sets them aside and says how to rebuild them"
        )


def skip_damaged() -> bool:
    """Whether readers leave damaged files out (recorded in `skipped`) instead of stopping."""
    return os.environ.get(SKIP_DAMAGED_ENV, "") not in ("", "0")


def part_files(spec: DatasetSpec, data_dir: Path | str) -> list[Path]:
    """The dataset's Parquet files, one per partition, in partition order."""
    return sorted(spec.path(data_dir).glob(f"*/{PART_FILE}"))


def file_problem(path: Path, full: bool = False) -> str | None:
    """Why the file cannot be read (None when it can): its footer and schema, and with `full`
    every page of it."""
    try:
        if full:
            pq.read_table(path)
        else:
            pq.read_metadata(path)
    except (pa.ArrowException, OSError) as exc:
        return _message(exc)
    return None


def _readable(spec: DatasetSpec, files: list[Path], full: bool = False) -> list[Path]:
    """`files` whose footers read; a damaged one raises DamagedFile, or in skip mode is left out
    and recorded in `skipped`."""
    good = []
    for path in files:
        problem = file_problem(path, full)
        if problem is None:
            good.append(path)
        elif skip_damaged():
            skipped.add(path)
        else:
            raise DamagedFile(spec.name, path, problem)
    return good


def _dataset(spec: DatasetSpec, root: Path, files: list[Path]) -> ds.Dataset:
    partitioning = ds.partitioning(pa.schema([spec.schema.field(spec.partition)]), flavor="hive")
    # the dataset's schema, not the first file's: a file written before a nullable column was
    # added reads with that column null
    return ds.dataset(
        [str(f) for f in files],
        schema=spec.file_schema.append(spec.schema.field(spec.partition)),
        format="parquet",
        partitioning=partitioning,
        partition_base_dir=str(root),
    )


def readable_files(spec: DatasetSpec, data_dir: Path | str) -> list[Path]:
    """The dataset's files whose footers read (a damaged one raises DamagedFile, or in skip
    mode is left out and recorded), as read() takes them."""
    return _readable(spec, part_files(spec, data_dir))


def file_columns(path: Path) -> list[str]:
    """The columns stored in one Parquet file (from its footer)."""
    return pq.read_schema(path).names


def arrow_dataset(spec: DatasetSpec, data_dir: Path | str) -> ds.Dataset:
    """The dataset as a pyarrow dataset with the dataset's schema (for engines that stream it,
    DuckDB say), every file's footer checked first as read() checks it; an empty one when the
    dataset does not exist yet."""
    files = _readable(spec, part_files(spec, data_dir))
    if not files:
        return ds.dataset(spec.schema.empty_table())
    return _dataset(spec, spec.path(data_dir), files)


def read(
    spec: DatasetSpec,
    data_dir: Path | str,
    filter: pc.Expression | None = None,
    columns: list[str] | None = None,
) -> pa.Table:
    """The dataset (or some of its columns) as one table with the dataset's types; an empty
    table if the dataset does not exist yet. Every file is read: a damaged one raises
    DamagedFile naming it (in skip mode it is left out and recorded)."""
    names = columns or spec.schema.names
    schema = pa.schema([spec.schema.field(n) for n in names])
    root = spec.path(data_dir)
    files = _readable(spec, part_files(spec, data_dir))
    if not files:
        return schema.empty_table()
    try:
        table = _dataset(spec, root, files).to_table(filter=filter, columns=names)
    except (pa.ArrowException, OSError):
        # a footer that reads over pages that do not: find the file (slow path, errors only)
        files = _readable(spec, files, full=True)
        table = _dataset(spec, root, files).to_table(filter=filter, columns=names)
    return table.select(names).cast(schema)


def count(spec: DatasetSpec, data_dir: Path | str) -> int:
    """Rows in the dataset, from the Parquet metadata (no data read); a damaged file raises
    DamagedFile (in skip mode it counts 0 and is recorded)."""
    rows = 0
    for path in part_files(spec, data_dir):
        try:
            rows += pq.read_metadata(path).num_rows
        except (pa.ArrowException, OSError) as exc:
            if not skip_damaged():
                raise DamagedFile(spec.name, path, _message(exc)) from exc
            skipped.add(path)
    return rows


def scan(
    spec: DatasetSpec,
    data_dir: Path | str,
    columns: list[str] | None = None,
    batch_rows: int = 1024,
) -> Iterator[pa.Table]:
    """The dataset (or some of its columns) in tables of at most `batch_rows` rows, partition
    by partition, reading the files a page at a time: memory stays flat however large the
    dataset is. A damaged file raises DamagedFile, as read() does."""
    names = columns or spec.schema.names
    schema = pa.schema([spec.schema.field(n) for n in names])
    field = spec.schema.field(spec.partition)
    in_file = [n for n in names if n != spec.partition]
    for path in _readable(spec, part_files(spec, data_dir)):
        value = path.parent.name.partition("=")[2]
        try:
            with pq.ParquetFile(path, buffer_size=1 << 20) as pf:
                stored = set(pf.schema_arrow.names)
                here = [n for n in in_file if n in stored]
                for batch in pf.iter_batches(batch_size=batch_rows, columns=here):
                    table = pa.Table.from_batches([batch])
                    for name in in_file:
                        if name not in stored:  # a column added since this file was written
                            added = schema.field(name)
                            column = pa.nulls(table.num_rows, added.type)
                            table = table.append_column(added, column)
                    if spec.partition in names:
                        column = pa.array([value] * table.num_rows).cast(field.type)
                        table = table.append_column(spec.partition, column)
                    yield table.select(names).cast(schema)
        except (pa.ArrowException, OSError) as exc:
            # a page that does not read, after earlier batches went out: never skipped, since
            # the caller already holds part of the file
            raise DamagedFile(spec.name, path, _message(exc)) from exc
