"""Train the Chinese organization recognizer (`models/ner.py`) from the public corpora.

Reproducible: a fixed seed, a fixed number of update steps, evaluation every `eval_every` steps
on held-out slices of the *training* corpora (never on CLUENER dev or MSRA test), and the best
checkpoint (mean held-out F1) is kept. Run it with `qun train ner`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import spacy
from spacy.training import Example
from spacy.util import compounding, minibatch

from qun.models import corpora, ner


@dataclass(frozen=True)
class TrainOptions:
    """The training run; the defaults are the shipped model's."""

    steps: int = 3600
    eval_every: int = 300
    seed: int = 0
    dropout: float = 0.3
    learn_rate: float = 0.0005
    width: int = 128
    depth: int = 4
    window: int = 2
    hidden: int = 64
    features: tuple[str, ...] = ner.FEATURES
    sources: tuple[str, ...] = ("cluener-train", "msra-train", "resume-train", "weibo-train")
    upsample: dict[str, int] = field(default_factory=lambda: {"msra-train": 2})
    held_out: tuple[str, ...] = ("cluener-train", "msra-train")
    held_out_share: float = 0.05
    limit: int | None = None  # sentences per corpus (for quick runs)


def _prf(gold: list[set[tuple[int, int]]], pred: list[set[tuple[int, int]]]) -> float:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    n_pred, n_gold = sum(map(len, pred)), sum(map(len, gold))
    p, r = (tp / n_pred if n_pred else 0.0), (tp / n_gold if n_gold else 0.0)
    return 2 * p * r / (p + r) if p + r else 0.0


