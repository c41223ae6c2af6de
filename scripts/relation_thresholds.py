"""Out-of-fold scores of the relation component's thresholds on the real-train passages.

The real-train passages are cut into three folds by outlet; for each fold the component is
trained on the project's passages, FinRE, the waiting passages of real-train outlets and the
other two folds, and scored on the held fold.
Thresholds given as NAME=VALUE replace the defaults of `Thresholds` (drop_amount, add_amount,
funder, co_funder, recipient, partner).

    python scripts/relation_thresholds.py drop_amount=0.3 recipient=0.3
    python scripts/relation_thresholds.py --counts oof.json partner=0.6
    python scripts/relation_thresholds.py --errors oof-errors.jsonl

Prints funding and partnership tp / fp / fn and F1 summed over the folds; `--counts FILE`
also saves each passage's counts (dataset `oof`) for `scripts/relation_counts.py compare`;
`--errors FILE` writes every record scored wrong or missed out of fold, with what went wrong
(as `qun eval relations --errors` does), and prints how many of each kind.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

from qun.models import relation_train as rt
from qun.models.corpora import shared_data
from qun.models.evaluate import (
    RELATIONS_REAL_PENDING,
    evaluate_relations,
    load_real_passages,
    outlet_of,
    write_errors,
)
from qun.models.relation_model import Thresholds, load_model

FOLDS = 3


def _fold(passage: dict) -> int:
    source = passage["source"]
    outlet = outlet_of(source.get("domain") or source.get("url") or "")
    return int(hashlib.md5(outlet.encode()).hexdigest(), 16) % FOLDS


def main(argv: list[str]) -> None:
    counts_path = errors_path = None
    while argv[:1] in (["--counts"], ["--errors"]):
        if argv[0] == "--counts":
            counts_path = Path(argv[1])
        else:
            errors_path = Path(argv[1])
        argv = argv[2:]
    errors: list[dict] = []
    changes = {k: float(v) for k, v in (a.split("=", 1) for a in argv)}
    thresholds = replace(Thresholds(), **changes)
    opts = rt.RelationTrainOptions()
    base, real = rt.load_passages(), load_real_passages("real-train")
    # the waiting passages of real-train outlets train every fold and are scored in none
    base += load_real_passages("real-train", RELATIONS_REAL_PENDING)
    examples = {p["id"]: rt.training_examples(p) for p in base + real}
    finre = rt.finre_examples(shared_data() / "finre")
    totals = {"funding": [0, 0, 0], "partnerships": [0, 0, 0]}
    rows: list[tuple[str, dict]] = []
    for k in range(FOLDS):
        train = base + [p for p in real if _fold(p) != k]
        amount, role, pair = ([e for p in train for e in examples[p["id"]][i]] for i in range(3))
        models = {
            "amount": rt._fit(amount, [1.0] * len(amount), opts),
            "role": rt._fit(role, [1.0] * len(role), opts),
            "pair": rt._fit(
                pair + finre, [1.0] * len(pair) + [opts.finre_weight] * len(finre), opts
            ),
        }
        data = {name: m.as_json() for name, m in models.items()}
        data |= {"thresholds": asdict(thresholds), "meta": {}}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"fold{k}.json.gz"
            with gzip.open(path, "wt", encoding="utf-8") as fh:
                json.dump(data, fh)
            held = [p for p in real if _fold(p) == k]
            scores = evaluate_relations(held, model=load_model(path), errors=errors)
        rows += [(p["id"], r) for p, r in zip(held, scores["per_passage"], strict=True)]
        for name, total in totals.items():
            s = scores[name]
            total[0], total[1], total[2] = total[0] + s.tp, total[1] + s.fp, total[2] + s.fn
    if counts_path is not None:
        from relation_counts import write_counts

        write_counts(counts_path, {"oof": rows})
    if errors_path is not None:
        for what, n in write_errors(errors_path, errors):
            print(f"{n:5d}  {what}")
    print(json.dumps(asdict(thresholds)))
    for name, (tp, fp, fn) in totals.items():
        print(f"{name}: tp {tp} fp {fp} fn {fn} F1 {2 * tp / (2 * tp + fp + fn):.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
