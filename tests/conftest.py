"""Shared fixtures: the sample site's manifest, a local server for it, and one demo run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shared_data() -> Path:
    from qun.models.corpora import shared_data

    return shared_data()


# Tests on the public corpora of ../shared/data skip, saying so, where that folder is absent.
needs_shared_data = pytest.mark.skipif(
    not _shared_data().is_dir(),
    reason=f"NER corpora not found at {_shared_data()} (set QUN_SHARED_DATA)",
)
MANIFEST = ROOT / "spiders" / "sample_site" / "manifest.json"


# Fixtures that run the whole pipeline (or a Prefect server): a test using one is end to end.
E2E_FIXTURES = {"demo_dir", "prefect_harness"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a whole-pipeline fixture as e2e, so that `-m "not e2e"`
    (make test-fast) leaves out every test that runs the demo, whatever its module says."""
    for item in items:
        if E2E_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _isolated_prefect(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep Prefect's database and settings out of the developer's home."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text("utf-8"))


def qun(*args: str, check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
    """Run the installed `qun` command as a user would."""
    exe = Path(sys.executable).with_name("qun")
    proc = subprocess.run(
        [str(exe), *args], capture_output=True, text=True, cwd=kw.pop("cwd", ROOT), **kw
    )  # type: ignore[call-overload]
    if check and proc.returncode != 0:
        raise AssertionError(f"qun {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `qun run --demo` into a fresh data dir, shared by the end-to-end tests."""
    data = tmp_path_factory.mktemp("demo") / "data"
    qun("run", "--demo", "--data-dir", str(data), "--quiet")
    return data


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API for flows called in-process (started once per session)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def site_copy(tmp_path: Path) -> Path:
    """A private copy of the sample site that a test may change."""
    import shutil

    root = tmp_path / "site"
    shutil.copytree(ROOT / "spiders" / "sample_site" / "site", root)
    return root


def duck(select: str, folder: Path) -> object:
    """The first value of `SELECT <select> FROM` the Parquet dataset in `folder`, read by
    DuckDB with Hive partitioning, as a user of DuckDB would."""
    import duckdb

    query = f"select {select} from read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"
    return duckdb.connect().execute(query).fetchall()[0][0]
