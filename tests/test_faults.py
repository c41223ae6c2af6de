"""Fault injection on the real `qun` command.

SIGKILL at random points (seeded) during the crawl, the ingest of its output, the extraction and
the trend tables' writes, 21 times, each followed by a rerun: every dataset stays readable after
each kill, and the final datasets equal one clean run's, row for row. And a write that the
operating system refuses (a file-size limit set on the `qun` process, as a full disk would) fails
the run with one clear line and leaves the datasets as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from qun.datasets import catalog, store
from qun.datasets.read import validate
from tests.conftest import qun

# crawls, runs or builds of the whole pipeline: left out by `make test-fast`
pytestmark = pytest.mark.e2e

VOLATILE = {
    "fetched_at",
    "extracted_at",
    "warc_file",
    "warc_offset",
    "run_id",
    "start_time",
    "finish_time",
    # when a template line was learnt, and on how many pages, depends on which crawl took in
    # which pages first (a kill changes that); the lines themselves do not
    "learnt_at",
    "pages",
}
RUN_SPECIFIC = {"crawl_runs"}
MENTIONS = ("org_mentions", "concept_mentions", "funding", "partnerships", "extraction_log")
TRENDS = [
    s.name
    for s in catalog.ALL
    if s.name not in MENTIONS
    and s.name not in ("documents", "crawl_errors", "crawl_runs", "template_lines")
]
QUN = Path(sys.executable).with_name("qun")


def snapshot(data_dir: Path) -> dict[str, list[str]]:
    out = {}
    for spec in catalog.ALL:
        if spec.name in RUN_SPECIFIC:
            continue
        table = store.read(spec, data_dir)
        table = table.drop_columns([c for c in table.column_names if c in VOLATILE])
        out[spec.name] = sorted(
            json.dumps(r, default=str, sort_keys=True, ensure_ascii=False)
            for r in table.to_pylist()
        )
    return out


def temp_files(data_dir: Path, names: list[str] | tuple[str, ...] | None = None) -> list[Path]:
    """Files a writer has not finished (they are never read)."""
    names = names or [s.name for s in catalog.ALL]
    return [p for n in names for p in (data_dir / n).glob("*/.*.tmp")]


def written_since(data_dir: Path, names: list[str] | tuple[str, ...], since: float) -> bool:
    """A writer is at work on one of these datasets: a temporary file, or a file newer than
    `since` (wall-clock time of the process start)."""
    for name in names:
        for part in (data_dir / name).glob("*/*parquet*"):
            try:
                if part.name.endswith(".tmp") or part.stat().st_mtime >= since:
                    return True
            except FileNotFoundError:
                continue
    return False


def kill_when(
    args: list[str], ready: Callable[[float], bool], rng: random.Random, extra: float
) -> bool:
    """Run `qun ARGS`; once ready(start_time) holds, wait a random time up to `extra` seconds,
    then SIGKILL its whole process group (spiders and Prefect's server included). True when it
    was still running, i.e. was killed."""
    started = time.time()
    proc = subprocess.Popen(
        [str(QUN), *args, "-q"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while proc.poll() is None and not ready(started):
        time.sleep(0.005)
    time.sleep(rng.uniform(0, extra))
    killed = proc.poll() is None
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    return killed


def test_sigkill_at_random_points_then_reruns_equal_a_clean_run(demo_dir: Path, tmp_path: Path):
    data = tmp_path / "data"
    d = str(data)
    rng = random.Random(8)
    kills: Counter[str] = Counter()

    def this_run(since: float) -> list[Path]:
        """The crawl folder of the process started at `since` (not those left by a kill)."""
        found = []
        for folder in (data / "_crawl").glob("*"):
            try:
                if folder.stat().st_mtime >= since:
                    found.append(folder)
            except FileNotFoundError:  # removed once ingested
                continue
        return found

    def spiders_started(since: float) -> bool:
        return any(list(r.glob("*/documents.jsonl")) for r in this_run(since))

    def spiders_finished(since: float) -> bool:
        return any(len(list(r.glob("*/stats.json"))) == 2 for r in this_run(since))

    def phase(name: str, args: list[str], ready, extra: float, wanted: int, reset=None) -> None:
        for _ in range(wanted * 4):
            if kills[name] == wanted:
                return
            if kill_when(args, ready, rng, extra):
                kills[name] += 1
                # files a killed writer left are reported (and removed by the next write)
                unsound = [p for p in validate(data) if "interrupted write" not in p]
                assert unsound == [], f"unreadable datasets after a kill during {name}"
            elif reset is not None:
                reset()  # the step finished before the kill: make it redo its work
        assert kills[name] == wanted, f"only {kills[name]} of {wanted} kills during {name}"

    crawl = ["crawl", "--demo", "--data-dir", d]
    phase("crawl", crawl, spiders_started, 2.5, 6)
    phase("ingest", crawl, spiders_finished, 0.3, 3)
    qun(*crawl, "-q")

    def redo_extraction() -> None:
        shutil.rmtree(data / "extraction_log", ignore_errors=True)

    extract = ["extract", "--documents", "--data-dir", d]
    phase("extract", extract, lambda t: written_since(data, MENTIONS, t), 0.05, 6, redo_extraction)
    qun(*extract, "-q")
    assert not temp_files(data, MENTIONS)

    def redo_trends() -> None:  # with nothing changed, `qun trends` would skip the step
        (data / ".qun-state" / "trends.json").unlink(missing_ok=True)

    trends = ["trends", "--data-dir", d]
    phase("trends", trends, lambda t: written_since(data, TRENDS, t), 0.3, 6, redo_trends)
    qun("run", "--demo", "--data-dir", d, "-q")
    assert sum(kills.values()) >= 20, kills
    assert validate(data) == []
    assert not temp_files(data)
    assert snapshot(data) == snapshot(demo_dir)


# ---- a write the operating system refuses ------------------------------------------------------
def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.parquet"))
    }


# Runs a command with a file-size limit; over it a write fails with EFBIG ("File too large"), as
# on a full disk, instead of the process being stopped by SIGXFSZ.
LIMITED = (
    "import os, resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]),) * 2); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)


@pytest.mark.parametrize(
    ("args", "prepare", "failing"),
    [
        (["trends"], None, "concept_trends"),
        (["extract", "--documents"], "extraction_log", "org_mentions"),
    ],
)
def test_a_refused_write_fails_the_run_in_one_line_and_keeps_the_datasets(
    demo_dir: Path, tmp_path: Path, prefect_harness, args, prepare, failing
):
    from prefect.settings import PREFECT_API_URL

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("archive", "report"))
    if prepare:  # as after an extractor upgrade: every document is to be extracted again
        shutil.rmtree(data / prepare)
    before, rows = digests(data), snapshot(data)
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}  # no local database
    proc = subprocess.run(
        [sys.executable, "-c", LIMITED, str(8 * 1024), str(QUN), *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1, proc.stderr
    # the run ends on one line that names the dataset and the cause (Prefect's own log of the
    # failed task may come before it)
    lines = proc.stderr.strip().splitlines()
    assert [x for x in lines if x.startswith("qun: error:")] == lines[-1:], proc.stderr
    assert lines[-1].startswith(f"qun: error: {failing}: cannot write ")
    assert "File too large" in lines[-1]
    failed = {k: v for k, v in before.items() if k.startswith(f"{failing}/")}
    assert failed and failed == {k: v for k, v in digests(data).items() if k in failed}
    assert not temp_files(data)
    assert validate(data) == []
    assert snapshot(data) == rows


# ---- the report: all its files published together ----------------------------------------------
def report_files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_whole(folder: Path) -> None:
    """Every file of the report is complete: charts are PNGs, tables parse, the workbook
    opens, the page ends, and no temporary file is left."""
    import csv

    import openpyxl

    assert (folder / "index.html").read_text("utf-8").rstrip().endswith("</html>")
    charts = list((folder / "charts").glob("*.png"))
    assert charts and all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in charts)
    for table in (folder / "tables").glob("*.csv"):
        with table.open(encoding="utf-8-sig") as fh:
            assert len(next(csv.reader(fh))) >= 1, table
    openpyxl.load_workbook(folder / "qun-tables.xlsx")
    json.loads((folder / "report.json").read_text("utf-8"))


def test_a_report_that_cannot_be_written_leaves_the_last_one_whole(demo_dir: Path, tmp_path: Path):
    """A full disk while writing the report left a 0-byte chart, a cut CSV or index.html.tmp."""
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("archive"))
    before = report_files(data / "report")
    assert before and "qun-tables.xlsx" in before
    # the page (its charts inline) is larger than this; charts and tables are written before it
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            LIMITED,
            str(200 * 1024),
            str(QUN),
            "report",
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr
    assert "File too large" in proc.stderr.strip().splitlines()[-1]
    assert report_files(data / "report") == before
    assert_whole(data / "report")


def test_sigkill_during_the_report_leaves_a_whole_report(demo_dir: Path, tmp_path: Path):
    """kill -9 during `qun report` left a 0-byte PNG (the other charts deleted), a 0-byte CSV,
    or a workbook that does not open."""
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("archive"))
    rng = random.Random(5)
    report = ["report", "--data-dir", str(data)]
    folder = data / "report"

    def staging(since: float) -> bool:
        """This run is writing the report's files (a kill's leftovers are older)."""
        for tmp in folder.rglob(".qun-*.tmp"):
            try:
                if tmp.stat().st_mtime >= since:
                    return True
            except FileNotFoundError:  # moved into place meanwhile
                return True
        return False

    killed = 0
    for _ in range(20):
        if killed == 4:
            break
        killed += kill_when(report, staging, rng, 0.15)
        assert_whole(folder)
    assert killed == 4, killed
    qun(*report, "-q")
    assert_whole(folder)
    assert not [p for p in folder.rglob(".qun-*")]  # the next report removes what a kill left


def _prefect_servers() -> set[int]:
    """Pids of running Prefect API servers (uvicorn serving prefect.server)."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if proc.name.isdigit() and b"uvicorn" in cmdline and b"prefect.server" in cmdline:
            found.add(int(proc.name))
    return found


def test_a_killed_command_leaves_no_server_behind(demo_dir: Path, tmp_path: Path):
    """kill -9 of `qun trends` left Prefect's temporary API server (uvicorn, ~210 MB) running
    for minutes: a terminal command now starts none."""
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("archive", "report"))
    before = _prefect_servers()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    proc = subprocess.Popen(
        [str(QUN), "trends", "--data-dir", str(data), "-q"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.time()
    while proc.poll() is None and not written_since(data, TRENDS, started):
        time.sleep(0.01)
    assert _prefect_servers() - before == set()  # none while it runs
    proc.kill()  # the command alone, as a scheduler's timeout would
    proc.wait()
    assert _prefect_servers() - before == set()
