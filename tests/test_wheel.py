"""The wheel a user installs is complete: one import package, every file the commands need,
and `qun extract` and `qun eval` working from it in a folder unrelated to the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

# crawls, runs or builds of the whole pipeline: left out by `make test-fast`
pytestmark = pytest.mark.e2e

_CACHES = shutil.ignore_patterns("__pycache__", "*.egg-info")
_TOP_SKIP = {".venv", ".git", "data", "build", "test-artifacts", ".pytest_cache", ".ruff_cache"}


def _skip(folder: str, names: list[str]) -> set[str]:
    """What a fresh clone would not hold: the venv, outputs and caches (data/ at the top only)."""
    top = _TOP_SKIP if Path(folder) == ROOT else set()
    return top.intersection(names) | set(_CACHES(folder, names))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the checkout (no build isolation: nothing downloaded)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=_skip)
    out = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("qun-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target)]
        + [str(wheel)],
        check=True,
        capture_output=True,
    )
    return target


def _run(installed: Path, cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`python -m qun ARGS` with the wheel's qun first on the path, from `cwd`."""
    env = dict(os.environ, PYTHONPATH=str(installed))
    return subprocess.run(
        [sys.executable, "-m", "qun", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.e2e
def test_the_wheel_installs_one_package_with_its_data(wheel: Path, installed: Path):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"qun", wheel.name.split("-py")[0] + ".dist-info"}
    for needed in (
        "qun/models/data/ner_zh/meta.json",
        "qun/models/data/ner_zh/ner/model",
        "qun/models/data/relations_eval/zh_hans.jsonl",
        "qun/models/data/relations_train/en.jsonl",
        "qun/models/data/gazetteer.tsv",
        "qun/models/MODEL_CARD.md",
        "qun/datasets/DICTIONARY.md",
        "qun/spiders/sources.yaml",
        "qun/spiders/sample_site/manifest.json",
    ):
        assert needed in names, needed
    # pip install --target: the package, its dist-info and the qun script, nothing else
    assert sorted(p.name for p in installed.iterdir()) == sorted(
        ["bin", "qun", wheel.name.split("-py")[0] + ".dist-info"]
    )
    assert [p.name for p in (installed / "bin").iterdir()] == ["qun"]


@pytest.mark.e2e
def test_extract_and_eval_run_from_the_wheel_in_an_unrelated_folder(
    installed: Path, tmp_path: Path
):
    # a user's folder holding names that shadowed qun's layers before they were one package
    (tmp_path / "models.py").write_text("raise ImportError('the user models.py was imported')")
    for name in ("datasets", "flows", "spiders"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise ImportError('user {name}/')")
    where = _run(installed, tmp_path, "--version")
    assert where.returncode == 0 and where.stdout.startswith("qun ")
    line = json.dumps({"id": "1", "text": "南都公益基金会资助晨光社区发展中心300万元。"})
    out = _run(installed, tmp_path, "extract", "--statistical", "en,zh", stdin=line + "\n")
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert "南都公益基金会" in {o["canonical"] for o in record["organizations"]}
    assert record["funding"][0]["amount"] == 3_000_000
    ev = _run(installed, tmp_path, "eval", "relations", "--dataset", "test", "--json")
    assert ev.returncode == 0, ev.stderr
    scores = json.loads(ev.stdout)
    assert scores["test/rules+model"]["funding"]["f1"] > 0.8
    assert scores["test/rules+model"]["partnerships"]["f1"] > 0.8
    probe = subprocess.run(
        [sys.executable, "-c", "import qun.models, qun.datasets; print(qun.models.__file__)"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(installed)),
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(probe.stdout.strip()).is_relative_to(installed)
