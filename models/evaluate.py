"""Scores for the extractors against gold annotations: precision, recall and F1."""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qun.models.concepts import find_concepts
from qun.models.orgs import find_orgs
from qun.models.relation_model import DEFAULT
from qun.models.textutil import simplify


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def score(gold: Iterable[Hashable], predicted: Iterable[Hashable]) -> Score:
    g, p = set(gold), set(predicted)
    return Score(len(g & p), len(p - g), len(g - p))


def _name_key(name: str) -> str:
    """Names compare in simplified script, case-folded, without a leading "the"."""
    return re.sub(r"^the\s+", "", simplify(name).casefold())


def evaluate_documents(docs: list[dict[str, Any]]) -> dict[str, Score]:
    """Document-level scores on annotated documents (`title`, `text`, `organizations`
    [{name}], `concepts` [id]): organizations as (doc, name) pairs, concepts as (doc, id)."""
    gold_o: set[tuple[str, str]] = set()
    pred_o: set[tuple[str, str]] = set()
    gold_c: set[tuple[str, str]] = set()
    pred_c: set[tuple[str, str]] = set()
    for doc in docs:
        text = f"{doc['title']}\n{doc['text']}"
        gold_o |= {(doc["id"], _name_key(o["name"])) for o in doc["organizations"]}
        pred_o |= {(doc["id"], _name_key(m.text)) for m in find_orgs(text)}
        gold_c |= {(doc["id"], c) for c in doc["concepts"]}
        pred_c |= {(doc["id"], c.concept) for c in find_concepts(text)}
    return {"organizations": score(gold_o, pred_o), "concepts": score(gold_c, pred_c)}


# ---- organization recognition on NER corpora -------------------------------------------------
CLUENER_LABEL_OF_TYPE = {"business": "company", "government": "government"}  # else organization


def cluener_label(org_type: str) -> str:
    return CLUENER_LABEL_OF_TYPE.get(org_type, "organization")


def evaluate_ner(examples: list[Any], predict: Any) -> dict[str, Score]:
    """Exact-span scores: `ORG` over all labels merged, and per source label when the corpus has
    several (a predicted span counts for a label when its predicted type maps to that label).

    `predict(texts) -> list[list[(start, end, type)]]`."""
    texts = [e.text for e in examples]
    predicted = predict(texts)
    gold_all, pred_all = set(), set()
    labels = sorted({s[2] for e in examples for s in e.spans})
    per_gold: dict[str, set[tuple[int, int, int]]] = {lab: set() for lab in labels}
    per_pred: dict[str, set[tuple[int, int, int]]] = {lab: set() for lab in labels}
    for i, (example, spans) in enumerate(zip(examples, predicted, strict=True)):
        for start, end, label in example.spans:
            gold_all.add((i, start, end))
            per_gold[label].add((i, start, end))
        for start, end, otype in spans:
            pred_all.add((i, start, end))
            label = cluener_label(otype) if len(labels) > 1 else labels[0] if labels else "ORG"
            if label in per_pred:
                per_pred[label].add((i, start, end))
    scores = {"ORG": score(gold_all, pred_all)}
    if len(labels) > 1:
        scores.update({lab: score(per_gold[lab], per_pred[lab]) for lab in labels})
    return scores


