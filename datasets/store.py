"""Atomic, idempotent Parquet writes with Hive partitioning, and readers.

Each partition is one file, `<root>/<col>=<value>/part-0.parquet`, written to a temporary name
and moved into place with os.replace: a reader sees the old file or the new one, never half a
file. Writing a partition replaces it whole, so a rerun never duplicates rows. The schema
version and dataset name go into the Parquet file metadata.

A data directory given as a URL (`s3://bucket/prefix`, any pyarrow filesystem) gets the same
writes through pyarrow's filesystem, with the move done as a whole-object copy
(datasets.remote says why a reader never sees half a file there either).

Readers read every file of a dataset: one that does not read raises DamagedFile naming it
(`QUN_SKIP_DAMAGED=1`, set by `--skip-damaged`, leaves it out and records it in `skipped`), so
nothing is computed, or written back, from part of a dataset without saying so.
"""

from __future__ import annotations

import os
import shutil
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
import pyarrow.fs as pafs  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from qun.datasets import remote  # noqa: E402

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


def _root(data_dir: Path | str) -> remote.Root:
    """The filesystem and path of a data directory given as a URL."""
    try:
        return remote.root(str(data_dir))
    except remote.CannotOpen as exc:
        raise DatasetError(str(exc)) from exc


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


def _is_tmp(base_name: str) -> bool:
    """A staged file's name (`.part-0.parquet.<id>.tmp`): hidden until it is moved."""
    return base_name.startswith(".") and base_name.endswith(".tmp")


class _Folder:
    """A dataset's folder, on local disk or in a pyarrow filesystem (datasets.remote): where
    new files are staged, and how they are moved into place or discarded."""

    def __init__(self, spec: DatasetSpec, data_dir: Path | str) -> None:
        self.spec = spec
        self.remote = _root(data_dir) if remote.is_uri(data_dir) else None
        if self.remote:
            self.fs: pafs.FileSystem | None = self.remote.fs
            self.root: Path | str = self.remote.join(spec.name)
            self.shown: Path | str = self.remote.show(spec.name)
        else:
            self.fs = None
            self.root = self.shown = spec.path(data_dir)

    def stage(self, name: str) -> Path | str:
        """A new temporary file in partition folder `name` (nothing visible yet)."""
        if self.remote:
            return remote.tmp_key(f"{self.root}/{name}", PART_FILE)
        folder = Path(self.root) / name
        folder.mkdir(parents=True, exist_ok=True)
        return Path(remote.tmp_key(str(folder), PART_FILE))

    def sync(self, tmp: Path | str) -> None:
        """Make a staged file durable (an object store's PUT is, once it returns)."""
        if not self.remote:
            _fsync(Path(tmp))

    def commit(self, staged: dict[str, Path | str], replace_all: bool) -> None:
        """Move staged files into place (renames, or whole-object copies in an object store:
        nothing left to run out of space), then drop the partitions a replace_all write no
        longer holds, and stale temporary files."""
        prefix = f"{self.spec.partition}="
        if self.remote:
            fs = self.remote.fs
            for name, tmp in staged.items():
                fs.move(str(tmp), f"{self.root}/{name}/{PART_FILE}")
            dropped = set()
            for info in remote.listing(self.remote, str(self.root)):  # one listing for both
                name = info.path[len(str(self.root)) + 1 :].split("/", 1)[0]
                if replace_all and name.startswith(prefix) and name not in staged:
                    dropped.add(name)
                elif _is_tmp(info.base_name):  # left by a killed writer (ours are moved)
                    fs.delete_file(info.path)
            for name in sorted(dropped):
                fs.delete_dir(f"{self.root}/{name}")
            return
        root = Path(self.root)
        for name, tmp in staged.items():
            os.replace(tmp, root / name / PART_FILE)
        if replace_all:
            for folder in root.iterdir():
                if folder.is_dir() and folder.name.startswith(prefix) and folder.name not in staged:
                    shutil.rmtree(folder)
        for stale in self.stale():  # left by a killed writer
            Path(stale).unlink(missing_ok=True)

    def stale(self) -> list[Path] | list[str]:
        """Temporary files an interrupted write left (the next write removes them)."""
        if self.remote:
            return sorted(
                f.path for f in remote.listing(self.remote, str(self.root)) if _is_tmp(f.base_name)
            )
        return sorted(Path(self.root).glob("*/.*.tmp"))

    def discard(self, staged: dict[str, Path | str]) -> None:
        for tmp in staged.values():
            if self.remote:
                try:
                    self.remote.fs.delete_file(str(tmp))
                except (OSError, pa.ArrowException):
                    pass  # never written, or already gone
            else:
                Path(tmp).unlink(missing_ok=True)

    def ensure(self) -> None:
        if not self.remote:
            Path(self.root).mkdir(parents=True, exist_ok=True)


