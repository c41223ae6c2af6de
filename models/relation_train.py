"""Train the relation component (models/relation_model.py): candidate pairs from the passages of
models/data/relations_train, the real-train split of models/data/relations_real (passages
written from real pages of many outlets; the real-heldout outlets are never trained on) and
FinRE, scikit-learn logistic regression, weights written as
data/relation_model.json.gz. Deterministic: fixed seed, sorted inputs."""

from __future__ import annotations

import functools
import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from qun.models.amounts import find_amounts
from qun.models.corpora import shared_data
from qun.models.orgs import find_orgs
from qun.models.relation_model import (
    MODEL_PATH,
    TRAIN_DIR,
    Linear,
    Thresholds,
    amount_features,
    pair_features,
    role_features,
    rule_roles,
)
from qun.models.textutil import sentences, simplify

# FinRE relations read as a partnership or as money going from one company to the other.
FINRE_PARTNER = {"合作", "签约", "合资"}
FINRE_FUNDS = {"注资", "被注资", "帮助", "被帮助", "入股", "被入股", "增持", "被增持"}


@dataclass(frozen=True)
class Mention:
    """An organization span that the recognizer missed but the annotation names."""

    text: str
    start: int
    end: int
    org_id: str
    type: str


@dataclass(frozen=True)
class RelationTrainOptions:
    seed: int = 0
    c: float = 1.0  # inverse L2 strength
    finre_weight: float = 0.2  # weight of one FinRE pair against one annotated pair
    min_count: int = 2  # features seen fewer times are dropped


def load_passages(folder: Path = TRAIN_DIR) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def _k(name: str | None) -> str:
    return simplify(name or "").strip().lower()


def _same(mention_text: str, gold: str | None) -> bool:
    """A mention names a gold organization (exactly, or one contains the other)."""
    a, b = _k(mention_text), _k(gold)
    shortest = 2 if re.search(r"[\u3400-\u9fff]", a + b) else 3  # 晨光 names 晨光社区发展中心
    return bool(b) and (
        a == b or (len(b) >= shortest and b in a) or (len(a) >= shortest and a in b)
    )


def _named(a: Any, b: Any, pairs: list[tuple[str, str]]) -> bool:
    """Two mentions name the two organizations of one of the gold pairs, in either order."""
    return any(
        (_same(a.text, g0) and _same(b.text, g1)) or (_same(a.text, g1) and _same(b.text, g0))
        for g0, g1 in pairs
    )


def _mentions(text: str, gold_orgs: list[dict[str, str]]) -> list[Any]:
    """Recognized organizations plus annotated ones the recognizer missed."""
    found: list[Any] = list(find_orgs(text))
    taken = [(m.start, m.end) for m in found]
    for o in gold_orgs:
        start = text.find(o["text"])
        while start >= 0:
            end = start + len(o["text"])
            if not any(s < end and start < e for s, e in taken):
                found.append(Mention(o["text"], start, end, "g:" + _k(o["text"]), o["type"]))
                taken.append((start, end))
            start = text.find(o["text"], end)
    return sorted(found, key=lambda m: m.start)


