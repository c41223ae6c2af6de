"""The dataset layer from a data scientist's side: every dataset of a demo run loads with
pyarrow, pandas, polars and DuckDB, validates, and matches the data dictionary's columns."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pytest

from qun.datasets import catalog
from qun.datasets.read import load, validate
from tests.conftest import duck, qun

NAMES = [spec.name for spec in catalog.ALL]


@pytest.mark.parametrize("name", NAMES)
def test_every_dataset_loads_four_ways(demo_dir: Path, name: str):
    spec = catalog.BY_NAME[name]
    arrow = load(name, demo_dir)
    assert arrow.num_rows > 0 and arrow.schema.names == spec.schema.names
    assert len(load(name, demo_dir, as_="pandas")) == arrow.num_rows
    assert load(name, demo_dir, as_="polars").height == arrow.num_rows
    assert ds.dataset(demo_dir / name, partitioning="hive").count_rows() == arrow.num_rows
    got = duck("count(*)", demo_dir / name)
    assert got == arrow.num_rows


def test_reader_filters_and_columns(demo_dir: Path):
    yearly = load(
        "concept_trends",
        demo_dir,
        filter=[("granularity", "==", "year"), ("concept", "in", ["collective_impact"])],
        columns=["period", "share"],
    )
    assert yearly.column_names == ["period", "share"]
    assert 10 <= yearly.num_rows
    with pytest.raises(KeyError, match="unknown dataset"):
        load("nope", demo_dir)


def test_views_of_summary_rows_cannot_overcount(demo_dir: Path):
    """Summing docs_mentioning over all of concept_trends counted every document four times."""
    year = [("granularity", "==", "year")]
    every = load("concept_trends", demo_dir, filter=year, as_="pandas")
    detail = load("concept_trends", demo_dir, filter=year, view="detail", as_="pandas")
    total = load("concept_trends", demo_dir, filter=year, view="total", as_="pandas")
    assert not (detail[["outlet", "lang"]] == "*").any().any()
    assert (total[["outlet", "lang"]] == "*").all().all()
    assert detail["docs_mentioning"].sum() == total["docs_mentioning"].sum() > 0
    assert every["docs_mentioning"].sum() == 4 * total["docs_mentioning"].sum()
    for view in ("by_outlet", "by_lang"):
        part = load("concept_trends", demo_dir, filter=year, view=view, as_="pandas")
        assert part["docs_mentioning"].sum() == total["docs_mentioning"].sum()
    pairs = load("partnership_trends", demo_dir, view="detail", as_="pandas")
    assert len(pairs) and not (pairs["sector_pair"] == "*").any()
    with pytest.raises(ValueError, match="has no view 'detail' .none: it has no summary rows"):
        load("documents", demo_dir, view="detail")
    with pytest.raises(ValueError, match="one of detail, by_outlet, by_lang, total"):
        load("concept_trends", demo_dir, view="sum")


def test_date_filters_take_iso_strings(demo_dir: Path):
    """A string date filter raised a raw Arrow error."""
    import datetime as dt

    since = load("documents", demo_dir, filter=("published_at", ">=", "2020-01-01"))
    assert 0 < since.num_rows < load("documents", demo_dir).num_rows
    assert min(since.column("published_at").to_pylist()) >= dt.date(2020, 1, 1)
    same = load("documents", demo_dir, filter=("published_at", ">=", dt.date(2020, 1, 1)))
    assert same.num_rows == since.num_rows
    fetched = load("documents", demo_dir, filter=("fetched_at", ">=", "2000-01-01T00:00:00"))
    assert fetched.num_rows == load("documents", demo_dir).num_rows
    listed = load("documents", demo_dir, filter=("published_at", "in", ["2017-11-26"]))
    assert all(d == dt.date(2017, 11, 26) for d in listed.column("published_at").to_pylist())
    with pytest.raises(ValueError, match="'2020/01/01' is not an ISO date"):
        load("documents", demo_dir, filter=("published_at", ">=", "2020/01/01"))
    with pytest.raises(ValueError, match="no column 'published'"):
        load("documents", demo_dir, filter=("published", ">=", "2020-01-01"))


def test_demo_datasets_validate(demo_dir: Path):
    assert validate(demo_dir) == []
    out = qun("datasets", "validate", "--data-dir", str(demo_dir))
    assert "valid" in out.stdout


def test_validate_reports_duplicates_and_foreign_files(demo_dir: Path, tmp_path: Path):
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    copy = tmp_path / "data"
    shutil.copytree(demo_dir / "documents", copy / "documents")
    first, second = sorted((copy / "documents").glob("*/part-0.parquet"))[:2]
    table = pq.read_table(first)
    pq.write_table(pa.concat_tables([table, table]), first)  # same rows twice, metadata kept
    pq.write_table(pq.read_table(second).replace_schema_metadata(None), second)
    problems = validate(copy)
    assert any("not marked as this dataset" in p for p in problems), problems
    pq.write_table(
        pq.read_table(demo_dir / "documents" / second.parent.name / "part-0.parquet"), second
    )
    problems = validate(copy)
    assert problems == [f"documents: {table.num_rows} duplicate keys ('doc_id',)"]
    proc = qun("datasets", "validate", "--data-dir", str(copy), check=False)
    assert proc.returncode == 1 and "duplicate keys" in proc.stdout


def test_validate_checks_keys_of_every_dataset_after_a_problem(tmp_path: Path):
    import pyarrow as pa

    from qun.datasets import store

    def put(name: str, rows: list[dict]) -> None:
        spec = catalog.BY_NAME[name]
        store.write(spec, tmp_path, pa.Table.from_pylist(rows, schema=spec.schema))

    # documents, the first dataset: one of its files does not open
    put(
        "documents",
        [
            {"doc_id": "d1", "url": "https://a.example/1", "source": "a"},
            {"doc_id": "d2", "url": "https://b.example/2", "source": "b"},
        ],
    )
    broken = tmp_path / "documents" / "source=b" / store.PART_FILE
    broken.write_bytes(b"not parquet")
    # later datasets: the same key twice
    put("crawl_runs", [{"run_id": "r1", "spider": "media"}, {"run_id": "r1", "spider": "media"}])
    index_row = {
        "year": 2020,
        "foundations_funding": 1,
        "foundations_mentioned": 2,
        "foundation_mentions": 3,
        "foundation_funder_mentions": 1,
    }
    put("grantmaking_index", [index_row, {**index_row, "foundation_mentions": 4}])

    problems = validate(tmp_path)
    assert len(problems) == 3, problems
    assert problems[0].startswith(f"documents: {broken} is damaged: "), problems
    assert problems[1:] == [
        "crawl_runs: 1 duplicate keys ('run_id', 'spider')",
        "grantmaking_index: 1 duplicate keys ('year',)",
    ]


def test_rerun_extracts_only_changed_documents(demo_dir: Path):
    out = qun("extract", "--documents", "--data-dir", str(demo_dir))
    assert '"extracted": 0' in out.stdout
