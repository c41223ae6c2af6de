"""The data dictionary documents every column of every dataset: its type as readers get it, its
nullability and a description; summary rows are flagged at the top of their entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from qun.datasets import catalog, dictionary
from qun.datasets.read import load
from tests.conftest import duck

TEXT = dictionary.PATH.read_text("utf-8")


@pytest.mark.parametrize("spec", catalog.ALL, ids=lambda s: s.name)
def test_dictionary_matches_schema(spec):
    entry = dictionary.entries().get(spec.name)
    assert entry is not None, f"{spec.name} missing from DICTIONARY.md"
    assert list(entry.columns) == spec.schema.names
    for field in spec.schema:
        column = entry.columns[field.name]
        assert column.type == str(field.type), field.name
        assert column.nullable == field.nullable, field.name
        assert column.description, field.name
    assert f"Schema version {spec.version}" in entry.notes


def test_lists_are_documented_as_stored() -> None:
    """They were documented `list<item: string>` and read back `list<element: string>`."""
    assert "list<item" not in TEXT
    assert dictionary.entries()["documents"].columns["flags"].type == "list<element: string>"


@pytest.mark.parametrize("name", ["concept_trends", "partnership_trends"])
def test_summary_rows_are_flagged_first(name: str) -> None:
    assert dictionary.entries()[name].notes.startswith("**Summary rows sit beside detail rows**")


@pytest.mark.parametrize("spec", catalog.ALL, ids=lambda s: s.name)
def test_types_as_read_are_the_documented_ones(demo_dir: Path, spec) -> None:
    table = load(spec.name, demo_dir)
    entry = dictionary.entries()[spec.name]
    assert {f.name: str(f.type) for f in table.schema} == {
        n: c.type for n, c in entry.columns.items()
    }
    for field in spec.schema:
        if not entry.columns[field.name].nullable:
            assert table.column(field.name).null_count == 0, field.name


def test_partition_column_types_per_reader_are_as_documented(demo_dir: Path) -> None:
    """The dictionary says: int32 with qun.load, int64 (BIGINT) in DuckDB, category in pandas."""
    import pandas as pd

    assert "int64 (BIGINT) in DuckDB and polars" in " ".join(TEXT.split())
    assert str(load("grantmaking_index", demo_dir).schema.field("year").type) == "int32"
    kind = duck("typeof(year)", demo_dir / "grantmaking_index")
    assert kind == "BIGINT"
    frame = pd.read_parquet(demo_dir / "grantmaking_index")
    assert str(frame["year"].dtype) == "category"