def rules_predictor(texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """Gazetteer and suffix rules only (no statistical model)."""
    return [[(m.start, m.end, m.type) for m in find_orgs(t, statistical=())] for t in texts]


def pipeline_predictor(statistical: Iterable[str]) -> Any:
    """What `qun extract --statistical ...` finds: gazetteer, rules and these recognizers."""
    chosen = frozenset(statistical)

    def run(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[(m.start, m.end, m.type) for m in find_orgs(t, statistical=chosen)] for t in texts]

    return run


# ---- funding, partnerships and concepts on the annotated passages ------------------------------
RELATIONS_EVAL = Path(__file__).with_name("data") / "relations_eval"


def load_relations_eval(split: str | None = None) -> list[dict[str, Any]]:
    """The annotated passages (all files of data/relations_eval), optionally one split; raises
    FileNotFoundError when the folder holds none (an install without its package data)."""
    files = sorted(RELATIONS_EVAL.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no annotated passages (*.jsonl) in {RELATIONS_EVAL}")
    rows = []
    for path in files:
        with path.open(encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return [r for r in rows if split in (None, "all", r["split"])]


def _key(name: str | None) -> str | None:
    return simplify(name).strip() if name else None


def evaluate_relations(passages: list[dict[str, Any]], model: Any = DEFAULT) -> dict[str, Any]:
    """Funding records (funder, amount, currency, and recipient where the gold names one),
    partnerships (unordered pair) with direction accuracy, and concepts (passage, id).
    `model`: the learned relation component combined with the rules (default: the shipped
    one, as extraction uses it; None: the rules alone)."""
    from qun.models.relations import find_funding, find_partnerships

    tp = fp = fn = 0
    ptp = pfp = pfn = 0
    direction_right = 0
    gold_c: set[tuple[str, str]] = set()
    pred_c: set[tuple[str, str]] = set()
    for p in passages:
        text, pid = p["text"], p["id"]
        orgs = find_orgs(text)
        predicted = [
            (
                _key(f.funder.text if f.funder else None),
                f.amount.value,
                f.amount.currency,
                _key(f.recipient.text if f.recipient else None),
            )
            for f in find_funding(text, orgs, model=model)
        ]
        remaining = list(dict.fromkeys(predicted))
        for g in p["funding"]:
            want = (_key(g["funder"]), float(g["amount"]), g["currency"], _key(g["recipient"]))
            match = next(
                (
                    r
                    for r in remaining
                    if r[:3] == want[:3] and (want[3] is None or r[3] == want[3])
                ),
                None,
            )
            if match is None:
                fn += 1
            else:
                tp += 1
                remaining.remove(match)
        fp += len(remaining)
        gold_p = {
            frozenset((_key(a), _key(b))): d
            for (a, b), d in ((q["orgs"], q["direction"]) for q in p["partnerships"])
        }
        pred_p = {
            frozenset((_key(q.a.text), _key(q.b.text))): q.direction
            for q in find_partnerships(text, orgs, model=model)
        }
        for pair, d in pred_p.items():
            if pair in gold_p:
                ptp += 1
                direction_right += gold_p[pair] == d
            else:
                pfp += 1
        pfn += len(set(gold_p) - set(pred_p))
        gold_c |= {(pid, c["concept"]) for c in p["concepts"]}
        pred_c |= {(pid, c.concept) for c in find_concepts(text)}
    return {
        "funding": Score(tp, fp, fn),
        "partnerships": Score(ptp, pfp, pfn),
        "direction_accuracy": direction_right / ptp if ptp else 0.0,
        "concepts": score(gold_c, pred_c),
    }


def model_predictor(nlp: Any, with_rules: bool) -> Any:
    """Predict with the statistical recognizer; with_rules adds gazetteer and suffix-rule names
    where the model found nothing (rules fill gaps, the model's spans win)."""
    from qun.models.gazetteer import load_gazetteer, resolve
    from qun.models.ner import predict
    from qun.models.orgs import classify_type

    gaz = load_gazetteer()

    def type_of(name: str) -> str:
        hit = resolve(name, gaz)
        return gaz.orgs[hit[0]].type if hit else classify_type(name)

    def run(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        out = []
        for text, spans in zip(texts, predict(nlp, texts), strict=True):
            typed = {(s, e): type_of(text[s:e]) for s, e in spans}
            for m in find_orgs(text, statistical=()):
                if (m.start, m.end) in typed:
                    typed[(m.start, m.end)] = m.type
                elif with_rules and not any(s < m.end and m.start < e for s, e in typed):
                    typed[(m.start, m.end)] = m.type
            out.append([(s, e, t) for (s, e), t in sorted(typed.items())])
        return out

    return run