def passage_examples(
    p: dict[str, Any],
) -> tuple[list[tuple[list[str], str]], list[tuple[list[str], str]], list[tuple[list[str], str]]]:
    """(amount, role, pair) examples of one annotated passage."""
    from qun.models.relations import find_partnerships, funding_candidates

    text = p["text"]
    norm = simplify(text)
    orgs = _mentions(text, p["organizations"])
    amounts = find_amounts(text)
    amount_ex, role_ex, pair_ex = [], [], []
    for cand in funding_candidates(norm, orgs, amounts):
        a = cand.amount
        gold = [
            g
            for g in p["funding"]
            if g["amount"] is not None
            and float(g["amount"]) == a.value
            and g["currency"] == a.currency
            and simplify(g["amount_text"]) in norm[max(0, a.start - 3) : a.end + 3]
        ]
        s_orgs = [o for o in orgs if cand.lo <= o.start and o.end <= cand.hi]
        feats = amount_features(norm, cand, s_orgs)
        amount_ex.append((feats, "funding" if gold else "none"))
        if not gold:
            continue
        rule_of = rule_roles(cand)
        trig = (cand.trigger.start(), cand.trigger.end()) if cand.trigger else None
        for o in s_orgs:
            if any(_same(o.text, g["funder"]) for g in gold):
                label = "funder"
            elif any(_same(o.text, g["recipient"]) for g in gold):
                label = "recipient"
            else:
                label = "none"
            feats = role_features(
                norm,
                cand.lo,
                cand.hi,
                o,
                (a.start, a.end),
                s_orgs,
                rule_of.get(id(o), "none"),
                trig,
            )
            role_ex.append((feats, label))
    rule_pairs = {
        frozenset((_k(q.a.text), _k(q.b.text)))
        for q in find_partnerships(text, model=None, lists=False)
    }
    gold_pairs = [tuple(q["orgs"]) for q in p["partnerships"]]
    gold_funds = [
        (g["funder"], g["recipient"]) for g in p["funding"] if g["funder"] and g["recipient"]
    ]

    for lo, hi in sentences(norm):
        s_orgs = [o for o in orgs if lo <= o.start and o.end <= hi]
        # a related pair named twice in a sentence (A与B合作…，A、B的名单…) is learnt from its
        # closest mentions only; the farther ones are neither partner nor none
        closest: dict[frozenset[str], tuple[int, Any, Any, str]] = {}
        for i, x in enumerate(s_orgs):
            for y in s_orgs[i + 1 :]:
                if x.org_id == y.org_id or _k(x.text) == _k(y.text):
                    continue
                if _named(x, y, gold_pairs):
                    label = "partner"
                elif _named(x, y, gold_funds):
                    label = "funds"
                else:
                    label = "none"
                key = frozenset((_k(x.text), _k(y.text)))
                if label == "none":
                    rule = key in rule_pairs
                    pair_ex.append((pair_features(norm, lo, hi, x, y, s_orgs, rule), label))
                elif key not in closest or y.start - x.end < closest[key][0]:
                    closest[key] = (y.start - x.end, x, y, label)  # first seen, first kept
        pair_ex += [
            (pair_features(norm, lo, hi, x, y, s_orgs, key in rule_pairs), label)
            for key, (_, x, y, label) in closest.items()
        ]
    return amount_ex, role_ex, pair_ex


def finre_examples(folder: Path) -> list[tuple[list[str], str]]:
    """(organization, organization) examples from FinRE's training file."""
    out = []
    with (folder / "train.txt").open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            head, tail, rel, sent = parts
            norm = simplify(sent)
            h, t = norm.find(simplify(head)), norm.find(simplify(tail))
            if h < 0 or t < 0 or head == tail:
                continue
            hm = Mention(head, h, h + len(head), "h", "")
            tm = Mention(tail, t, t + len(tail), "t", "")
            if hm.start < tm.end and tm.start < hm.end:
                continue
            x, y = sorted((hm, tm), key=lambda m: m.start)
            label = "partner" if rel in FINRE_PARTNER else "funds" if rel in FINRE_FUNDS else "none"
            out.append((pair_features(norm, 0, len(norm), x, y, [x, y], None), label))
    return out


def _fit(
    examples: list[tuple[list[str], str]], weights: list[float], opts: RelationTrainOptions
) -> Linear:
    from sklearn.feature_extraction import DictVectorizer

    from qun.models.fitting import logistic_regression

    counts = Counter(f for feats, _ in examples for f in set(feats))
    keep = {f for f, n in counts.items() if n >= opts.min_count}
    rows = [{f: 1.0 for f in feats if f in keep} for feats, _ in examples]
    labels = [label for _, label in examples]
    vec = DictVectorizer(sort=True)
    x = vec.fit_transform(rows)
    clf = logistic_regression(opts.c, opts.seed)
    clf.fit(x, labels, sample_weight=weights)
    classes = [str(c) for c in clf.classes_]
    coef = clf.coef_
    names = vec.get_feature_names_out()
    table = {}
    for j, name in enumerate(names):
        w = [round(float(v), 4) for v in coef[:, j]]
        if any(abs(v) >= 1e-3 for v in w):
            table[str(name)] = w
    return Linear(classes, [round(float(v), 4) for v in clf.intercept_], table)


PARTS = ("amount", "role", "pair")
PENDING_PARTS = Path(__file__).with_name("data") / "relations_real_pending" / "parts.yaml"


