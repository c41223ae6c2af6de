"""Training of the organization type classifier (`qun train types`): on the gazetteer's names
and aliases (all scripts and languages), on the typed CLUENER training spans (`company` ->
business, `government` -> government, `organization` -> the type its suffix implies, else
other) and on the typed organizations of the real-train passages (models/data/relations_real
and the waiting passages of real-train outlets in models/data/relations_real_pending, repeated
REAL_REPEAT times: most of them are beyond the gazetteer, as users' text is); written
as the compressed NumPy file that models.orgtypes loads. The real-heldout passages' organizations
are never trained on: they measure the classifier.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from qun.models.corpora import load as load_corpus
from qun.models.gazetteer import load_gazetteer, suffix_type
from qun.models.orgtypes import MODEL_FILE, TypeModel, vectorizer
from qun.models.orgtypes import load as load_model


def gazetteer_examples() -> list[tuple[str, str, str]]:
    """(name, type, group) for every gazetteer name and alias; group = org_id."""
    gaz = load_gazetteer()
    out = []
    for org in gaz.orgs.values():
        names = {org.name_zh, org.name_en}
        names |= {a for a, oid in gaz.aliases.items() if oid == org.org_id}
        out += [(n, org.type, org.org_id) for n in sorted(filter(None, names))]
    return out


def cluener_examples(name: str) -> list[tuple[str, str, str]]:
    """(span text, type, group) from a CLUENER split; group = the span text."""
    out = []
    for example in load_corpus(name):
        for start, end, label in example.spans:
            text = example.text[start:end]
            if label == "company":
                otype = "business"
            elif label == "government":
                otype = "government"
            else:
                otype = suffix_type(text) or "other"
            out.append((text, otype, text))
    return out


REAL_REPEAT = 3


def real_examples(split: str, waiting: bool = False) -> list[tuple[str, str, str]]:
    """(name, type, group) of the typed organizations of a split of the real-derived passages;
    group = the name. `waiting`: those of the waiting passages of the split's outlets
    (models/data/relations_real_pending) instead."""
    from qun.models.evaluate import RELATIONS_REAL_PENDING, load_real_passages

    passages = load_real_passages(split, RELATIONS_REAL_PENDING if waiting else None)
    rows = {(o["text"], o["type"]) for p in passages for o in p["organizations"]}
    return [(name, otype, name) for name, otype in sorted(rows)]


def fit(examples: Iterable[tuple[str, str, str]], c: float = 8.0, seed: int = 0) -> TypeModel:
    from qun.models.fitting import logistic_regression

    rows = list(examples)
    x = vectorizer().transform([r[0] for r in rows])
    y = [r[1] for r in rows]
    clf = logistic_regression(c, seed)
    clf.fit(x, y)
    return TypeModel(
        tuple(clf.classes_),
        clf.coef_.astype(np.float32),
        clf.intercept_.astype(np.float32),
    )


def accuracy(model: TypeModel, rows: list[tuple[str, str, str]]) -> float:
    if not rows:
        return 0.0
    predicted = model.predict([r[0] for r in rows])
    return sum(p == r[1] for (p, _), r in zip(predicted, rows, strict=True)) / len(rows)


def train(out: Path = MODEL_FILE, seed: int = 0, folds: int = 5) -> dict[str, Any]:
    """Fit on all data and write `out`; return accuracies measured on held-out data:
    gazetteer by organization (grouped k-fold: no alias of a test organization is seen in
    training) and CLUENER dev spans (the model trained on CLUENER train + gazetteer)."""
    gaz = gazetteer_examples()
    clu_train = cluener_examples("cluener-train")
    clu_dev = cluener_examples("cluener-dev")
    real_train = (real_examples("real-train") + real_examples("real-train", True)) * REAL_REPEAT
    real_heldout = real_examples("real-heldout")
    waiting_heldout = real_examples("real-heldout", True)
    groups = sorted({g for _, _, g in gaz})
    random.Random(seed).shuffle(groups)
    fold_of = {g: i % folds for i, g in enumerate(groups)}
    right = total = 0
    for k in range(folds):
        test = [r for r in gaz if fold_of[r[2]] == k]
        model = fit([r for r in gaz if fold_of[r[2]] != k] + clu_train + real_train, seed=seed)
        right += round(accuracy(model, test) * len(test))
        total += len(test)
    model = fit(gaz + clu_train + real_train, seed=seed)
    dev_acc = accuracy(model, clu_dev)
    per_label: dict[str, float] = {}
    for otype in sorted({r[1] for r in clu_dev}):
        rows = [r for r in clu_dev if r[1] == otype]
        per_label[otype] = round(accuracy(model, rows), 4)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        classes=np.array(json.dumps(list(model.classes))),
        coef=model.coef.astype(np.float16),
        intercept=model.intercept,
    )
    load_model.cache_clear()
    return {
        "gazetteer_names": len(gaz),
        "cluener_train_spans": len(clu_train),
        "gazetteer_grouped_cv_accuracy": round(right / total, 4),
        "cluener_dev_accuracy": round(dev_acc, 4),
        "cluener_dev_spans": len(clu_dev),
        "cluener_dev_accuracy_by_type": per_label,
        "real_train_names": len(real_train) // REAL_REPEAT,
        "real_heldout_names": len(real_heldout),
        "real_heldout_accuracy": round(accuracy(model, real_heldout), 4),
        "waiting_heldout_names": len(waiting_heldout),
        "waiting_heldout_accuracy": round(accuracy(model, waiting_heldout), 4),
        "seed": seed,
    }
