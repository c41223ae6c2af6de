"""What a derived step last computed from: a run with nothing new skips the step.

A step (the trend tables, the report) records a fingerprint of its inputs (each Parquet file's
path, size and modification time, and the versions and settings it depends on) and of the
outputs it wrote, in `<data-dir>/.qun-state/<step>.json`. When both fingerprints still match,
its outputs are what it would write again, and the recorded result is returned instead. Every
writer replaces files (a new modification time), so any change to an input, and any change or
removal of an output, makes the step run again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from qun.datasets import remote, store

STATE_DIR = ".qun-state"


def fingerprint(
    data_dir: Path | str, specs: list[store.DatasetSpec], files: list[Path] = (), **extra: Any
) -> str:
    """A hash of the datasets' files (path, size, mtime, inode) and of other files and settings."""
    digest = hashlib.sha256()
    fs = store.filesystem(data_dir)
    if fs is not None:  # a URL: its files' sizes and modification times, as the store lists them
        parts = [p for spec in specs for p in store.part_files(spec, data_dir)]
        for info in fs.get_file_info(parts):
            digest.update(f"{info.path}|{info.size}|{info.mtime_ns}\n".encode())
        specs = []
    paths = [p for spec in specs for p in store.part_files(spec, data_dir)] + list(files)
    for path in paths:
        try:
            st = path.stat()
        except FileNotFoundError:
            digest.update(f"{path}|missing\n".encode())
            continue
        digest.update(f"{path}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}\n".encode())
    digest.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _file(data_dir: Path | str, step: str) -> Path:
    return Path(remote.work_dir(data_dir)) / STATE_DIR / f"{step}.json"


def unchanged(data_dir: Path | str, step: str, inputs: str, outputs: str) -> Any | None:
    """The result `step` recorded, if it was computed from `inputs` and wrote `outputs` (both
    fingerprints as they are now); None when it must run."""
    try:
        state = json.loads(_file(data_dir, step).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if state.get("inputs") == inputs and state.get("outputs") == outputs:
        return state.get("result")
    return None


def record(data_dir: Path | str, step: str, inputs: str, outputs: str, result: Any) -> None:
    """Remember what `step` computed from (written to a temporary file and renamed)."""
    path = _file(data_dir, step)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(
        json.dumps({"inputs": inputs, "outputs": outputs, "result": result}, default=str), "utf-8"
    )
    os.replace(tmp, path)