def train(
    out: Path, options: TrainOptions | None = None, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Train, keep the best checkpoint in `out`, and return what happened."""
    opts = options or TrainOptions()
    random.seed(opts.seed)
    spacy.util.fix_random_seed(opts.seed)
    rng = random.Random(opts.seed)
    train_set: list[corpora.Example] = []
    held: dict[str, list[corpora.Example]] = {}
    for name in opts.sources:
        data = corpora.load(name)[: opts.limit]
        rng.shuffle(data)
        if name in opts.held_out:
            k = max(20, int(len(data) * opts.held_out_share))
            held[name], data = data[:k], data[k:]
        train_set += data * opts.upsample.get(name, 1)
        log(f"{name}: {len(data)} sentences for training, {len(held.get(name, []))} held out")
    nlp = ner.build(opts.features, opts.width, opts.depth, opts.window, opts.hidden)
    examples = [
        Example.from_dict(
            nlp.make_doc(e.text), {"entities": [(s, t, "ORG") for s, t, _ in e.spans]}
        )
        for e in train_set
    ]
    optimizer = nlp.initialize(lambda: examples[:2000])
    optimizer.learn_rate = opts.learn_rate
    gold = {k: [{(s, t) for s, t, _ in e.spans} for e in v] for k, v in held.items()}
    best, best_step, step, started = -1.0, 0, 0, time.monotonic()
    sizes = compounding(8.0, 32.0, 1.0005)
    history = []
    while step < opts.steps:
        rng.shuffle(examples)
        for batch in minibatch(examples, size=sizes):
            nlp.update(batch, drop=opts.dropout, sgd=optimizer)
            step += 1
            if step % opts.eval_every == 0 or step == opts.steps:
                with nlp.use_params(optimizer.averages):
                    scores = {
                        k: _prf(
                            gold[k], [set(p) for p in ner.predict(nlp, [e.text for e in held[k]])]
                        )
                        for k in held
                    }
                    mean = sum(scores.values()) / len(scores)
                    if mean > best:
                        best, best_step = mean, step
                        nlp.to_disk(out)
                history.append({"step": step, **scores, "mean": round(mean, 4)})
                log(
                    f"step {step}: held-out F1 "
                    + ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
                    + (" *" if best_step == step else "")
                )
            if step >= opts.steps:
                break
    meta = {
        "options": {**asdict(opts), "features": list(opts.features)},
        "best_step": best_step,
        "held_out_mean_f1": round(best, 4),
        "minutes": round((time.monotonic() - started) / 60, 1),
        "history": history,
    }
    import json

    (Path(out) / "training.json").write_text(json.dumps(meta, indent=1), "utf-8")
    return meta


# ---- the CRF recognizer (`models/crf_ner.py`) ----------------------------------------------------
CRF_SOURCES = {"cluener-train": 1, "msra-train": 3, "resume-train": 1, "weibo-train": 1}
CRF_PASSAGE_UPSAMPLE = 3  # annotated passages of sector text, beside the public corpora
MERGE_PASSAGE_WEIGHT = 50.0  # the same passages in the decision's training, per corpus sentence


def _located(text: str, names: list[str]) -> list[tuple[int, int]]:
    """Every occurrence of the names in the text, longest names first, none overlapping."""
    taken = bytearray(len(text))
    spans = []
    for name in sorted(set(names), key=len, reverse=True):
        start = text.find(name)
        while start >= 0:
            end = start + len(name)
            if not any(taken[start:end]):
                spans.append((start, end))
                taken[start:end] = b"\x01" * len(name)
            start = text.find(name, end)
    return sorted(spans)


def sector_passages() -> dict[str, list[tuple[str, list[tuple[int, int]]]]]:
    """The Chinese annotated passages that training may use, as (simplified text, ORG spans):
    those written for qun (models/data/relations_train) and those from real pages of the
    real-train outlets; never the evaluation passages or the held-out outlets."""
    from qun.models.evaluate import load_real_passages
    from qun.models.relation_train import load_passages
    from qun.models.textutil import simplify

    out: dict[str, list[tuple[str, list[tuple[int, int]]]]] = {}
    for name, rows in (
        ("relations_train (zh)", load_passages()),
        ("real-train (zh)", load_real_passages("real-train")),
    ):
        out[name] = []
        for p in rows:
            if p["lang"].startswith("zh"):
                text = simplify(p["text"])
                names = [simplify(o["text"]) for o in p["organizations"]]
                out[name].append((text, _located(text, names)))
    return out


def crf_examples() -> tuple[list[tuple[str, list[tuple[int, int]]]], dict[str, int]]:
    """(simplified text, ORG spans) from the public corpora (CRF_SOURCES, with their upsampling)
    and the sector passages (upsampled CRF_PASSAGE_UPSAMPLE times); and how many sentences
    each source gave."""
    from qun.models.textutil import simplify

    examples: list[tuple[str, list[tuple[int, int]]]] = []
    counts: dict[str, int] = {}
    for name, times in CRF_SOURCES.items():
        data = [(simplify(e.text), [(s, t) for s, t, _ in e.spans]) for e in corpora.load(name)]
        examples += data * times
        counts[name] = len(data)
    for name, data in sector_passages().items():
        examples += data * CRF_PASSAGE_UPSAMPLE
        counts[name] = len(data)
    return examples, counts


def train_org_merge(path: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The decision over candidates (`models/orgmerge.py`), cross-fitted: two CRFs, each on one
    half of the CRF's training sentences, tag the other half; the candidates of every sentence
    (gazetteer, rules, CRF) are labelled by the gold spans and a logistic regression is fitted
    (a sector passage weighs MERGE_PASSAGE_WEIGHT corpus sentences)."""
    import tempfile

    from qun.models import crf_ner, orgmerge
    from qun.models.gazetteer import load_gazetteer
    from qun.models.orgs import _generic_zh_name, _known_and_rule_names

    examples, counts = crf_examples()
    copies: dict[tuple[str, tuple[tuple[int, int], ...]], int] = {}
    for text, spans in examples:  # upsampled copies are one sentence, trained on as many
        key = (text, tuple(spans))
        copies[key] = copies.get(key, 0) + 1
    sector = {t for data in sector_passages().values() for t, _ in data}
    unique = [(t, list(s), MERGE_PASSAGE_WEIGHT if t in sector else 1.0) for (t, s) in copies]
    with tempfile.TemporaryDirectory() as tmp:
        paths = (Path(tmp) / "fold0.crfsuite", Path(tmp) / "fold1.crfsuite")
        for k in (0, 1):
            log(f"CRF on fold {k} of {len(unique)} sentences")
            part = [
                (t, list(s))
                for (t, s), n in copies.items()
                if orgmerge.fold(t) == k
                for _ in range(n)
            ]
            crf_ner.train(part, paths[k])
        log("candidates of every sentence")
        gaz = load_gazetteer()
        xs, ys, ws = orgmerge.training_rows(
            unique,
            paths,
            lambda text, spans: _known_and_rule_names(text, text, gaz, spans),
            _generic_zh_name,
        )
    crf_ner.load.cache_clear()
    return orgmerge.fit(xs, ys, ws, path, sentences=counts)
