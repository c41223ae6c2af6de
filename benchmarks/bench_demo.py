"""The whole `qun run --demo` (serve the sample site, crawl, extract, trends, report) into a fresh
data directory, as a user runs it, and again with nothing new; median wall times over repeated
runs, next to the time to start the `qun` command and import the pipeline, measured in the same
run. And the fixed cost of Prefect: `qun trends` as a plain call (what a terminal run does), the
same step as a Prefect flow with its temporary API server (what it cost before), and with
nothing changed (the step is skipped)."""

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


# the trends step as a Prefect flow: a temporary local API server is started for the one run
PREFECT_TRENDS = (
    "import os, sys; from pathlib import Path; "
    "os.environ.setdefault('PREFECT_SERVER_ANALYTICS_ENABLED', 'false'); "
    "from qun.flows.pipeline import trends_flow; "
    "from prefect import Flow; Flow.__call__(trends_flow, Path(sys.argv[1]))"
)


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs, reruns, starts = [], [], []
    plain, prefect, unchanged = [], [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            data = Path(tmp) / f"data{i}"
            demo = [str(QUN), "run", "--demo", "--data-dir", str(data), "-q"]
            runs.append(timed(demo))
            reruns.append(timed(demo))
            starts.append(timed([sys.executable, "-c", "import qun.flows.cli, qun.flows.pipeline"]))
            state = data / ".qun-state" / "trends.json"
            state.unlink()
            plain.append(timed([str(QUN), "trends", "--data-dir", str(data)]))
            state.unlink()
            prefect.append(timed([sys.executable, "-c", PREFECT_TRENDS, str(data)]))
            unchanged.append(timed([str(QUN), "trends", "--data-dir", str(data)]))
    result = {
        "repeat": args.repeat,
        "run_demo_s_median": median(runs),
        "run_demo_s_all": [round(r, 1) for r in runs],
        "run_demo_nothing_new_s_median": median(reruns),
        "reference_import_s": median(starts),
        "trends_plain_s_median": median(plain),
        "trends_as_prefect_flow_s_median": median(prefect),
        "prefect_fixed_overhead_s": round(median(prefect) - median(plain), 3),
        "trends_nothing_changed_s_median": median(unchanged),
        "loadavg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    path = save("demo", result)
    print(f"{path}: {json.dumps(result)}")


if __name__ == "__main__":
    main()
