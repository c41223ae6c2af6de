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


RELATION_TASKS = ("organizations", "funding", "partnerships", "concepts")


def f1_interval(
    counts: list[tuple[int, int, int]], level: float = 0.95, draws: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """A percentile bootstrap interval of F1 over passages: `counts` holds each passage's
    (tp, fp, fn); the passages are drawn again with replacement `draws` times (seeded, so the
    same counts give the same interval)."""
    return _interval(_resampled_f1(counts, draws, seed), level)


def f1_difference(
    a: list[tuple[int, int, int]],
    b: list[tuple[int, int, int]],
    level: float = 0.95,
    draws: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """F1 of b minus F1 of a on the same passages (each list holds one (tp, fp, fn) per
    passage, in the same order), with a paired bootstrap interval: both are scored on the same
    draws of passages, so what the passages share does not widen it."""
    if len(a) != len(b):
        raise ValueError("paired counts need the same passages")
    delta = _resampled_f1(b, draws, seed) - _resampled_f1(a, draws, seed)
    lo, hi = _interval(delta, level)
    return summed(b).f1 - summed(a).f1, lo, hi


def summed(counts: list[tuple[int, int, int]]) -> Score:
    """The score of passages from their (tp, fp, fn) counts."""
    tp, fp, fn = (sum(c[k] for c in counts) for k in range(3))
    return Score(tp, fp, fn)


def _resampled_f1(counts: list[tuple[int, int, int]], draws: int, seed: int) -> Any:
    import numpy as np

    if not counts:
        return np.zeros(draws)
    rows = np.asarray(counts, dtype=np.int64).reshape(-1, 3)
    picks = np.random.default_rng(seed).integers(0, len(rows), size=(draws, len(rows)))
    tp, fp, fn = (rows[:, k][picks].sum(axis=1) for k in range(3))
    denominator = 2 * tp + fp + fn
    return np.where(tp > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


def _interval(values: Any, level: float) -> tuple[float, float]:
    import numpy as np

    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


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


def crf_predictor(texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """The CRF recognizer alone (spans typed by the name classifier)."""
    from qun.models import crf_ner
    from qun.models.orgs import classify_type

    out = []
    for text in texts:
        norm = simplify(text)
        spans = crf_ner.recognize(norm)
        out.append([(s, e, classify_type(norm[s:e])) for s, e, _ in spans])
    return out


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
    """Funders, receivers and partners compare as organizations do (`_name_key`)."""
    return _name_key(name.strip()) if name else None


def _roles_error(gold: tuple[Any, ...], pred: tuple[Any, ...], found: set[str]) -> str:
    """What differs between a gold funding record and a predicted one of the same sum."""
    for at, role in ((0, "giver"), (3, "receiver")):
        if pred[at] == gold[at] or (at == 3 and gold[at] is None):
            continue
        if pred[at] is None:
            return f"{role} not named"
        if gold[at] is None:
            return f"{role} named where the gold has none"
        if gold[at] not in found:
            overlap = gold[at] in pred[at] or pred[at] in gold[at]
            return f"{role}'s name read " + ("with other bounds" if overlap else "nowhere")
        return f"{role} another organization"
    return "the same gift read twice"  # its gold record matched another reading of it


def _funding_error(
    pid: str,
    kind: str,
    record: tuple[Any, ...],
    others: list[tuple[Any, ...]],
    found: set[str],
) -> dict[str, Any]:
    """A funding record scored wrong (`others`: the gold records) or missed (`others`: the
    predictions nothing matched), with what went wrong."""
    same = [o for o in others if o[1:3] == record[1:3]]
    if not same:
        what = "sum not taken as a gift" if kind == "missed" else "sum not a gift in the gold"
    elif kind == "missed":
        what = _roles_error(record, same[0], found)
    else:
        what = _roles_error(same[0], record, found)
    funder, amount, currency, recipient = record
    return {
        "passage": pid,
        "task": "funding",
        "kind": kind,
        "record": {
            "funder": funder,
            "amount": amount,
            "currency": currency,
            "recipient": recipient,
        },
        "error_kind": what,
    }


def _pair_error(pid: str, kind: str, pair: frozenset[Any], names: set[str]) -> dict[str, Any]:
    """A partnership missed (`names`: the organizations extraction found) or scored wrong
    (`names`: the gold's organizations), with what went wrong."""
    if kind == "missed":
        what = "pair not read" if pair <= names else "organization not found"
    else:
        what = (
            "no such partnership in the gold" if pair <= names else "organization not in the gold"
        )
    return {
        "passage": pid,
        "task": "partnerships",
        "kind": kind,
        "record": {"orgs": sorted(str(x) for x in pair)},
        "error_kind": what,
    }


def write_errors(path: Path, errors: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """`errors` (of evaluate_relations) to `path`, one JSON object a line; how many of each
    kind ("funding, missed: sum not taken as a gift"), most frequent first."""
    from collections import Counter

    with Path(path).open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in errors)
    kinds = Counter(f"{e['task']}, {e['kind']}: {e['error_kind']}" for e in errors)
    return kinds.most_common()


def evaluate_relations(
    passages: list[dict[str, Any]],
    model: Any = DEFAULT,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Organizations (passage, name), funding records (funder, amount, currency, and recipient
    where the gold names one; a gift whose sum the text does not give is not scored),
    partnerships (unordered pair) with direction accuracy, and concepts (passage, id).
    `model`: the learned relation component combined with the rules (default: the shipped
    one, as extraction uses it; None: the rules alone). `per_passage` holds each passage's
    (tp, fp, fn) per task, in the passages' order (for f1_interval and f1_difference).
    `errors`, when given, receives every funding and partnership record scored wrong or
    missed, with what went wrong (`error_kind`)."""
    from qun.models.relations import find_funding, find_partnerships

    tp = fp = fn = 0
    ptp = pfp = pfn = 0
    direction_right = 0
    gold_c: set[tuple[str, str]] = set()
    pred_c: set[tuple[str, str]] = set()
    gold_o: set[tuple[str, str]] = set()
    pred_o: set[tuple[str, str]] = set()
    per_passage: list[dict[str, tuple[int, int, int]]] = []
    for p in passages:
        before = (tp, fp, fn, ptp, pfp, pfn)
        text, pid = p["text"], p["id"]
        orgs = find_orgs(text)
        gold_here = {(pid, _name_key(o["text"])) for o in p["organizations"]}
        pred_here = {(pid, _name_key(m.text)) for m in orgs}
        found = {name for _, name in pred_here}  # the organizations extraction found
        here_o = score(gold_here, pred_here)
        gold_o |= gold_here
        pred_o |= pred_here
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
        # a gift whose sum the text does not give is not scored: a record of it is no error
        unsummed = {(_key(g["funder"]), _key(g["recipient"])) for g in p["funding"]}
        unsummed -= {
            (_key(g["funder"]), _key(g["recipient"]))
            for g in p["funding"]
            if g["amount"] is not None
        }
        remaining = [r for r in remaining if (r[0], r[3]) not in unsummed]
        missed: list[tuple[Any, ...]] = []
        wanted = [
            (_key(g["funder"]), float(g["amount"]), g["currency"], _key(g["recipient"]))
            for g in p["funding"]
            if g["amount"] is not None
        ]
        for want in wanted:
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
                missed.append(want)
            else:
                tp += 1
                remaining.remove(match)
        fp += len(remaining)
        if errors is not None:
            errors += [_funding_error(pid, "missed", g, remaining, found) for g in missed]
            # a wrong record is compared with the gold records nothing matched first
            errors += [_funding_error(pid, "wrong", r, missed + wanted, found) for r in remaining]
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
        if errors is not None:
            gold_names = {_key(o["text"]) for o in p["organizations"]}
            errors += [
                _pair_error(pid, "missed", pair, found) for pair in gold_p if pair not in pred_p
            ]
            errors += [
                _pair_error(pid, "wrong", pair, gold_names) for pair in pred_p if pair not in gold_p
            ]
        gold_here = {(pid, c["concept"]) for c in p["concepts"]}
        pred_here = {(pid, c.concept) for c in find_concepts(text)}
        here_c = score(gold_here, pred_here)
        gold_c |= gold_here
        pred_c |= pred_here
        per_passage.append(
            {
                "organizations": (here_o.tp, here_o.fp, here_o.fn),
                "funding": (tp - before[0], fp - before[1], fn - before[2]),
                "partnerships": (ptp - before[3], pfp - before[4], pfn - before[5]),
                "concepts": (here_c.tp, here_c.fp, here_c.fn),
            }
        )
    return {
        "organizations": score(gold_o, pred_o),
        "funding": Score(tp, fp, fn),
        "partnerships": Score(ptp, pfp, pfn),
        "direction_accuracy": direction_right / ptp if ptp else 0.0,
        "concepts": score(gold_c, pred_c),
        "per_passage": per_passage,
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


# ---- passages derived from real pages of many outlets, split by outlet ---------------------------
RELATIONS_REAL = Path(__file__).with_name("data") / "relations_real"
RELATIONS_REAL_PENDING = Path(__file__).with_name("data") / "relations_real_pending"
REAL_SPLITS = ("real-train", "real-heldout")
ORG_TYPES = {"foundation", "ngo", "business", "government", "academic", "media", "international"}
FUNDING_KINDS = {"grant", "donation", "sponsorship", "investment", "other"}
RELATIONS = {"agreement", "co_organize", "joint_initiative", "commission", "network", "other"}
# second-level labels under which a site's own name sits one level lower (gov.cn: each county)
_PUBLIC_SUFFIXES = {"com", "net", "org", "gov", "edu", "ac", "co", "idv"}


def relation_passages(name: str) -> list[dict[str, Any]]:
    """One named set of annotated passages: dev or test (written for qun), real-train or
    real-heldout (from real pages, split by outlet), or waiting-heldout (the waiting passages of
    held-out outlets, which nothing trains on)."""
    if name in ("dev", "test"):
        return load_relations_eval(name)
    if name == "waiting-heldout":
        return load_real_passages("real-heldout", RELATIONS_REAL_PENDING)
    if name in REAL_SPLITS:
        return load_real_passages(name)
    raise ValueError(f"unknown set of passages: {name}")


def outlet_of(domain_or_url: str) -> str:
    """The outlet a page belongs to: its registrable domain (news.sina.com.cn -> sina.com.cn,
    www.gd.gov.cn -> gd.gov.cn), the unit that the splits keep apart."""
    host = re.sub(r"^[a-z]+://", "", domain_or_url.strip().lower()).split("/")[0].split(":")[0]
    labels = [x for x in host.split(".") if x]
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _PUBLIC_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _within(span: Any, text: str) -> bool:
    return isinstance(span, str) and bool(span) and span in text


def check_passage(r: dict[str, Any], concept_ids: set[str]) -> list[str]:
    """What is wrong with one annotated passage (empty when nothing)."""
    text = r.get("text") or ""
    problems = []
    if not text or r.get("split") not in REAL_SPLITS:
        problems.append(f"needs text and a split in {REAL_SPLITS}")
    src = r.get("source") or {}
    if not (src.get("url") and src.get("domain") and src.get("outlet")):
        problems.append("source needs outlet, domain and url")
    names = {o.get("text") for o in r.get("organizations", [])}
    for o in r.get("organizations", []):
        if not _within(o.get("text"), text) or o.get("type") not in ORG_TYPES:
            problems.append(f"organization {o} not in the text or of an unknown type")
    for f in r.get("funding", []):
        for role in ("funder", "recipient"):
            if f.get(role) is not None and f[role] not in names:
                problems.append(f"{role} {f[role]!r} is not one of the organizations")
        if f.get("kind") not in FUNDING_KINDS:
            problems.append(f"funding {f.get('amount_text')!r}: unknown kind")
        if f.get("amount") is None and f.get("amount_text") is None:
            continue  # a gift whose sum the text does not give
        if not _within(f.get("amount_text"), text):
            problems.append(f"funding {f.get('amount_text')!r}: not in the text")
        if not isinstance(f.get("amount"), int | float) or not f.get("currency"):
            problems.append(f"funding {f.get('amount_text')!r} needs amount and currency")
    for q in r.get("partnerships", []):
        orgs = q.get("orgs") or []
        if len(orgs) != 2 or not set(orgs) <= names or q.get("relation") not in RELATIONS:
            problems.append(f"partnership {orgs}: two of the organizations, a known relation")
        if q.get("direction") not in ("horizontal", "vertical"):
            problems.append(f"partnership {orgs}: direction is horizontal or vertical")
    for c in r.get("concepts", []):
        if c.get("concept") not in concept_ids or not _within(c.get("text"), text):
            problems.append(f"concept {c}: unknown id or not in the text")
    return problems


def load_real_passages(
    split: str | None = None, folder: Path | None = None
) -> list[dict[str, Any]]:
    """Passages written from real pages (facts kept, sentences new), each with its source page
    (outlet, domain, title, url); `split` real-train or real-heldout, whose outlets are apart.
    Every passage is checked; a bad one is a ValueError naming its file and line. `folder`:
    RELATIONS_REAL, or RELATIONS_REAL_PENDING (passages not yet in it, each marked with the
    split its outlet takes); default RELATIONS_REAL."""
    from qun.models.concepts import load_lexicon

    folder = RELATIONS_REAL if folder is None else folder
    concept_ids = {c.id for c in load_lexicon()}
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no annotated passages (*.jsonl) in {folder}")
    rows = []
    for path in files:
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            r = json.loads(line)
            problems = check_passage(r, concept_ids)
            if problems:
                raise ValueError(f"{path}:{n}: {'; '.join(problems)}")
            rows.append(r)
    return [r for r in rows if split in (None, "all", "real", r["split"])]


def in_gazetteer(name: str) -> bool:
    """Whether a name is one of the gazetteer's names or aliases (exactly or normalized)."""
    from qun.models.gazetteer import resolve

    hit = resolve(name)
    return hit is not None and hit[1] in ("exact", "normalized")


def gazetteer_groups(passages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The passages whose organizations are all in the gazetteer, and those with at least one
    that is not (passages naming no organization are in neither)."""
    groups: dict[str, list[dict[str, Any]]] = {"in gazetteer": [], "beyond gazetteer": []}
    for p in passages:
        names = [o["text"] for o in p["organizations"]]
        if names:
            inside = all(in_gazetteer(n) for n in names)
            groups["in gazetteer" if inside else "beyond gazetteer"].append(p)
    return groups
