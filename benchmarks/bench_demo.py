"""The whole `qun run --demo` (serve the sample site, crawl, extract, trends, report) into a fresh
data directory, as a user runs it; median wall time over repeated runs, next to the time to start
the `qun` command and import the pipeline, measured in the same run."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import median, save  # noqa: E402

QUN = Path(sys.executable).with_name("qun")


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs, starts = [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            data = Path(tmp) / f"data{i}"
            runs.append(timed([str(QUN), "run", "--demo", "--data-dir", str(data), "-q"]))
            starts.append(timed([sys.executable, "-c", "import flows.cli, flows.pipeline"]))
    result = {
        "repeat": args.repeat,
        "run_demo_s_median": median(runs),
        "run_demo_s_all": [round(r, 1) for r in runs],
        "reference_import_s": median(starts),
        "loadavg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    path = save("demo", result)
    print(f"{path}: {json.dumps(result)}")


if __name__ == "__main__":
    main()