def _stage(spec: DatasetSpec, data_dir: Path | str, table: pa.Table) -> dict[str, Path | str]:
    """Write each partition of `table` to a temporary file in its folder (nothing is visible
    yet); on failure, remove them and raise DatasetError."""
    table = conform(spec, table)
    where = _Folder(spec, data_dir)
    values = pc.unique(table[spec.partition]).to_pylist() if table.num_rows else []
    staged: dict[str, Path | str] = {}
    try:
        where.ensure()
        for value in sorted(values, key=str):
            part = table.filter(pc.equal(table[spec.partition], value))
            if spec.key:
                part = part.sort_by([(k, "ascending") for k in spec.key])
            part = part.drop_columns([spec.partition]).cast(spec.file_schema)
            name = f"{spec.partition}={_safe_value(value)}"
            staged[name] = tmp = where.stage(name)
            pq.write_table(part, str(tmp), compression="zstd", filesystem=where.fs)
            where.sync(tmp)
    except OSError as exc:  # pyarrow's IO errors are OSErrors too
        where.discard(staged)
        raise DatasetError(f"{spec.name}: cannot write {where.shown}: {_message(exc)}") from exc
    except BaseException:
        where.discard(staged)
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
    staged: dict[str, dict[str, Path | str]] = {}
    folders = {spec.name: _Folder(spec, data_dir) for spec, _ in tables}
    marker = _Marker(data_dir)
    try:
        for spec, table in tables:
            staged[spec.name] = _stage(spec, data_dir, table)
        # while the moves run, a marker names the datasets: a writer stopped among them leaves
        # some new and some old, which `qun datasets validate` then reports
        marker.set([spec.name for spec, _ in tables])
        results = {}
        for spec, table in tables:
            where, files = folders[spec.name], staged.pop(spec.name)
            try:
                where.commit(files, replace_all)
            except OSError as exc:
                where.discard(files)
                raise DatasetError(
                    f"{spec.name}: cannot write {where.shown}: {_message(exc)}"
                ) from exc
            results[spec.name] = WriteResult(where.shown, table.num_rows, len(files))
        marker.clear()
    except BaseException:
        for name, files in staged.items():
            folders[name].discard(files)
        raise
    return results


def switching_marker(data_dir: Path | str) -> Path:
    """The file that is present while write_together moves datasets into place."""
    return Path(data_dir) / ".qun-state" / "switching"


def switching(data_dir: Path | str) -> list[str] | None:
    """The datasets a write_together was moving into place when it stopped (None: none)."""
    return _Marker(data_dir).get()


def stale_files(spec: DatasetSpec, data_dir: Path | str) -> list[Path] | list[str]:
    """Temporary files an interrupted write left in the dataset (the next write removes them)."""
    return _Folder(spec, data_dir).stale()


class _Marker:
    """The switching marker of a data directory, local or in a pyarrow filesystem."""

    def __init__(self, data_dir: Path | str) -> None:
        self.remote = _root(data_dir) if remote.is_uri(data_dir) else None
        self.path = self.remote.join(".qun-state", "switching") if self.remote else None
        self.local = None if self.remote else switching_marker(data_dir)

    def set(self, names: list[str]) -> None:
        text = "\n".join(names) + "\n"
        if self.remote:
            with self.remote.fs.open_output_stream(self.path) as out:
                out.write(text.encode())
        else:
            self.local.parent.mkdir(parents=True, exist_ok=True)
            self.local.write_text(text, "utf-8")

    def get(self) -> list[str] | None:
        """The datasets named while a write moved them, or None when none was stopped."""
        try:
            if self.remote:
                with self.remote.fs.open_input_stream(self.path) as src:
                    return src.read().decode().split()
            return self.local.read_text("utf-8").split()
        except (FileNotFoundError, pa.ArrowException, OSError):
            return None

    def clear(self) -> None:
        if self.remote:
            self.remote.fs.delete_file(self.path)
        else:
            self.local.unlink()


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
        self.spec, self.replace_all = spec, replace_all
        self._where = _Folder(spec, data_dir)
        self.root = self._where.shown
        self.row_group_bytes = row_group_bytes
        self.rows = 0
        self._staged: dict[str, Path | str] = {}
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
            self._staged[name] = tmp = self._where.stage(name)
            writer = self._writers[name] = pq.ParquetWriter(
                str(tmp), self.spec.file_schema, compression="zstd", filesystem=self._where.fs
            )
        writer.write_table(group.cast(self.spec.file_schema))

    def close(self) -> WriteResult:
        """Finish every file and move them all into place; the result counts the rows."""
        with self._cleanly():
            self._where.ensure()
            for name in list(self._pending):
                self._flush(name)
            for name, writer in self._writers.items():
                writer.close()
                self._where.sync(self._staged[name])
            self._writers.clear()
            self._where.commit(self._staged, self.replace_all)
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
        self._where.discard(self._staged)
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


def filesystem(data_dir: Path | str) -> pafs.FileSystem | None:
    """The pyarrow filesystem of a data directory given as a URL (None for a local path)."""
    return _root(data_dir).fs if remote.is_uri(data_dir) else None


