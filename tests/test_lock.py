"""One writer per data folder: a second run on the folder is refused at once, naming the
holder; the lock dies with its process; flows that nest take it once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from qun.datasets.lock import LOCK_FILE, DataDirBusy, hold
from tests.conftest import qun


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path):
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from qun.datasets.lock import hold\n"
            "with hold(sys.argv[1], 'run'):\n    print('held', flush=True); time.sleep(600)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(DataDirBusy, match=rf"in use by qun run \(pid {child.pid}, started "):
            with hold(tmp_path, "trends"):
                pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with hold(tmp_path, "trends") as path:  # the kernel released the killed holder's lock
        assert path.name == LOCK_FILE and f'"pid": {os.getpid()}' in path.read_text()


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path):
    with hold(tmp_path, "run"), hold(tmp_path, "crawl"):
        pass
    with hold(tmp_path, "trends"):  # released by the outer block
        pass


@pytest.mark.slow
def test_a_command_on_a_folder_in_use_fails_at_once_in_one_line(tmp_path: Path):
    (tmp_path / "documents").mkdir()
    with hold(tmp_path, "run"):
        proc = qun("trends", "--data-dir", str(tmp_path), check=False)
    assert proc.returncode == 1
    line = proc.stderr.strip()
    assert proc.stderr.splitlines() == [line]
    assert line.startswith(f"qun: error: {tmp_path} is in use by qun run (pid {os.getpid()}, ")
    assert line.endswith(" UTC): wait for it to end")
    assert qun("trends", "--data-dir", str(tmp_path), check=False).returncode == 0


@pytest.mark.parametrize(
    ("holder", "args"),
    [
        ("extract", ["trends"]),  # trends during extract read mentions half rewritten
        ("extract", ["extract", "--documents"]),
        ("trends", ["report"]),
        ("crawl", ["reextract"]),
    ],
)
def test_every_writing_command_waits_for_no_one_else(tmp_path: Path, holder: str, args):
    (tmp_path / "documents").mkdir()
    with hold(tmp_path, holder):
        proc = qun(*args, "--data-dir", str(tmp_path), check=False)
    assert proc.returncode == 1
    assert f"is in use by qun {holder} (pid {os.getpid()}, " in proc.stderr
