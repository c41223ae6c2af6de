"""Passages written from real pages of many outlets (models/data/relations_real): every one is
checked on load, each outlet is in one split only, and `qun eval relations` scores both splits
within and beyond the gazetteer."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from qun.models import evaluate
from qun.models.concepts import load_lexicon
from qun.models.evaluate import check_passage, load_real_passages, outlet_of

from .conftest import qun


def test_the_passages_load_and_keep_their_source_pages() -> None:
    rows = load_real_passages()
    assert len(rows) >= 1500
    assert {r["split"] for r in rows} == {"real-train", "real-heldout"}
    assert {r["lang"] for r in rows} == {"zh_hans", "zh_hant", "en"}
    assert all(r["source"]["url"].startswith("http") for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)


def test_no_outlet_is_in_both_splits() -> None:
    splits = defaultdict(set)
    for r in load_real_passages():
        splits[r["source"]["domain"]].add(r["split"])
    assert all(len(s) == 1 for s in splits.values())
    held = {d for d, s in splits.items() if s == {"real-heldout"}}
    assert len(held) >= 100 and len(splits) - len(held) >= 100


def test_waiting_passages_train_only_where_their_outlet_is_a_training_one() -> None:
    """The waiting passages (models/data/relations_real_pending) carry the split of their
    outlet, by the same rules as the others; the relation component trains on those of
    real-train outlets, so none of them may share a host or an outlet name with a held-out
    passage."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import real_passages

    from qun.models.relation_train import real_train_passages

    waiting = load_real_passages(None, evaluate.RELATIONS_REAL_PENDING)
    assert len(waiting) == 758  # 270, batch r5 (238) and batch r6 (250)
    assert {r["split"] for r in waiting} == {"real-train", "real-heldout"}
    existing = load_real_passages()
    again = [{k: v for k, v in r.items() if k != "split"} for r in waiting]
    assert real_passages.assign_splits(again, existing) == []
    assert [r["split"] for r in again] == [r["split"] for r in waiting]
    trained = {r["id"] for r in real_train_passages()}
    assert trained == {r["id"] for r in existing + waiting if r["split"] == "real-train"}


def test_outlets_are_registrable_domains() -> None:
    assert outlet_of("http://news.sina.com.cn/c/2020/x.shtml") == "sina.com.cn"
    assert outlet_of("www.gd.gov.cn") == "gd.gov.cn"
    assert outlet_of("https://www.zaobao.com.sg/news") == "zaobao.com.sg"
    assert outlet_of("https://www.bsr.org/en/blog") == "bsr.org"


def test_a_bad_passage_is_named_with_what_is_wrong() -> None:
    ids = {c.id for c in load_lexicon()}
    good = load_real_passages("real-heldout")[0]
    assert check_passage(good, ids) == []
    bad = json.loads(json.dumps(good))
    bad["organizations"].append({"text": "不在文中的机构", "type": "ngo"})
    bad["funding"] = [
        {
            "funder": "某公司",
            "recipient": None,
            "amount": 1,
            "currency": "CNY",
            "amount_text": "一元",
            "kind": "gift",
            "approximate": False,
        }
    ]
    bad["source"] = {}
    problems = check_passage(bad, ids)
    assert any("不在文中的机构" in p for p in problems)
    assert any("funder '某公司'" in p for p in problems)
    assert any("unknown kind" in p for p in problems)
    assert any("source needs" in p for p in problems)
    # a gift whose sum the text does not give is allowed
    unsummed = json.loads(json.dumps(good))
    names = [o["text"] for o in unsummed["organizations"]]
    if names:
        unsummed["funding"] = [
            {
                "funder": names[0],
                "recipient": None,
                "amount": None,
                "currency": None,
                "amount_text": None,
                "kind": "donation",
                "approximate": False,
            }
        ]
        assert check_passage(unsummed, ids) == []


def test_a_broken_file_is_an_error_naming_its_line(tmp_path, monkeypatch) -> None:
    row = load_real_passages("real-train")[0]
    broken = dict(row, text="")
    (tmp_path / "x.jsonl").write_text(
        json.dumps(row, ensure_ascii=False) + "\n" + json.dumps(broken, ensure_ascii=False) + "\n"
    )
    monkeypatch.setattr(evaluate, "RELATIONS_REAL", tmp_path)
    with pytest.raises(ValueError, match=r"x\.jsonl:2: "):
        load_real_passages()


