"""Peak memory and time of `qun extract --documents` and `qun trends` on generated corpora.

For each size, a corpus is generated (benchmarks/corpus.py, fixed seed) into a fresh data
directory, then each step runs as its own `qun` process and its peak resident set size is read
from the kernel when the process ends (`wait4`, ru_maxrss). The acceptance figures are the ratio
of the largest to the smallest size's extraction peak (<= 1.2) and the largest peak (<= 1.5 GB).
The reference in the same run is the peak of a `qun` process that only imports the pipeline.

    .venv/bin/python benchmarks/bench_memory.py                      # 10,000 and 100,000
    .venv/bin/python benchmarks/bench_memory.py --sizes 2000,20000   # quicker

`make bench-100k` runs this at 10,000 and 100,000 documents with the trends step (about 45 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus  # noqa: E402
from benchmarks.common import save  # noqa: E402

PEAK_LIMIT_MB = 1536
RATIO_LIMIT = 1.2
QUN = Path(sys.executable).with_name("qun")


def measured(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command; its wall time, peak RSS (MB) and CPU time, from the kernel's accounting
    of that process (wait4), and the last line it printed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{stderr[-2000:]}")
    lines = stdout.strip().splitlines()
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "last_line": lines[-1] if lines else "",
    }


def qun(*args: str) -> list[str]:
    return [str(QUN), *args, "--quiet"]


def run_size(n: int, seed: int, work: Path, trends: bool) -> dict[str, Any]:
    data = work / f"corpus-{n}"
    shutil.rmtree(data, ignore_errors=True)
    # The corpus is built in a process of its own: the kernel counts a child's peak from the
    # memory of the process that started it (its high-water mark at the fork and exec), so a
    # benchmark process grown large by building 100,000 documents would inflate every peak
    # measured after it.
    made = subprocess.run(
        [
            sys.executable,
            str(Path(corpus.__file__)),
            "--docs",
            str(n),
            "--seed",
            str(seed),
            "--data-dir",
            str(data),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    built = json.loads(made.stdout.strip().splitlines()[-1])
    env = os.environ.copy()
    env.setdefault("PREFECT_HOME", str(work / "prefect-home"))
    result: dict[str, Any] = {**built}
    steps = [("extract", ["extract", "--documents"])] + ([("trends", ["trends"])] if trends else [])
    for name, args in steps:
        before = load()
        result[name] = measured(qun(*args, "--data-dir", str(data)), env)
        result[name]["counts"] = json.loads(result[name].pop("last_line"))
        result[name]["load_before"], result[name]["load_after"] = before, load()
    shutil.rmtree(data, ignore_errors=True)
    return result


def reference(work: Path) -> dict[str, Any]:
    """Peak of a process that imports the pipeline and does no work."""
    code = "import flows.pipeline, flows.cli"
    env = os.environ.copy()
    env.setdefault("PREFECT_HOME", str(work / "prefect-home"))
    got = measured([sys.executable, "-c", code], env)
    got.pop("last_line")
    return got


def load() -> dict[str, Any]:
    """Load average now: the machine may be shared; figures are read against it."""
    one, five, _ = os.getloadavg()
    return {"loadavg_1m": round(one, 2), "loadavg_5m": round(five, 2), "cpus": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10000,100000", help="corpus sizes, comma separated (%(default)s)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-trends", action="store_true", help="measure the extraction only")
    parser.add_argument("--name", default="memory", help="results file name (default: memory)")
    parser.add_argument("--work-dir", help="where corpora are built (default: a temporary dir)")
    parser.add_argument("--note", default="", help="recorded with the results")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmp:
        work = Path(tmp)
        result: dict[str, Any] = {"note": args.note, "sizes_run": sizes, "load_before": load()}
        result["reference_import"] = reference(work)
        runs = {}
        for n in sizes:
            runs[str(n)] = run_size(n, args.seed, work, trends=not args.no_trends)
            print(f"{n} documents: {json.dumps(runs[str(n)])}", flush=True)
        result["sizes"] = runs
        result["load_after"] = load()
    small, large = runs[str(sizes[0])], runs[str(sizes[-1])]
    ratio = large["extract"]["peak_rss_mb"] / small["extract"]["peak_rss_mb"]
    result["extract_peak_ratio"] = round(ratio, 3)
    result["extract_peak_max_mb"] = large["extract"]["peak_rss_mb"]
    result["limits"] = {"ratio": RATIO_LIMIT, "peak_mb": PEAK_LIMIT_MB}
    peak = result["extract_peak_max_mb"]
    result["within_limits"] = ratio <= RATIO_LIMIT and peak <= PEAK_LIMIT_MB
    path = save(args.name, result)
    print(f"{path}: ratio {ratio:.3f}, peak {result['extract_peak_max_mb']} MB")


if __name__ == "__main__":
    main()
