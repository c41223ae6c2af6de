"""Compare every dataset of two data folders row by row (as multisets of rows), leaving out the
columns that differ from run to run (times, run ids, archive offsets).

    python scripts/compare_datasets.py OLD_DATA NEW_DATA

Prints one line per dataset and exits 1 when any dataset differs.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds

# Columns that record when or in which run a row was made, not what it says.
RUN_COLUMNS = {
    "fetched_at",
    "extracted_at",
    "run_id",
    "start_time",
    "finish_time",
    "warc_file",
    "warc_offset",
    "elapsed_seconds",
    "computed_at",
    "generated_at",
    "learnt_at",
    # HTTP validators: the served files' modification times (a fresh clone's checkout time)
    "etag",
    "last_modified",
}


def rows(folder: Path) -> Counter[str]:
    if not folder.is_dir():
        return Counter()
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    table = table.drop_columns([c for c in table.column_names if c in RUN_COLUMNS])
    return Counter(
        json.dumps(r, default=str, sort_keys=True, ensure_ascii=False) for r in table.to_pylist()
    )


def main(old: Path, new: Path) -> int:
    names = sorted(
        {p.name for p in old.iterdir() if p.is_dir()}
        | {p.name for p in new.iterdir() if p.is_dir()}
    )
    differ = 0
    for name in names:
        if name.startswith(("_", ".")) or name in {"archive", "report"}:
            continue
        a, b = rows(old / name), rows(new / name)
        same = a == b
        differ += not same
        extra = sum((b - a).values())
        missing = sum((a - b).values())
        print(
            f"{name:22} {sum(a.values()):6} -> {sum(b.values()):6} rows  "
            + ("same" if same else f"DIFFERENT (+{extra} / -{missing})")
        )
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