def _one_gift(text: str, orgs: list[tuple[str, str]], gift: dict) -> dict:
    """A passage naming `orgs` (name, type) and one gift from the first to the second."""
    return {
        "id": "t",
        "text": text,
        "organizations": [{"text": name, "type": kind} for name, kind in orgs],
        "funding": [
            {"funder": orgs[0][0], "recipient": orgs[1][0], "kind": "donation"}
            | {"approximate": False}
            | gift
        ],
        "partnerships": [],
        "concepts": [],
    }


def test_an_unsummed_gift_is_neither_a_hit_nor_an_error() -> None:
    passage = _one_gift(
        "南都公益基金会向晨光社区发展中心捐赠了一批图书。",
        [("南都公益基金会", "foundation"), ("晨光社区发展中心", "ngo")],
        {"amount": None, "currency": None, "amount_text": None},
    )
    result = evaluate.evaluate_relations([passage])
    assert (result["funding"].tp, result["funding"].fn) == (0, 0)
    assert result["organizations"].f1 == 1.0


def test_errors_name_each_wrong_or_missed_record_and_what_went_wrong() -> None:
    """A gift read with the wrong giver is one wrong and one missed record, both "giver
    another organization"; a sum the gold does not count is "not a gift in the gold"; a gold
    pair extraction does not read between two names it finds is "pair not read"."""
    text = (
        "南都公益基金会与晨光社区发展中心签署合作协议。"
        "晨光社区发展中心向南都公益基金会捐赠50万元。"
        "爱德基金会向晨光社区发展中心捐赠20万元。"
    )
    orgs = [
        ("南都公益基金会", "foundation"),
        ("晨光社区发展中心", "ngo"),
        ("爱德基金会", "foundation"),
    ]
    passage = _one_gift(text, orgs, {"amount": 500000, "currency": "CNY", "amount_text": "50万元"})
    passage["partnerships"] = [
        {"orgs": ["爱德基金会", "南都公益基金会"], "relation": "other", "direction": "horizontal"}
    ]
    errors: list[dict] = []
    result = evaluate.evaluate_relations([passage], errors=errors)
    assert result["organizations"].f1 == 1.0
    funding = {
        (e["kind"], e["record"]["amount"], e["error_kind"])
        for e in errors
        if e["task"] == "funding"
    }
    assert funding == {
        ("missed", 500000.0, "giver another organization"),
        ("wrong", 500000.0, "giver another organization"),
        ("wrong", 200000.0, "sum not a gift in the gold"),
    }
    assert (result["funding"].fp, result["funding"].fn) == (2, 1)
    pairs = [e for e in errors if e["task"] == "partnerships"]
    kinds = {(e["kind"], tuple(e["record"]["orgs"]), e["error_kind"]) for e in pairs}
    assert ("missed", ("南都公益基金会", "爱德基金会"), "pair not read") in kinds
    assert len(pairs) == result["partnerships"].fp + result["partnerships"].fn
    assert all(e["passage"] == "t" for e in errors)


def test_eval_relations_writes_errors_but_never_for_held_out_passages(tmp_path) -> None:
    out = tmp_path / "errors.jsonl"
    run = qun("eval", "relations", "--dataset", "test", "--errors", str(out), "--json")
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    scores = json.loads(run.stdout)["test/rules+model"]
    wrong = sum(scores[t]["fp"] + scores[t]["fn"] for t in ("funding", "partnerships"))
    assert len(rows) == wrong and {r["split"] for r in rows} <= {"test"}
    for name in ("real-heldout", "waiting-heldout", "real"):
        bad = qun("eval", "relations", "--dataset", name, "--errors", str(out), check=False)
        assert bad.returncode == 1 and "scores only" in bad.stderr


def test_eval_relations_scores_the_held_out_outlets() -> None:
    out = json.loads(qun("eval", "relations", "--dataset", "real-heldout", "--json").stdout)
    assert set(out) == {
        f"real-heldout{group}/{setup}"
        for group in ("", ", in gazetteer", ", beyond gazetteer")
        for setup in ("rules", "rules+model")
    }
    scores = out["real-heldout/rules+model"]
    assert set(scores) == {
        "organizations",
        "funding",
        "partnerships",
        "concepts",
        "direction_accuracy",
        "f1_gain_over_rules",
    }
    for task in ("organizations", "funding", "partnerships", "concepts"):
        lo, hi = scores[task]["f1_ci"]
        assert lo <= scores[task]["f1"] <= hi and hi - lo < 0.3
    gain, lo, hi = scores["f1_gain_over_rules"]["funding"]
    rules = out["real-heldout/rules"]["funding"]["f1"]
    assert round(gain, 3) == round(scores["funding"]["f1"] - rules, 3) and lo <= gain <= hi
    bad = qun("eval", "relations", "--dataset", "nope", check=False)
    assert bad.returncode == 1 and "real-heldout" in bad.stderr


