"""A command run from a terminal pays no Prefect start-up, and a run with nothing new rewrites
nothing: the trend tables and the report are skipped when none of their inputs changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qun.datasets import catalog, mentions, store
from tests.conftest import qun

pytestmark = pytest.mark.e2e

TRENDS = ["concept_trends", "partnership_trends", "funding_flows", "org_network", "emerging_terms"]


def stamps(data: Path, names: list[str]) -> dict[Path, int]:
    """Each file's modification time (a writer replaces files, so any write changes it)."""
    return {
        p: p.stat().st_mtime_ns
        for name in names
        for p in store.part_files(catalog.BY_NAME[name], data)
    }


@pytest.fixture
def data(demo_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(demo_dir, copy)
    return copy


def test_trends_run_without_a_prefect_server_and_skip_when_nothing_changed(data: Path) -> None:
    first = qun("trends", "--data-dir", str(data), "-v")
    assert "temporary server" not in first.stderr  # no Prefect API started for a terminal run
    assert "unchanged" not in json.loads(first.stdout)  # a copied folder: files are new
    before = stamps(data, TRENDS)

    second = json.loads(qun("trends", "--data-dir", str(data)).stdout)
    assert second["unchanged"] is True
    assert second["concept_trends"] == json.loads(first.stdout)["concept_trends"]
    assert stamps(data, TRENDS) == before

    # an input rewritten (as an extraction does): computed again
    table = store.read(mentions.CONCEPT_SPEC, data)
    store.write(mentions.CONCEPT_SPEC, data, table, replace_all=True)
    third = json.loads(qun("trends", "--data-dir", str(data)).stdout)
    assert "unchanged" not in third
    assert all(stamps(data, TRENDS)[p] != t for p, t in before.items())

    # an output removed: computed again
    shutil.rmtree(data / "emerging_terms")
    assert "unchanged" not in json.loads(qun("trends", "--data-dir", str(data)).stdout)
    assert store.count(catalog.BY_NAME["emerging_terms"], data) > 0


def test_a_run_with_nothing_new_rewrites_nothing(data: Path) -> None:
    qun("run", "--demo", "--data-dir", str(data), "-q")  # the copy's own fingerprints
    names = ["documents", *TRENDS, "org_mentions", "extraction_log"]
    before = stamps(data, names)
    report = data / "report" / "index.html"
    report_time = report.stat().st_mtime_ns

    proc = qun("run", "--demo", "--data-dir", str(data), "-v")
    assert "temporary server" not in proc.stderr
    assert stamps(data, names) == before
    assert report.stat().st_mtime_ns == report_time

    report.unlink()  # an output gone: the report is written again
    qun("report", "--data-dir", str(data))
    assert report.exists()
