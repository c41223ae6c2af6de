"""One writer per data folder: an exclusive lock on `<data-dir>/.qun.lock`, held by the process
(fcntl.flock, so the kernel releases it when the process dies, even by SIGKILL) and naming its
holder (pid, command and start time) for whoever is refused."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from qun.datasets import remote
from qun.datasets.store import DatasetError

LOCK_FILE = ".qun.lock"
_held: dict[Path, int] = {}  # lock file -> holds of this process (flows nest: run -> crawl)
_guard = threading.Lock()


class DataDirBusy(DatasetError):
    """Another qun process writes to this data folder; the message names it."""


@contextmanager
def hold(data_dir: Path | str, command: str) -> Iterator[Path]:
    """Hold the data folder's lock for the block (creating the folder); raise DataDirBusy at
    once when another process holds it. Re-entrant within a process."""
    root = Path(remote.work_dir(data_dir))  # a URL's lock is on this machine (datasets.remote)
    root.mkdir(parents=True, exist_ok=True)
    path = (root / LOCK_FILE).resolve()
    with _guard:
        nested = path in _held
        if nested:
            _held[path] += 1
    if nested:
        try:
            yield path
        finally:
            with _guard:
                _held[path] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirBusy(
                f"{data_dir} is in use by {_holder(path)}: wait for it to end"
            ) from None
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "command": command, "started": datetime.now(UTC).isoformat()}
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        with _guard:
            _held[path] = 1
        try:
            yield path
        finally:
            with _guard:
                del _held[path]
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text("utf-8"))
        started = info["started"][:19].replace("T", " ")
        return f"qun {info['command']} (pid {info['pid']}, started {started} UTC)"
    except (OSError, ValueError, KeyError):
        return "another qun process"