@functools.cache
def _pending_parts(path: Path = PENDING_PARTS) -> dict[str, tuple[str, ...]]:
    """Batch -> the parts its passages train (`parts.yaml`; none: it waits); checked when it
    loads."""
    data = yaml.safe_load(path.read_text("utf-8")) if path.is_file() else {}
    out = {}
    for batch, entry in (data or {}).items():
        parts = (entry or {}).get("parts")
        if not isinstance(parts, list) or set(parts) - set(PARTS) or not (entry or {}).get("why"):
            raise ValueError(f"{path}: {batch}: needs parts (of {PARTS}) and a why")
        out[str(batch)] = tuple(parts)
    return out


def training_examples(
    p: dict[str, Any],
) -> tuple[list[tuple[list[str], str]], list[tuple[list[str], str]], list[tuple[list[str], str]]]:
    """(amount, role, pair) examples a passage gives training: all of them, except where
    `parts.yaml` limits the waiting batch it belongs to (its id's prefix)."""
    parts = _pending_parts().get(str(p.get("id", "")).rsplit("-", 1)[0], PARTS)
    if not parts:
        return [], [], []  # a batch that waits: nothing to read
    examples = passage_examples(p)
    a, r, q = (ex if name in parts else [] for name, ex in zip(PARTS, examples, strict=True))
    return a, r, q


def real_train_passages() -> list[dict[str, Any]]:
    """The real-train passages, and the waiting ones whose outlet is a real-train outlet (the
    waiting ones of held-out outlets are never trained on)."""
    from qun.models.evaluate import RELATIONS_REAL_PENDING, load_real_passages

    return load_real_passages("real-train") + load_real_passages(
        "real-train", RELATIONS_REAL_PENDING
    )


def train(
    out: Path = MODEL_PATH,
    options: RelationTrainOptions | None = None,
    finre_dir: Path | None = None,
    thresholds: Thresholds | None = None,
    log: Callable[[str], None] = print,
    passages: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Fit the three models and write them (with thresholds and a summary) to `out`;
    `passages`: the annotated passages to train on (default: the project's and real-train's)."""
    opts = options or RelationTrainOptions()
    started = time.time()
    if passages is None:
        passages = load_passages() + real_train_passages()
    amount_ex, role_ex, pair_ex = [], [], []
    for p in passages:
        a, r, q = training_examples(p)
        amount_ex += a
        role_ex += r
        pair_ex += q
    folder = finre_dir or shared_data() / "finre"
    if not (folder / "train.txt").exists():
        raise FileNotFoundError(f"FinRE not found in {folder}")
    finre = finre_examples(folder)
    log(
        f"{len(passages)} passages: {len(amount_ex)} amounts, {len(role_ex)} (organization, "
        f"amount) pairs, {len(pair_ex)} organization pairs; FinRE {len(finre)} pairs"
    )
    pair_all = pair_ex + finre
    pair_w = [1.0] * len(pair_ex) + [opts.finre_weight] * len(finre)
    models = {
        "amount": _fit(amount_ex, [1.0] * len(amount_ex), opts),
        "role": _fit(role_ex, [1.0] * len(role_ex), opts),
        "pair": _fit(pair_all, pair_w, opts),
    }
    meta = {
        "options": asdict(opts),
        "passages": len(passages),
        "examples": {
            "amount": dict(Counter(lab for _, lab in amount_ex)),
            "role": dict(Counter(lab for _, lab in role_ex)),
            "pair": dict(Counter(lab for _, lab in pair_ex)),
            "finre": dict(Counter(lab for _, lab in finre)),
        },
        "features": {k: len(m.weights) for k, m in models.items()},
        "training_data": [
            "models/data/relations_train",
            "models/data/relations_real (real-train)",
            "models/data/relations_real_pending (passages of real-train outlets; parts.yaml)",
            "FinRE (thunlp/Chinese_NRE, train.txt)",
        ],
        "minutes": round((time.time() - started) / 60, 2),
    }
    data = {k: m.as_json() for k, m in models.items()}
    data["thresholds"] = asdict(thresholds or Thresholds())
    data["meta"] = {k: v for k, v in meta.items() if k != "minutes"}  # same run, same bytes
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with tmp.open("wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as fh:
        fh.write(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    tmp.replace(out)
    log(f"wrote {out} ({out.stat().st_size // 1024} KiB)")
    return meta
