"""An extracted corpus replicated to a larger size, for the trend benchmarks.

Copy k of every document gets the doc_id `<doc_id>~k` (copy 0 keeps its own), and so do its
mentions, funding and partnership rows and extraction log entry; a reprint's copy points to the
same copy of its original. Dates, outlets and texts are kept, so every trend count grows by the
number of copies while the tables keep their shape: what grows is the work, as it would with
more documents. Files are streamed (store.scan, store.StreamWriter), so replicating to a million
documents takes little memory.

    .venv/bin/python benchmarks/replicate.py SRC DEST --copies 10
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

from qun.datasets import documents, extraction, mentions, store  # noqa: E402

SPECS = [documents.SPEC, mentions.LOG_SPEC, *extraction.MENTION_SPECS.values()]


def _renamed(table: pa.Table, column: str, k: int) -> pa.Table:
    if not k or column not in table.column_names:
        return table
    values = table[column]
    suffixed = pc.binary_join_element_wise(values, pa.scalar(f"~{k}"), "")
    return table.set_column(table.schema.get_field_index(column), column, suffixed)


def replicate(src: Path, dest: Path, copies: int) -> dict[str, int]:
    """Write `copies` copies of every dataset of `src` into `dest`; rows per dataset."""
    rows = {}
    for spec in SPECS:
        if not spec.path(src).exists():
            continue
        with store.StreamWriter(spec, dest, replace_all=True, row_group_bytes=8 << 20) as out:
            for batch in store.scan(spec, src, batch_rows=8192):
                for k in range(copies):
                    out.write(_renamed(_renamed(batch, "doc_id", k), "duplicate_of", k))
            rows[spec.name] = out.close().rows
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="an extracted data directory")
    parser.add_argument("dest", type=Path, help="where the replicated datasets go (replaced)")
    parser.add_argument("--copies", type=int, required=True)
    args = parser.parse_args()
    shutil.rmtree(args.dest, ignore_errors=True)
    start = time.perf_counter()
    rows = replicate(args.src, args.dest, args.copies)
    rows["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
