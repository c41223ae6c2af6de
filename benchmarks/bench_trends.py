"""Time and peak memory of `qun trends` as the corpus grows, beside a DuckDB reference query.

A base corpus of 10,000 generated documents (benchmarks/corpus.py, fixed seed) is extracted
once; for each size it is replicated (benchmarks/replicate.py: copies with new doc_ids, the
same dates, outlets and texts) and `qun trends` runs on it as its own process, its wall time
and peak resident set size read from the kernel (wait4). In the same run, for each size, a
process that only runs one DuckDB query over the Parquet files (the document counts per
concept, quarter and outlet, the heart of concept_trends) is the reference.

    .venv/bin/python benchmarks/bench_trends.py                          # 10,000 and 100,000
    .venv/bin/python benchmarks/bench_trends.py --sizes 10000,1000000 --name trends-1m
    .venv/bin/python benchmarks/bench_trends.py --qun OTHER/.venv/bin/qun --name trends-before

Acceptance: peak at 100,000 <= 1,000 MB and peak(largest)/peak(smallest) <= 1.5; at 1,000,000,
peak <= 1,500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus, replicate  # noqa: E402
from benchmarks.bench_memory import load, measured  # noqa: E402
from benchmarks.common import save  # noqa: E402

BASE_DOCS = 10_000
LIMITS = {"peak_mb_at_100k": 1000, "ratio": 1.5, "peak_mb_at_1m": 1500}

REFERENCE = """
import sys, duckdb
data = sys.argv[1]
con = duckdb.connect(config={"memory_limit": "256MB"})
rows = con.execute(f'''
    with d as (
        select doc_id, outlet, strftime(published_at, '%Y') || 'Q' || quarter(published_at) as q
        from read_parquet('{data}/documents/*/*.parquet')
        where duplicate_of is null and published_at is not null
    )
    select m.concept, d.q, d.outlet, count(distinct doc_id)
    from read_parquet('{data}/concept_mentions/*/*.parquet') m join d using (doc_id)
    group by all''').fetchall()
print(len(rows))
"""


def within_limits(largest: int, peak: float, ratio: float) -> bool:
    """The targets: at a million documents, the peak alone; up to 100,000, the peak and the
    ratio of the largest size's peak to the smallest's."""
    if largest >= 1_000_000:
        return peak <= LIMITS["peak_mb_at_1m"]
    return peak <= LIMITS["peak_mb_at_100k"] and ratio <= LIMITS["ratio"]


def base_corpus(work: Path, qun: Path, seed: int) -> Path:
    """The base corpus, generated and extracted (each in a process of its own)."""
    data = work / "base"
    subprocess.run(
        [sys.executable, corpus.__file__, "--docs", str(BASE_DOCS), "--seed", str(seed)]
        + ["--data-dir", str(data)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [str(qun), "extract", "--documents", "--data-dir", str(data), "--quiet"],
        check=True,
        capture_output=True,
    )
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="documents, multiples of 10,000")
    parser.add_argument("--base", type=Path, help="an extracted corpus of 10,000 documents")
    parser.add_argument("--qun", type=Path, default=Path(sys.executable).with_name("qun"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="trends", help="results file name (default: trends)")
    parser.add_argument("--work-dir", help="where corpora are built (default: a temporary dir)")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if any(n % BASE_DOCS for n in sizes):
        parser.error(f"sizes must be multiples of {BASE_DOCS:,}")
    env = os.environ.copy()
    result: dict[str, Any] = {"note": args.note, "qun": str(args.qun), "load_before": load()}
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmp:
        work = Path(tmp)
        env.setdefault("PREFECT_HOME", str(work / "prefect-home"))
        base = args.base or base_corpus(work, args.qun, args.seed)
        for n in sizes:
            data = work / f"corpus-{n}"
            # replicated in a process of its own: the kernel counts a child's peak from the
            # high-water mark of the process that starts it (benchmarks/bench_memory.py)
            made = subprocess.run(
                [sys.executable, replicate.__file__, str(base), str(data)]
                + ["--copies", str(n // BASE_DOCS)],
                check=True,
                capture_output=True,
                text=True,
            )
            copied = json.loads(made.stdout.strip().splitlines()[-1])
            run: dict[str, Any] = {"documents": copied["documents"], "rows_in": copied}
            before = load()
            got = measured([str(args.qun), "trends", "--data-dir", str(data), "--quiet"], env)
            got["counts"] = json.loads(got.pop("last_line"))
            run["trends"] = {**got, "load_before": before, "load_after": load()}
            ref = measured([sys.executable, "-c", REFERENCE, str(data)], env)
            ref["rows"] = int(ref.pop("last_line"))
            run["duckdb_reference"] = ref
            runs[str(n)] = run
            print(f"{n} documents: {json.dumps(run)}", flush=True)
            shutil.rmtree(data, ignore_errors=True)
    result["sizes"] = runs
    result["load_after"] = load()
    small, large = runs[str(sizes[0])], runs[str(sizes[-1])]
    peak = large["trends"]["peak_rss_mb"]
    result["peak_ratio"] = round(peak / small["trends"]["peak_rss_mb"], 3)
    result["limits"] = LIMITS
    result["within_limits"] = within_limits(sizes[-1], peak, result["peak_ratio"])
    path = save(args.name, result)
    print(f"{path}: peak {peak} MB at {sizes[-1]:,}, ratio {result['peak_ratio']}")


if __name__ == "__main__":
    main()
