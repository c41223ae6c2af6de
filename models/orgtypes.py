"""Organization typing from the name alone: a scikit-learn classifier over character n-grams.

Used for names that neither the gazetteer nor a typed suffix rule can type (names found by the
statistical recognizer, English names without a telling head word). Trained by
`qun train types` on the gazetteer's names and aliases (all scripts and languages) and on the
typed CLUENER training spans (models.orgtypes_train). The shipped weights are a compressed
NumPy file (`models/data/orgtypes.npz`): no pickle, loaded offline.
"""

from __future__ import annotations

import functools
import json
import re
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
def vectorizer() -> Any:
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
        x = vectorizer().transform(names)
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
