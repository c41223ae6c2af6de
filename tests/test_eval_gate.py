"""Quality gate: extractor scores on the annotated sample documents stay above pinned floors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qun.models.evaluate import evaluate_documents
from tests.conftest import needs_shared_data

FLOORS = json.loads((Path(__file__).with_name("eval_floors.json")).read_text("utf-8"))


@pytest.fixture(scope="module")
def sample_scores(manifest: dict) -> dict:
    docs = [d for d in manifest["documents"] if d["allowed"]]
    return {k: v.as_dict() for k, v in evaluate_documents(docs).items()}


@pytest.mark.parametrize("task", sorted(FLOORS["sample"]))
def test_sample_scores_stay_above_floors(sample_scores: dict, task: str):
    for metric, floor in FLOORS["sample"][task].items():
        assert sample_scores[task][metric] >= floor, (task, metric, sample_scores[task])


def test_relations_test_split_stays_above_floors():
    from qun.models.evaluate import evaluate_relations, load_relations_eval

    result = evaluate_relations(load_relations_eval("test"))
    floors = FLOORS["relations_test"]
    assert result["direction_accuracy"] >= floors["direction_accuracy"]
    for task in ("funding", "partnerships", "concepts"):
        for metric, floor in floors[task].items():
            assert getattr(result[task], metric) >= floor, (task, metric, result[task].as_dict())


@pytest.mark.parametrize("key", sorted(k for k in FLOORS if k.startswith("relations_waiting")))
def test_waiting_passages_of_held_out_outlets_stay_above_floors(key: str):
    """The waiting passages (relations_real_pending) of held-out outlets, floors per group of
    batches (their passages' id prefixes): a batch added later has floors of its own."""
    from qun.models.evaluate import RELATIONS_REAL_PENDING, load_real_passages

    batches = set(FLOORS[key]["batches"])
    passages = load_real_passages("real-heldout", RELATIONS_REAL_PENDING)
    chosen = [p for p in passages if p["id"].rsplit("-", 1)[0] in batches]
    assert chosen, f"no waiting passages of {sorted(batches)}"
    _assert_floors(chosen, FLOORS[key])


def test_real_passages_of_held_out_outlets_stay_above_floors():
    """Passages from real pages of outlets that no model was trained on."""
    from qun.models.evaluate import load_real_passages

    _assert_floors(load_real_passages("real-heldout"), FLOORS["relations_real_heldout"])


def _assert_floors(passages: list, floors: dict) -> None:
    from qun.models.evaluate import evaluate_relations

    result = evaluate_relations(passages)
    assert result["direction_accuracy"] >= floors["direction_accuracy"]
    for task in ("organizations", "funding", "partnerships", "concepts"):
        for metric, floor in floors[task].items():
            assert getattr(result[task], metric) >= floor, (task, metric, result[task].as_dict())


# ---- the shipped Chinese recognizer on the public NER corpora (../shared/data) ----
def _ner_scores(dataset: str) -> dict:
    from qun.models import corpora
    from qun.models.evaluate import (
        crf_predictor,
        evaluate_ner,
        model_predictor,
        pipeline_predictor,
        rules_predictor,
    )
    from qun.models.ner import load
    from qun.models.orgs import STATISTICAL_DEFAULT

    nlp = load()
    assert nlp is not None, "models/data/ner_zh is shipped"
    examples = corpora.load(dataset)
    return {
        "rules": evaluate_ner(examples, rules_predictor)["ORG"],
        "default": evaluate_ner(examples, pipeline_predictor(STATISTICAL_DEFAULT))["ORG"],
        "crf": evaluate_ner(examples, crf_predictor)["ORG"],
        "model": evaluate_ner(examples, model_predictor(nlp, with_rules=False))["ORG"],
        "model+rules": evaluate_ner(examples, model_predictor(nlp, with_rules=True))["ORG"],
    }


@pytest.mark.slow
@needs_shared_data
@pytest.mark.parametrize("dataset", sorted(FLOORS["ner"]))
def test_ner_scores_stay_above_floors(dataset: str):
    scores = _ner_scores(dataset)
    for setup, floors in FLOORS["ner"][dataset].items():
        for metric, floor in floors.items():
            value = getattr(scores[setup], metric)
            assert value >= floor, (dataset, setup, metric, scores[setup].as_dict())


@needs_shared_data
def test_page_scores_stay_above_floors():
    """Main text and dates on the real pages of the page checks (both splits)."""
    from qun.models.corpora import shared_data
    from qun.spiders import pagecheck

    scores = pagecheck.evaluate(
        pagecheck.load_checks(), shared_data() / "real_pages" / "gne", extractors=("qun",)
    )
    for split, by_name in FLOORS["pages"].items():
        for name, floors in by_name.items():
            for metric, floor in floors.items():
                assert scores[split][name][metric] >= floor, (
                    split,
                    name,
                    metric,
                    scores[split][name],
                )
