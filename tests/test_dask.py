"""Extraction on a local Dask cluster of two workers writes the same datasets as in-process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from tests.conftest import qun

# crawls, runs or builds of the whole pipeline: left out by `make test-fast`
pytestmark = pytest.mark.e2e

EXTRACTION = ["org_mentions", "concept_mentions", "funding", "partnerships", "extraction_log"]
RUN_TIMES = {"extracted_at"}


def _fresh_copy(demo_dir: Path, dest: Path) -> Path:
    """The demo's documents without any extraction, so every document is extracted again."""
    shutil.copytree(demo_dir, dest, ignore=shutil.ignore_patterns("report", "archive", *EXTRACTION))
    return dest


def _rows(data_dir: Path, name: str) -> list[str]:
    table = ds.dataset(data_dir / name, partitioning="hive").to_table()
    table = table.drop_columns([c for c in table.column_names if c in RUN_TIMES])
    return sorted(
        json.dumps(r, default=str, sort_keys=True, ensure_ascii=False) for r in table.to_pylist()
    )


@pytest.mark.e2e
def test_extraction_on_two_dask_workers_matches_the_local_run(demo_dir: Path, tmp_path: Path):
    local = _fresh_copy(demo_dir, tmp_path / "local")
    on_dask = _fresh_copy(demo_dir, tmp_path / "dask")
    local_run = qun("extract", "--documents", "--data-dir", str(local))
    local_counts = json.loads(local_run.stdout)
    assert "━" not in local_run.stderr  # no progress bar when stderr is not a terminal
    summary = f"extracted {local_counts['extracted']} documents (0 unchanged)"
    assert summary in local_run.stderr  # the closing summary
    dask_counts = json.loads(
        qun("extract", "--documents", "--data-dir", str(on_dask), "--dask", "local:2").stdout
    )
    assert local_counts == dask_counts
    assert dask_counts["extracted"] > 100  # several batches of 50 documents
    for name in EXTRACTION:
        local_rows, dask_rows = _rows(local, name), _rows(on_dask, name)
        assert local_rows, f"{name} is empty"
        assert local_rows == dask_rows, f"{name} differs between the local and the Dask run"


def test_a_bad_dask_address_is_refused():
    proc = qun("extract", "--documents", "--dask", "somewhere", check=False)
    assert proc.returncode == 2 and "local:N or a scheduler address" in proc.stderr
