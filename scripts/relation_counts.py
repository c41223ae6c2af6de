"""Per-passage counts of the relation scores, saved and compared across versions of the code.

Two versions of the extractor (a feature, a rule, a retrained component) score the same
passages; whether the difference between them is more than the passages' noise is read from a
paired bootstrap interval (models/evaluate.py: f1_difference), not from two F1 figures.

    python scripts/relation_counts.py save before.json --dataset real-heldout waiting-heldout
    ... change the code, retrain ...
    python scripts/relation_counts.py save after.json --dataset real-heldout waiting-heldout
    python scripts/relation_counts.py compare before.json after.json

`scripts/relation_thresholds.py --counts FILE` saves the out-of-fold counts of real-train the
same way (dataset `oof`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qun.models.evaluate import (
    RELATION_TASKS,
    evaluate_relations,
    f1_difference,
    f1_interval,
    relation_passages,
    summed,
)

DATASETS = ("dev", "test", "real-train", "real-heldout", "waiting-heldout")


def write_counts(path: Path, by_dataset: dict[str, list[tuple[str, dict]]]) -> None:
    """{dataset: {passage id: {task: [tp, fp, fn]}}} as JSON."""
    data = {
        name: {pid: {t: list(c) for t, c in row.items()} for pid, row in rows}
        for name, rows in by_dataset.items()
    }
    path.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")


def save(out: Path, names: list[str]) -> None:
    by_dataset = {}
    for name in names:
        ps = relation_passages(name)
        rows = evaluate_relations(ps)["per_passage"]
        by_dataset[name] = [(p["id"], r) for p, r in zip(ps, rows, strict=True)]
    write_counts(out, by_dataset)
    print(f"wrote {out}: {', '.join(f'{n} ({len(by_dataset[n])})' for n in names)}")


def compare(a_path: Path, b_path: Path) -> None:
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (a_path, b_path))
    for name in [n for n in a if n in b]:
        ids = sorted(set(a[name]) & set(b[name]))
        print(f"{name} ({len(ids)} passages): F1 of b, its 95% interval; b - a, paired interval")
        for task in RELATION_TASKS:
            ca = [tuple(a[name][i][task]) for i in ids]
            cb = [tuple(b[name][i][task]) for i in ids]
            d, lo, hi = f1_difference(ca, cb)
            blo, bhi = f1_interval(cb)
            f1 = summed(cb).f1
            mark = "  *" if lo > 0 or hi < 0 else ""
            gain = f"{d:+.3f} ({lo:+.3f} to {hi:+.3f})"
            print(f"  {task:<14}{f1:.3f} ({blo:.3f}–{bhi:.3f})   {gain}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("save", help="score datasets with the code and models as they are")
    s.add_argument("out", type=Path)
    s.add_argument("--dataset", nargs="+", choices=DATASETS, default=["real-heldout"])
    c = sub.add_parser("compare", help="paired differences of two saved files (b - a)")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.what == "save":
        save(args.out, args.dataset)
    else:
        compare(args.a, args.b)


if __name__ == "__main__":
    main()