def _script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "real_passages.py"
    spec = importlib.util.spec_from_file_location("real_passages", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_added_passages_take_their_outlet_s_split_and_never_join_two() -> None:
    script = _script()

    def row(domain: str, outlet: str, split: str = "") -> dict:
        return {"source": {"domain": domain, "outlet": outlet}, "split": split}

    existing = [row("a.cn", "甲报", "real-heldout"), row("b.cn", "乙报", "real-train")]
    new = [
        row("a.cn", "甲报"),  # an outlet already held out
        row("mirror.com", "乙报"),  # a reprint of a training outlet on another host
        row("c.cn", "丙报"),  # a new outlet: by hash
        row("b.cn", "甲报"),  # would join a held-out and a training outlet
    ]
    left_out = script.assign_splits(new, existing)
    assert [r["split"] for r in new[:2]] == ["real-heldout", "real-train"]
    assert new[2]["split"] in ("real-heldout", "real-train")
    assert left_out == [new[3]]
    assert [r["split"] for r in existing] == ["real-heldout", "real-train"]


def test_givers_and_partners_compare_as_organizations_do() -> None:
    """A funder written "The Croucher Foundation" in the gold is the organization the
    organizations score already matches without its article."""
    passage = _one_gift(
        "The Croucher Foundation donated HK$1,250,000 to the Department of Chemistry.",
        [("The Croucher Foundation", "foundation"), ("Department of Chemistry", "academic")],
        {"amount": 1250000, "currency": "HKD", "amount_text": "HK$1,250,000"},
    )
    result = evaluate.evaluate_relations([passage])
    assert result["organizations"].f1 == 1.0
    assert (result["funding"].tp, result["funding"].fp, result["funding"].fn) == (1, 0, 0)


def test_a_waiting_batch_trains_only_the_parts_its_entry_names(tmp_path) -> None:
    """`relations_real_pending/parts.yaml`: r5 trains the partnership part only, r6 nothing; a
    batch not listed trains all three; a broken entry stops the load with its batch."""
    from qun.models import relation_train as rt

    waiting = load_real_passages("real-train", evaluate.RELATIONS_REAL_PENDING)
    r5 = next(p for p in waiting if p["id"].startswith("r5-") and p["partnerships"])
    amount, role, pair = rt.training_examples(r5)
    assert amount == [] and role == [] and pair == rt.passage_examples(r5)[2] != []
    r6 = next(p for p in waiting if p["id"].startswith("r6-") and p["funding"])
    assert rt.training_examples(r6) == ([], [], [])  # r6 waits
    r4 = next(p for p in waiting if p["id"].startswith("r4-") and p["funding"])
    assert rt.training_examples(r4) == rt.passage_examples(r4)
    bad = tmp_path / "parts.yaml"
    bad.write_text("r9:\n  parts: [amount, prices]\n  why: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="r9: needs parts"):
        rt._pending_parts(bad)


def test_per_passage_counts_add_up_to_the_scores() -> None:
    """`per_passage` holds each passage's (tp, fp, fn) per task; summed they are the scores."""
    passages = evaluate.load_relations_eval("test")[:40]
    result = evaluate.evaluate_relations(passages)
    rows = result["per_passage"]
    assert len(rows) == len(passages)
    for task in evaluate.RELATION_TASKS:
        s = result[task]
        assert tuple(sum(r[task][k] for r in rows) for k in range(3)) == (s.tp, s.fp, s.fn)


def test_bootstrap_intervals_hold_the_score_and_narrow_with_more_passages() -> None:
    # half the passages found their one record, the other half one wrong record each
    counts = [(1, 0, 0)] * 30 + [(0, 1, 1)] * 30
    lo, hi = evaluate.f1_interval(counts)
    assert lo < 0.5 < hi and 0.2 < hi - lo < 0.5
    assert evaluate.f1_interval(counts) == (lo, hi)  # seeded: the same counts, the same interval
    lo4, hi4 = evaluate.f1_interval(counts * 4)
    assert lo < lo4 < 0.5 < hi4 < hi
    assert evaluate.f1_interval([(2, 0, 0)] * 5) == (1.0, 1.0)


def test_a_paired_difference_sees_a_gain_the_two_intervals_would_hide() -> None:
    """b finds the record a misses in 8 of 60 passages and is the same elsewhere: the two F1
    intervals overlap, the paired interval of the difference stays above zero."""
    a = [(1, 0, 0)] * 26 + [(0, 1, 1)] * 34
    b = [(1, 0, 0)] * 34 + [(0, 1, 1)] * 26
    assert evaluate.f1_interval(a)[1] > evaluate.f1_interval(b)[0]
    d, lo, hi = evaluate.f1_difference(a, b)
    assert round(d, 4) == round(34 / 60 - 26 / 60, 4) and 0 < lo < d < hi
    assert evaluate.f1_difference(a, a) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="same passages"):
        evaluate.f1_difference(a, b[:-1])


def test_relation_counts_compare_two_versions_passage_by_passage(tmp_path) -> None:
    """scripts/relation_counts.py: counts saved by two versions compare on the passages both
    scored, with the paired interval; a difference outside the noise is marked."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "relation_counts.py"
    zero = {"organizations": [1, 0, 0], "concepts": [0, 0, 0]}
    before = {
        "x": {f"p{i}": zero | {"funding": [0, 1, 1], "partnerships": [1, 0, 0]} for i in range(40)}
    }
    after = {
        "x": {f"p{i}": zero | {"funding": [1, 0, 0], "partnerships": [1, 0, 0]} for i in range(40)}
    }
    after["x"]["extra"] = after["x"]["p0"]  # scored by one version only: left out
    (tmp_path / "a.json").write_text(json.dumps(before))
    (tmp_path / "b.json").write_text(json.dumps(after))
    out = subprocess.run(
        [
            sys.executable,
            str(script),
            "compare",
            str(tmp_path / "a.json"),
            str(tmp_path / "b.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "x (40 passages)" in out
    funding = next(line for line in out.splitlines() if line.strip().startswith("funding"))
    assert "+1.000 (+1.000 to +1.000)  *" in funding
    partnerships = next(line for line in out.splitlines() if "partnerships" in line)
    assert "+0.000" in partnerships and "*" not in partnerships


def test_a_related_pair_named_twice_in_a_sentence_is_learnt_from_its_closest_mentions() -> None:
    """南都公益基金会 partners 晨光社区发展中心; the sentence names the centre again in a list
    further on. The partnership part learns "partner" from the two close mentions only; the
    far pair is neither partner nor none; unrelated pairs stay none."""
    from qun.models import relation_train as rt

    text = (
        "南都公益基金会与晨光社区发展中心签署合作协议，确定60名学生为资助对象，"
        "名单在区民政局、晨光社区发展中心网站同步公示。"
    )
    passage = {
        "id": "t",
        "text": text,
        "organizations": [
            {"text": name, "type": kind}
            for name, kind in (
                ("南都公益基金会", "foundation"),
                ("晨光社区发展中心", "ngo"),
                ("区民政局", "government"),
            )
        ],
        "funding": [],
        "partnerships": [{"orgs": ["南都公益基金会", "晨光社区发展中心"], "kind": "horizontal"}],
        "concepts": [],
    }
    pairs = rt.passage_examples(passage)[2]
    # 基金会–中心 (close), 基金会–民政局, 中心–民政局, 民政局–中心; not 基金会–the far 中心
    assert sorted(label for _, label in pairs) == ["none", "none", "none", "partner"]
    partner = next(feats for feats, label in pairs if label == "partner")
    assert "dist=1" in partner and "b:与" in partner  # 与: the close pair


def test_floor_noise_lowers_relation_floors_to_the_lowest_retraining_and_never_raises(tmp_path):
    """scripts/floor_noise.py --write: a floor above the lowest score of the retrainings goes
    down to it (rounded down), one under it stays; the run is recorded in the file."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "floor_noise.py"
    spec = importlib.util.spec_from_file_location("floor_noise", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    floors = tmp_path / "floors.json"
    floors.write_text(
        json.dumps(
            {
                "sample": {"organizations": {"f1": 0.91}},
                "relations_test": {
                    "funding": {"f1": 0.93},
                    "partnerships": {"f1": 0.95},
                    "direction_accuracy": 0.95,
                },
            }
        )
    )
    runs = [
        {"funding": 0.94, "partnerships": 0.9456, "direction_accuracy": 0.97, "concepts": 1.0},
        {"funding": 0.935, "partnerships": 0.956, "direction_accuracy": 0.96, "concepts": 1.0},
    ]
    noise = {"share": 0.01, "seeds": {str(i): {"relations_test": r} for i, r in enumerate(runs)}}
    changed = module.write_floors(noise, floors)
    written = json.loads(floors.read_text())
    assert changed == ["relations_test partnerships 0.95 -> 0.945"]
    assert written["relations_test"]["partnerships"] == {"f1": 0.945}
    assert written["relations_test"]["funding"] == {"f1": 0.93}  # never raised
    assert written["relations_test"]["direction_accuracy"] == 0.95
    assert written["sample"] == {"organizations": {"f1": 0.91}}
    assert written["_noise"]["seeds"] == [0, 1]