def dataset_root(spec: DatasetSpec, data_dir: Path | str) -> Path | str:
    """The dataset's folder: a local path, or a path in the URL's filesystem."""
    if remote.is_uri(data_dir):
        return _root(data_dir).join(spec.name)
    return spec.path(data_dir)


def part_files(spec: DatasetSpec, data_dir: Path | str) -> list[Path] | list[str]:
    """The dataset's Parquet files, one per partition, in partition order (paths in the
    URL's filesystem for a data directory given as a URL)."""
    if remote.is_uri(data_dir):
        r = _root(data_dir)
        base = r.join(spec.name)
        depth = base.count("/") + 2
        return sorted(
            f.path
            for f in remote.listing(r, base)
            if f.base_name == PART_FILE and f.path.count("/") == depth
        )
    return sorted(spec.path(data_dir).glob(f"*/{PART_FILE}"))


def file_problem(
    path: Path | str, full: bool = False, fs: pafs.FileSystem | None = None
) -> str | None:
    """Why the file cannot be read (None when it can): its footer and schema, and with `full`
    every page of it."""
    try:
        if full:
            pq.read_table(str(path), filesystem=fs)
        else:
            pq.read_metadata(str(path), filesystem=fs)
    except (pa.ArrowException, OSError) as exc:
        return _message(exc)
    return None


def _readable(
    spec: DatasetSpec, files: list, full: bool = False, fs: pafs.FileSystem | None = None
) -> list:
    """`files` whose footers read; a damaged one raises DamagedFile, or in skip mode is left out
    and recorded in `skipped`."""
    good = []
    for path in files:
        problem = file_problem(path, full, fs)
        if problem is None:
            good.append(path)
        elif skip_damaged():
            skipped.add(path)
        else:
            raise DamagedFile(spec.name, path, problem)
    return good


def _dataset(
    spec: DatasetSpec, root: Path | str, files: list, fs: pafs.FileSystem | None = None
) -> ds.Dataset:
    partitioning = ds.partitioning(pa.schema([spec.schema.field(spec.partition)]), flavor="hive")
    # the dataset's schema, not the first file's: a file written before a nullable column was
    # added reads with that column null
    return ds.dataset(
        [str(f) for f in files],
        schema=spec.file_schema.append(spec.schema.field(spec.partition)),
        format="parquet",
        partitioning=partitioning,
        partition_base_dir=str(root),
        filesystem=fs,
    )


def readable_files(spec: DatasetSpec, data_dir: Path | str) -> list[Path]:
    """The dataset's files whose footers read (a damaged one raises DamagedFile, or in skip
    mode is left out and recorded), as read() takes them."""
    files = [p for p in part_files(spec, data_dir) if p not in skipped]
    return _readable(spec, files, fs=filesystem(data_dir))


def check_files(spec: DatasetSpec, files: list, fs: pafs.FileSystem | None = None) -> list:
    """`files` whose every page reads (a damaged one raises DamagedFile, or in skip mode is
    left out and recorded in `skipped`)."""
    return _readable(spec, files, full=True, fs=fs)


def file_columns(path: Path | str, fs: pafs.FileSystem | None = None) -> list[str]:
    """The columns stored in one Parquet file (from its footer)."""
    return pq.read_schema(str(path), filesystem=fs).names


def arrow_dataset(spec: DatasetSpec, data_dir: Path | str) -> ds.Dataset:
    """The dataset as a pyarrow dataset with the dataset's schema (for engines that stream it,
    DuckDB say), every file's footer checked first as read() checks it; an empty one when the
    dataset does not exist yet."""
    fs = filesystem(data_dir)
    files = _readable(spec, part_files(spec, data_dir), fs=fs)
    if not files:
        return ds.dataset(spec.schema.empty_table())
    return _dataset(spec, dataset_root(spec, data_dir), files, fs)


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
    root, fs = dataset_root(spec, data_dir), filesystem(data_dir)
    files = _readable(spec, part_files(spec, data_dir), fs=fs)
    if not files:
        return schema.empty_table()
    try:
        table = _dataset(spec, root, files, fs).to_table(filter=filter, columns=names)
    except (pa.ArrowException, OSError):
        # a footer that reads over pages that do not: find the file (slow path, errors only)
        files = _readable(spec, files, full=True, fs=fs)
        table = _dataset(spec, root, files, fs).to_table(filter=filter, columns=names)
    return table.select(names).cast(schema)


def count(spec: DatasetSpec, data_dir: Path | str) -> int:
    """Rows in the dataset, from the Parquet metadata (no data read); a damaged file raises
    DamagedFile (in skip mode it counts 0 and is recorded)."""
    rows, fs = 0, filesystem(data_dir)
    for path in part_files(spec, data_dir):
        try:
            rows += pq.read_metadata(str(path), filesystem=fs).num_rows
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
    fs = filesystem(data_dir)
    for path in _readable(spec, part_files(spec, data_dir), fs=fs):
        value = str(path).rsplit("/", 2)[-2].partition("=")[2]
        source = fs.open_input_file(path) if fs else path
        try:
            with pq.ParquetFile(source, buffer_size=1 << 20) as pf:
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
