"""The dataset layer: exact paths, round trips, atomic replacement, Hive reading."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from qun.datasets import catalog, store
from qun.datasets.store import DatasetError, DatasetSpec, read, write

SPEC = DatasetSpec(
    "things",
    pa.schema(
        [pa.field("id", pa.string()), pa.field("part", pa.string()), pa.field("n", pa.int64())]
    ),
    "part",
    ("id",),
)


def table(rows):
    return pa.Table.from_pylist(rows, schema=SPEC.schema)


def test_write_paths_metadata_and_round_trip(tmp_path: Path):
    result = write(
        SPEC,
        tmp_path,
        table(
            [
                {"id": "b", "part": "x", "n": 2},
                {"id": "a", "part": "x", "n": 1},
                {"id": "c", "part": "y", "n": 3},
            ]
        ),
    )
    assert result.rows == 3 and result.partitions == 2
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet")) == [
        "things/part=x/part-0.parquet",
        "things/part=y/part-0.parquet",
    ]
    meta = pq.read_schema(tmp_path / "things/part=x/part-0.parquet").metadata
    assert meta[b"qun.dataset"] == b"things" and meta[b"qun.schema_version"] == b"1"
    back = read(SPEC, tmp_path).sort_by("id")
    assert back.to_pylist() == [
        {"id": "a", "part": "x", "n": 1},
        {"id": "b", "part": "x", "n": 2},
        {"id": "c", "part": "y", "n": 3},
    ]
    hive = ds.dataset(tmp_path / "things", partitioning="hive").to_table()
    assert hive.num_rows == 3
    con = duckdb.connect()
    n = con.execute(
        f"select count(*), count(distinct part) from read_parquet("
        f"'{tmp_path}/things/**/*.parquet', hive_partitioning = true)"
    ).fetchall()
    assert n == [(3, 2)]


def test_rewrite_replaces_partitions_never_duplicates(tmp_path: Path):
    rows = [{"id": "a", "part": "x", "n": 1}, {"id": "c", "part": "y", "n": 3}]
    write(SPEC, tmp_path, table(rows))
    write(SPEC, tmp_path, table(rows))
    assert read(SPEC, tmp_path).num_rows == 2
    write(SPEC, tmp_path, table([{"id": "a", "part": "x", "n": 9}]), replace_all=True)
    assert read(SPEC, tmp_path).to_pylist() == [{"id": "a", "part": "x", "n": 9}]
    assert not (tmp_path / "things" / "part=y").exists()


def test_leftover_temp_file_of_a_killed_writer_is_invisible_and_cleaned(tmp_path: Path):
    write(SPEC, tmp_path, table([{"id": "a", "part": "x", "n": 1}]))
    stale = tmp_path / "things" / "part=x" / ".part-0.parquet.dead.tmp"
    stale.write_bytes(b"PAR1 half a file")
    assert read(SPEC, tmp_path).num_rows == 1
    write(SPEC, tmp_path, table([{"id": "a", "part": "x", "n": 1}]))
    assert not stale.exists()


def test_missing_columns_and_unsafe_partition_values_are_errors(tmp_path: Path):
    with pytest.raises(DatasetError, match="missing columns"):
        write(SPEC, tmp_path, pa.table({"id": ["a"]}))
    with pytest.raises(DatasetError, match="unsafe partition value"):
        write(SPEC, tmp_path, table([{"id": "a", "part": "../evil", "n": 1}]))


def test_reading_a_dataset_that_does_not_exist_gives_an_empty_table(tmp_path: Path):
    assert read(SPEC, tmp_path).num_rows == 0


def test_datasets_written_together_are_all_new_or_all_as_they_were(tmp_path: Path):
    """The trend tables of one computation: a failure writing the last leaves the first ones
    as they were too (no mix of new and old tables), and no temporary file behind."""
    from qun.datasets.store import write_together

    other = DatasetSpec("others", SPEC.schema, "part", ("id",))
    write(SPEC, tmp_path, table([{"id": "old", "part": "x", "n": 1}]))
    write(other, tmp_path, table([{"id": "old", "part": "x", "n": 1}]))
    new = table([{"id": "new", "part": "x", "n": 2}])
    with pytest.raises(DatasetError, match="unsafe partition value"):
        write_together(
            tmp_path, [(SPEC, new), (other, table([{"id": "x", "part": "../up", "n": 3}]))], True
        )
    assert read(SPEC, tmp_path)["id"].to_pylist() == ["old"]
    assert not list(tmp_path.rglob("*.tmp"))

    results = write_together(tmp_path, [(SPEC, new), (other, new)], replace_all=True)
    assert [r.rows for r in results.values()] == [1, 1]
    assert not store.switching_marker(tmp_path).exists()
    assert read(SPEC, tmp_path)["id"].to_pylist() == read(other, tmp_path)["id"].to_pylist()


def test_a_writer_stopped_while_switching_tables_is_reported(tmp_path: Path, monkeypatch):
    """Stopped between the renames of two tables (a kill there leaves one new, one old):
    validate says so and names the way back; the next complete write clears it."""
    from qun.datasets import read as reader
    from qun.datasets.store import write_together

    other = DatasetSpec("others", SPEC.schema, "part", ("id",))
    monkeypatch.setattr(catalog, "ALL", (SPEC, other))
    new = table([{"id": "new", "part": "x", "n": 2}])
    real_commit = store._Folder.commit
    done: list[str] = []

    def stop_after_first(folder, files, replace_all):  # the kill, after one rename
        if done:
            raise KeyboardInterrupt
        done.append(folder.spec.name)
        real_commit(folder, files, replace_all)

    monkeypatch.setattr(store._Folder, "commit", stop_after_first)
    with pytest.raises(KeyboardInterrupt):
        write_together(tmp_path, [(SPEC, new), (other, new)], replace_all=True)
    first, *rest = reader.validate(tmp_path)
    assert first == (
        f"{SPEC.name}, others: an interrupted write stopped while moving these into place, so "
        "some may be from the last computation and some from the one before: `qun trends` makes "
        "them consistent"
    )
    assert all("is left over from an interrupted write" in p for p in rest)  # as a kill leaves
    monkeypatch.setattr(store._Folder, "commit", real_commit)
    write_together(tmp_path, [(SPEC, new), (other, new)], replace_all=True)
    assert reader.validate(tmp_path) == []
