"""A run killed with SIGKILL during extraction, then a rerun, ends with the same datasets as one
clean run: unique keys everywhere, no lost and no duplicated rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.compute as pc

from datasets import catalog, store
from datasets.read import validate
from tests.conftest import qun

VOLATILE = {
    "fetched_at",
    "extracted_at",
    "warc_file",
    "warc_offset",
    "run_id",
    "start_time",
    "finish_time",
}
RUN_SPECIFIC = {"crawl_runs"}


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


def extraction_unfinished(data_dir: Path) -> bool:
    """Documents are written but the extraction has not completed."""
    docs = store.count(catalog.BY_NAME["documents"], data_dir)
    log = catalog.BY_NAME["extraction_log"]
    done = store.read(log, data_dir, columns=["doc_id"]).num_rows if docs else 0
    return docs > 0 and done < docs and not (data_dir / "concept_trends").exists()


def test_sigkill_during_extraction_then_rerun_equals_a_clean_run(demo_dir: Path, tmp_path: Path):
    exe = Path(sys.executable).with_name("qun")
    data = None
    for attempt in range(6):  # aim the kill at the extraction step
        data = tmp_path / f"killed{attempt}"
        proc = subprocess.Popen(
            [str(exe), "run", "--demo", "--data-dir", str(data), "-q"],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if store.count(catalog.BY_NAME["documents"], data):
                time.sleep(0.05 * attempt)
                break
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if extraction_unfinished(data):
            break
    assert data is not None and extraction_unfinished(data), "never killed during extraction"
    qun("run", "--demo", "--data-dir", str(data), "-q")
    assert validate(data) == []
    assert snapshot(data) == snapshot(demo_dir)
    runs = store.read(catalog.BY_NAME["crawl_runs"], data)
    assert pc.count_distinct(runs["run_id"]).as_py() >= 1
