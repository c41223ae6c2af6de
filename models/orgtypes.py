"""Organization typing from the name alone: a scikit-learn classifier over character n-grams.

Used for names that neither the gazetteer nor a typed suffix rule can type (names found by the
statistical recognizer, English names without a telling head word). Trained by
`qun train types` on the gazetteer's names and aliases (all scripts and languages) and on the
typed CLUENER training spans (`company` -> business, `government` -> government,
`organization` -> the type its suffix implies, else other). The shipped weights are a compressed
NumPy file (`models/data/orgtypes.npz`): no pickle, loaded offline.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qun.models.textutil import simplify

MODEL_FILE = Path(__file__).with_name("data") / "orgtypes.npz"
N_FEATURES = 2**17
NGRAMS = (1, 4)


def _normalize(name: str) -> str:
    name = simplify(name.strip())
    name = re.sub(r"^the\s+", "", name, flags=re.I)
    return "^" + name.lower() + "$"  # boundary marks make the name's ending a feature


@functools.cache
def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char",
        ngram_range=NGRAMS,
        n_features=N_FEATURES,
        alternate_sign=False,
        norm="l2",
        preprocessor=_normalize,
        lowercase=False,
    )


@dataclass(frozen=True)
class TypeModel:
    classes: tuple[str, ...]
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray

    def probabilities(self, names: list[str]) -> np.ndarray:
        x = _vectorizer().transform(names)
        logits = np.asarray(x @ self.coef.T) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, names: list[str]) -> list[tuple[str, float]]:
        """(type, probability) per name."""
        if not names:
            return []
        p = self.probabilities(names)
        best = p.argmax(axis=1)
        return [(self.classes[i], float(p[k, i])) for k, i in enumerate(best)]


@functools.cache
def load(path: Path = MODEL_FILE) -> TypeModel | None:
    """The shipped classifier, or None when it has not been trained."""
    if not Path(path).exists():
        return None
    with np.load(path) as data:
        return TypeModel(
            tuple(json.loads(str(data["classes"]))),
            data["coef"].astype(np.float32),
            data["intercept"].astype(np.float32),
        )


# ---- training ---------------------------------------------------------------------------------
def gazetteer_examples() -> list[tuple[str, str, str]]:
    """(name, type, group) for every gazetteer name and alias; group = org_id."""
    from qun.models.orgs import load_gazetteer

    gaz = load_gazetteer()
    out = []
    for org in gaz.orgs.values():
        names = {org.name_zh, org.name_en}
        names |= {a for a, oid in gaz.aliases.items() if oid == org.org_id}
        out += [(n, org.type, org.org_id) for n in sorted(filter(None, names))]
    return out


def cluener_examples(name: str) -> list[tuple[str, str, str]]:
    """(span text, type, group) from a CLUENER split; group = the span text."""
    from qun.models.corpora import load
    from qun.models.orgs import suffix_type

    out = []
    for example in load(name):
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


def fit(examples: Iterable[tuple[str, str, str]], c: float = 8.0, seed: int = 0) -> TypeModel:
    from sklearn.linear_model import LogisticRegression

    rows = list(examples)
    x = _vectorizer().transform([r[0] for r in rows])
    y = [r[1] for r in rows]
    clf = LogisticRegression(C=c, max_iter=2000, random_state=seed)
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
    groups = sorted({g for _, _, g in gaz})
    random.Random(seed).shuffle(groups)
    fold_of = {g: i % folds for i, g in enumerate(groups)}
    right = total = 0
    for k in range(folds):
        test = [r for r in gaz if fold_of[r[2]] == k]
        model = fit([r for r in gaz if fold_of[r[2]] != k] + clu_train, seed=seed)
        right += round(accuracy(model, test) * len(test))
        total += len(test)
    model = fit(gaz + clu_train, seed=seed)
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
    load.cache_clear()
    return {
        "gazetteer_names": len(gaz),
        "cluener_train_spans": len(clu_train),
        "gazetteer_grouped_cv_accuracy": round(right / total, 4),
        "cluener_dev_accuracy": round(dev_acc, 4),
        "cluener_dev_spans": len(clu_dev),
        "cluener_dev_accuracy_by_type": per_label,
        "seed": seed,
    }
