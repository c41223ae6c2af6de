"""Amounts, funding, partnerships and the `qun extract` contract (validated by its JSON Schema)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from qun.models.amounts import find_amounts, parse_zh_number, to_cny
from qun.models.extract import extract
from qun.models.relations import find_funding, find_partnerships
from tests.conftest import needs_shared_data, qun

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "models/data/extract.schema.json").read_text("utf-8")
)


@pytest.mark.parametrize(
    ("text", "value", "currency", "approximate"),
    [
        ("3000万元", 3e7, "CNY", False),
        ("1.2亿元", 1.2e8, "CNY", False),
        ("五百万元", 5e6, "CNY", False),
        ("港幣5,000萬元", 5e7, "HKD", False),
        ("200万美元", 2e6, "USD", False),
        ("RMB 10 million", 1e7, "CNY", False),
        ("$1.5 million", 1.5e6, "USD", False),
        ("45 million yuan", 4.5e7, "CNY", False),
        ("HK$2,000,000", 2e6, "HKD", False),
        ("€300,000", 3e5, "EUR", False),
        ("¥50万", 5e5, "CNY", False),
        ("逾千万元", 1e7, "CNY", True),
        ("近500万元", 5e6, "CNY", True),
        ("超过300万元", 3e6, "CNY", True),
        ("100多万元", 1e6, "CNY", True),
        ("一亿二千万元", 1.2e8, "CNY", False),
        ("新台幣200萬元", 2e6, "TWD", False),
        ("more than $1 million", 1e6, "USD", True),
        ("80万元人民币", 8e5, "CNY", False),
    ],
)
def test_amounts(text, value, currency, approximate):
    [amount] = find_amounts(f"捐赠{text}。" if not text[0].isascii() else f"gave {text}.")
    assert (amount.value, amount.currency, amount.approximate) == (value, currency, approximate)


@pytest.mark.parametrize(
    "text, currencies",
    [
        ("基金會捐出新臺幣一千萬元，另撥300萬元予縣政府。", ["TWD", "TWD"]),
        ("澳門基金會資助澳門幣50萬元，並另撥20萬元。", ["MOP", "MOP"]),
        ("該會捐出300萬元。", ["CNY"]),  # no currency named: 元 stays CNY
        ("公司捐赠人民币100万元，另捐200万元。", ["CNY", "CNY"]),
        ("捐出港元100萬元及美元2萬元，另撥10萬元。", ["HKD", "USD", "CNY"]),  # two named
    ],
)
def test_bare_yuan_takes_the_one_local_dollar_a_text_names(text, currencies):
    assert [a.currency for a in find_amounts(text)] == currencies


@pytest.mark.parametrize(
    "text, value, currency",
    [
        ("郭氏集團今年捐出200萬令吉", 2e6, "MYR"),
        ("will channel RM500,000 to the Ministry of Health", 5e5, "MYR"),
        ("拨出4万7200令吉作慈善教育用途", 47_200, "MYR"),
        ("獲得GIC捐贈25萬新元", 2.5e5, "SGD"),
        ("捐出新臺幣43萬4,000元", 434_000, "TWD"),
        ("累計2,763萬4,000元", 27_634_000, "CNY"),
        ("撥款4億9,300萬元", 493_000_000, "CNY"),
        ("超过3千7百万元", 37_000_000, "CNY"),
        ("拨付136.17万元", 1_361_700, "CNY"),  # exact, not 1361699.9999999998
        ("捐出550万人民币", 5_500_000, "CNY"),
        ("资助1万美金", 10_000, "USD"),
        ("set aside one million yuan for relief", 1e6, "CNY"),
        ("will donate RMB three million yuan", 3e6, "CNY"),
        ("捐出1亿日元", 1e8, "JPY"),
    ],
)
def test_amounts_in_more_currencies_and_mixed_numerals(text, value, currency):
    [amount] = find_amounts(text)
    assert (amount.value, amount.currency) == (value, currency)


@pytest.mark.parametrize(
    "text, currencies",
    [
        # Singapore and Malaysian Chinese press write 元 and $ for their own dollar
        ("新加坡社會公益聯盟把2萬元交給回教研究會。", ["SGD"]),
        ("社会公益联盟在新加坡把2万元交给回教研究会。", ["SGD"]),
        ("SPH raised $300,000 and passed it to Singapore Red Cross.", ["SGD"]),
        # a mainland text that names Hong Kong still means 人民币 by 元
        ("香港公益金获300万元。", ["CNY"]),
        ("香港公益金獲300萬元。", ["HKD"]),
        ("達成慈善基金會捐出300萬元予苗栗縣政府。", ["TWD"]),  # a Taiwanese county
        ("苗栗县政府获300万元。", ["CNY"]),
        # an English name with Hong Kong in it says nothing of the $
        ("It received $1.2 million from the Hong Kong Jockey Club.", ["USD"]),
        # two places named: no guess
        ("新加坡和马来西亚的会馆各捐2万元。", ["CNY"]),
        # a named currency other than the place's own: bare $ stays as it was
        ("one million yuan in 2019 and $160,256 for Singapore", ["CNY", "USD"]),
    ],
)
def test_bare_yuan_and_dollar_take_the_dollar_of_the_one_place_a_text_names(text, currencies):
    assert [a.currency for a in find_amounts(text)] == currencies


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("a 6.5 million yuan (US$812,500) donation", [("CNY", 6_500_000)]),
        ("HK$50 million (US$6.4 million) for hospitals", [("HKD", 50_000_000)]),
        ("捐赠6.5万美元（约合46万元），用于助学", [("USD", 65_000)]),
        # a breakdown in the same currency is no equivalent
        ("捐赠100万元（50万元现金）", [("CNY", 1_000_000), ("CNY", 500_000)]),
        # nor an amount in parentheses followed by more words
        ("HK$2m (US$256,000 of it from members) was raised", [("HKD", 2e6), ("USD", 256_000)]),
    ],
)
def test_an_equivalent_in_another_currency_in_parentheses_is_the_same_sum(text, found):
    assert [(a.currency, a.value) for a in find_amounts(text)] == found


def test_a_currency_entry_that_misreads_its_example_stops_with_its_code(tmp_path):
    from qun.models.amounts import _tables

    bad = tmp_path / "currencies.yaml"
    bad.write_text(
        "currencies:\n  - code: XYZ\n    zh_after: [某币]\n    examples: ['5万元']\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="XYZ: example '5万元'"):
        _tables(bad)
    bad.write_text(
        "currencies:\n  - code: CNY\n    zh_after: [元]\n  - code: XYZ\n    zh_after: [元]\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="already CNY"):
        _tables(bad)


@pytest.mark.parametrize("text", ["2019年", "3天里", "第10届", "增长了30%", "100人"])
def test_numbers_that_are_not_money(text):
    assert find_amounts(text) == []


def test_chinese_numerals_and_rates():
    assert parse_zh_number("两千三百万") == 23_000_000
    assert parse_zh_number("十五") == 15
    assert to_cny(1_000_000, "USD") == 7_000_000
    assert to_cny(1, "XXX") is None


@pytest.mark.parametrize(
    ("text", "funder", "recipient", "amount", "currency"),
    [
        (
            "南都公益基金会向晨光社区发展中心捐赠300万元。",
            "南都公益基金会",
            "晨光社区发展中心",
            3e6,
            "CNY",
        ),
        ("敦和基金会资助山川助学促进会50万元。", "敦和基金会", "山川助学促进会", 5e5, "CNY"),
        ("山川助学促进会获得敦和基金会50万元资助。", "敦和基金会", "山川助学促进会", 5e5, "CNY"),
        (
            "The Narada Foundation donated RMB 10 million to the Dawn Community Development"
            " Center.",
            "Narada Foundation",
            "Dawn Community Development Center",
            1e7,
            "CNY",
        ),
    ],
)
def test_funding_roles(text, funder, recipient, amount, currency):
    [f] = find_funding(text)
    got = (f.funder and f.funder.text, f.recipient and f.recipient.text)
    assert got + (f.amount.value, f.amount.currency) == (funder, recipient, amount, currency)


@pytest.mark.parametrize(
    "text",
    [
        "南都公益基金会今年的项目预算为500万元。",
        "晨光社区发展中心年度支出120万元。",
        "壹基金99公益日筹款总额超过3000万元。",
        "该协会社工月薪6000元。",
        "The Narada Foundation raised a total of RMB 5 million from the public.",
        "The Kestrel Foundation had a budget of RMB 2 million for food aid this year.",
        "晨光社区发展中心今年的服务预算为200万元，其中南都公益基金会资助部分尚未到账。",
        "「明德家庭服務協會」招聘社工，月薪港幣3萬元起。",
    ],
)
def test_hard_negatives_give_no_funding_from_a_named_funder(text):
    assert [f for f in find_funding(text) if f.funder is not None] == []


def test_partnership_pairs_and_direction():
    text = "南都公益基金会、晨光社区发展中心与中国社会科学院联合主办论坛。"
    got = {
        (frozenset((p.a.text, p.b.text)), p.relation, p.direction) for p in find_partnerships(text)
    }
    assert got == {
        (frozenset(("南都公益基金会", "晨光社区发展中心")), "co_organize", "horizontal"),
        (frozenset(("南都公益基金会", "中国社会科学院")), "co_organize", "vertical"),
        (frozenset(("晨光社区发展中心", "中国社会科学院")), "co_organize", "vertical"),
    }


@pytest.mark.parametrize(
    "text",
    [
        "南都公益基金会向晨光社区发展中心捐赠300万元，双方将持续沟通，推动集合影响力。",
        "香港公益金與樂施會簽署合作協議，並撥款港幣500萬元。",
        "UNICEF and the Ministry of Civil Affairs signed an agreement; UNICEF granted"
        " US$2 million.",
        "",
        "   ",
        "群众\u0000\ud7ff🙂 $$$ 万万元",
    ],
)
def test_extract_output_is_schema_valid_with_spans_in_bounds(text):
    out = {"id": "x", **extract(text)}
    jsonschema.validate(out, SCHEMA)
    for item in out["organizations"] + out["concepts"]:
        assert text[item["start"] : item["end"]] == item["text"]
    for record in out["funding"] + out["partnerships"]:
        start, end = record["evidence"]["start"], record["evidence"]["end"]
        assert 0 <= start < end <= len(text)
        for org in [record.get("funder"), record.get("recipient"), *record.get("orgs", [])]:
            if org:
                assert org["text"] in text[start:end]
        if "amount_text" in record:
            assert record["amount_text"] in text[start:end]


def test_qun_extract_lines_validate_including_bad_ones(tmp_path: Path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "a", "text": "敦和基金会资助山川助学促进会50万元。"}\nnot json\n{"id": 3}\n'
        '{"id": "b", "text": 7}\n[1, 2]\n',
        "utf-8",
    )
    out = qun("extract", "--jsonl", str(src)).stdout.splitlines()
    assert len(out) == 5
    for line in out:
        jsonschema.validate(json.loads(line), SCHEMA)


# ---- the learned relation component (models/relation_model.py) ------------------------------
def test_relation_model_ships_small_and_loads():
    from qun.models.relation_model import MODEL_PATH, load_model

    assert MODEL_PATH.stat().st_size < 2_000_000
    model = load_model()
    assert model is not None
    assert model.role.classes == ["funder", "none", "recipient"]
    assert "partner" in model.pair.classes
    assert model.meta["passages"] >= 300


@pytest.mark.parametrize(
    ("text", "funder", "recipient", "amount", "currency"),
    [
        (
            "The Greenway Foundation signed a partnership agreement with the Riverbank Elderly "
            "Care Association and will grant it RMB 800,000 over two years.",
            "Greenway Foundation",
            "Riverbank Elderly Care Association",
            8e5,
            "CNY",
        ),
        (
            "万科公益基金会2024年度资助项目：温州同心社会工作服务中心“社区助餐”项目，资助金额30万元。",
            "万科公益基金会",
            "温州同心社会工作服务中心",
            3e5,
            "CNY",
        ),
        (
            "Grants paid this quarter: Ford Foundation to the Cedar Hill Youth Support Network,"
            " US$250,000.",
            "Ford Foundation",
            "Cedar Hill Youth Support Network",
            2.5e5,
            "USD",
        ),
    ],
)
def test_shipped_extractor_gets_the_roles_of_shapes_the_learned_component_reads(
    text, funder, recipient, amount, currency
):
    """Shapes whose roles the learned component decides: the shipped setup (rules and the
    learned component, the default of find_funding and of `qun extract`) gets them right."""
    [f] = find_funding(text)
    got = (f.funder and f.funder.text, f.recipient and f.recipient.text)
    assert got + (f.amount.value, f.amount.currency) == (funder, recipient, amount, currency)
    [record] = extract(text)["funding"]
    assert (record["funder"]["text"], record["recipient"]["text"]) == (funder, recipient)
    assert (record["amount"], record["currency"]) == (amount, currency)


def test_semicolon_list_items_share_the_funder():
    text = "李嘉誠基金會年度撥款：向香港大學撥款港幣500萬元；向「明德家庭服務協會」撥款港幣80萬元。"
    got = {(f.funder.text, f.recipient.text, f.amount.value) for f in find_funding(text)}
    assert ("李嘉誠基金會", "明德家庭服務協會", 800_000.0) in got


def test_every_annotated_amount_parses_to_its_value_and_currency():
    from qun.models.evaluate import load_relations_eval

    checked = 0
    for p in load_relations_eval():
        found = find_amounts(p["text"])
        for g in p["funding"]:
            got = [a for a in found if a.text == g["amount_text"]] or [
                a for a in found if g["amount_text"] in a.text or a.text in g["amount_text"]
            ]
            assert got, (p["id"], g["amount_text"], [a.text for a in found])
            assert (got[0].value, got[0].currency) == (float(g["amount"]), g["currency"]), p["id"]
            checked += 1
    assert checked >= 280


def test_evidence_covers_every_party_and_amount_on_the_evaluation_set():
    """Each record's evidence span lies in the text and holds the names of its parties (for an
    anaphor, the name referred to; for a list item, the list's giver) and the amount."""
    from qun.models.evaluate import load_relations_eval

    checked = 0
    for p in load_relations_eval():
        text = p["text"]
        out = extract(text)
        for rec in out["funding"] + out["partnerships"]:
            start, end = rec["evidence"]["start"], rec["evidence"]["end"]
            assert 0 <= start < end <= len(text), p["id"]
            span = text[start:end]
            parties = rec["orgs"] if "orgs" in rec else [rec["funder"], rec["recipient"]]
            for party in parties:
                assert party is None or party["text"] in span, (p["id"], party["text"], span)
            assert rec.get("amount_text", "") in span, p["id"]
            checked += 1
    assert checked >= 1000


def test_the_cue_words_are_data_checked_when_they_load(tmp_path) -> None:
    """Every shipped cue finds its examples; a broken entry stops with its section and id."""
    from qun.models import cues

    shipped = cues.load_cues()
    assert [c.id for c in shipped["funding_triggers"]] == [
        "donation",
        "grant",
        "investment",
        "sponsorship",
        "other",
    ]
    text = cues.CUES.read_text("utf-8")
    broken = text.replace("examples: ['赞助', '冠名', 'sponsored']", "examples: ['赞助', 'bought']")
    assert broken != text
    (tmp_path / "a.yaml").write_text(broken, "utf-8")
    with pytest.raises(ValueError, match="funding_triggers sponsorship: .*'bought'"):
        cues.load_cues(tmp_path / "a.yaml")
    twice = text.replace("  - id: sponsorship\n", "  - id: grant\n")
    (tmp_path / "b.yaml").write_text(twice, "utf-8")
    with pytest.raises(ValueError, match="funding_triggers grant: every entry needs an id"):
        cues.load_cues(tmp_path / "b.yaml")
    bad = text.replace("pattern: '赞助|冠名|sponsor\\w*'", "pattern: '赞助|(冠名'")
    assert bad != text
    (tmp_path / "c.yaml").write_text(bad, "utf-8")
    with pytest.raises(ValueError, match="sponsorship: pattern does not compile"):
        cues.load_cues(tmp_path / "c.yaml")


def test_the_organization_rules_cue_words_are_data_too(tmp_path) -> None:
    """models/data/org_cues.yaml: the words that make a quoted name an organization, that are
    never a name, and that type a name, checked on load and read by id by models/orgs.py."""
    from qun.models import cues
    from qun.models.orgs import find_orgs

    shipped = cues.load_cues(cues.ORG_CUES, cues.ORG_SECTIONS)
    assert [c.id for c in shipped["quoted_names"]][:2] == ["kind_before", "kind_after"]
    assert re.search(cues.pattern("not_names", "personal"), "爱心人士")
    text = cues.ORG_CUES.read_text("utf-8")
    broken = text.replace("examples: ['财团法人']", "examples: ['社团']")
    assert broken != text
    (tmp_path / "o.yaml").write_text(broken, "utf-8")
    with pytest.raises(ValueError, match="name_types legal_form: .*'社团'"):
        cues.load_cues(tmp_path / "o.yaml", cues.ORG_SECTIONS)
    # what they do: a quoted name after a kind of organization is one (社企“益路到家”)
    found = [m.text for m in find_orgs("社企“益路到家”获得晨光公益基金会资助。")]
    assert "益路到家" in found, found


def test_the_anaphors_are_data_checked_when_they_load(tmp_path) -> None:
    """Phrases that refer back (该基金会, 其, "It") are entries of the cue file with what they
    can stand for and how they choose; a broken one stops with its id; extraction reads them."""
    from qun.models import cues
    from qun.models.orgs import find_orgs
    from qun.models.relations import with_anaphora
    from qun.models.textutil import simplify

    shipped = {c.id: c for c in cues.load_cues()["anaphors"]}
    assert shipped["the_foundation"].refers_to == (("types", ("foundation",)),)
    assert shipped["qi_opening"].mode == "clause_subject"
    assert shipped["the_former"].mode == "former"
    text = cues.CUES.read_text("utf-8")
    cases = {
        "mode: former": ("mode: earliest", "the_former: mode 'earliest'"),
        "refers_to: {types: [academic]}": (
            "refers_to: {types: [school]}",
            "the_university: refers_to types has unknown",
        ),
        "refers_to: {endings: [联合会]}": (
            "refers_to: {colours: [red]}",
            "bare_federation: refers_to has 'colours'",
        ),
        "examples: ['并与其签订协议']": ("examples: ['与他签订协议']", "qi_after_and: .*与他"),
        "examples: ['赞助', '冠名', 'sponsored']": (
            "examples: ['赞助', '冠名', 'sponsored']\n    mode: object",
            "sponsorship: refers_to and mode belong to anaphors only",
        ),
    }
    for n, (old, (new, error)) in enumerate(cases.items()):
        broken = text.replace(old, new)
        assert broken != text, old
        (tmp_path / f"{n}.yaml").write_text(broken, "utf-8")
        with pytest.raises(ValueError, match=error):
            cues.load_cues(tmp_path / f"{n}.yaml")
    # case-sensitive, unlike the other sections: "It" opens a sentence, "it" does not
    assert re.search(shipped["it_opening"].pattern, "Founded in 2001. It donated $5 million")
    assert not re.search(shipped["it_opening"].pattern, "Founded in 2001. it donated $5 million")

    # whose text it is, read by id: "we" is the writer, "US" a country
    we = re.compile(cues.pattern("text_owner", "we"), re.I)
    assert we.search("We granted HK$2 million") and we.search("本会收到捐款")
    assert not we.search("US government grants")
    with pytest.raises(KeyError, match="text_owner has no entry 'they'"):
        cues.pattern("text_owner", "they")
    # the words of the sentence shapes, read by id as well
    donor = re.compile(cues.pattern("sentence_roles", "donor_label"), re.I)
    assert donor.search("捐赠方") and not donor.search("受赠方：")

    sentence = "晨光社区发展中心成立于2015年。该中心获赠图书。"
    norm = simplify(sentence)
    found = [o for o in with_anaphora(norm, find_orgs(sentence)) if o.method == "anaphora"]
    assert [(norm[o.start : o.end], o.text) for o in found] == [("该中心", "晨光社区发展中心")]


def test_the_amount_part_reads_sums_persons_and_words():
    """The learned amount part sees how an amount stands among the sentence's others (a total
    of parts, a part of a total), a person in its clause and jieba's words around it."""
    from qun.models.amounts import find_amounts
    from qun.models.orgs import find_orgs
    from qun.models.relation_model import amount_features
    from qun.models.relations import funding_candidates
    from qun.models.textutil import simplify

    def feats(text: str) -> dict[float, set[str]]:
        norm = simplify(text)
        orgs = find_orgs(text)
        return {
            c.amount.value: set(amount_features(norm, c, orgs))
            for c in funding_candidates(norm, orgs, find_amounts(text))
        }

    got = feats(
        "明远电器有限公司向江北区红十字会捐赠现金、物资共500万元，其中现金300万元、物资200万元。"
    )
    assert "is_sum" in got[5e6] and "largest" in got[5e6]
    assert "is_part" in got[3e6] and "is_sum" not in got[3e6]
    assert {"is_part", "smallest"} <= got[2e6]
    assert "wl1:共" in got[5e6] and "tw:捐赠" in got[5e6]
    person = feats("活动启动当天，热心市民王女士捐出800元，江北区慈善总会当场开具了收据。")
    assert "individual" in person[800.0]
    assert "individual" not in got[5e6]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # a person's gift is no organization's
        ("活动启动当天，热心市民王女士捐出800元，江北区慈善总会当场为她开具了收据。", set()),
        # what each student receives is no second gift
        (
            "The Harbour Trust gave HK$2 million to the Lantern Youth Centre; each of its 40 "
            "students receives HK$5,000 a year.",
            {2e6},
        ),
    ],
)
def test_the_shipped_amount_part_drops_amounts_that_are_no_gift(text, kept):
    assert {f.amount.value for f in find_funding(text)} == kept


@pytest.mark.slow
@needs_shared_data
def test_the_shipped_relation_component_is_what_training_writes(tmp_path) -> None:
    """`qun train relations` reproduces the shipped component: the same features with the same
    weights (to 1e-4: another machine's arithmetic may differ in the last bits) and the same
    records on the test split. A rule or organization change that alters the training examples
    without retraining fails here."""
    import gzip

    from qun.models import relation_train
    from qun.models.evaluate import evaluate_relations, load_relations_eval
    from qun.models.relation_model import MODEL_PATH, load_model

    out = tmp_path / "relation_model.json.gz"
    relation_train.train(out, log=lambda _: None)
    shipped = json.loads(gzip.decompress(MODEL_PATH.read_bytes()))
    again = json.loads(gzip.decompress(out.read_bytes()))
    for part in ("amount", "role", "pair"):
        a, b = shipped[part], again[part]
        assert a["classes"] == b["classes"], part
        assert set(a["weights"]) == set(b["weights"]), part
        assert all(
            abs(x - y) <= 1e-4
            for name, ws in a["weights"].items()
            for x, y in zip(ws, b["weights"][name], strict=True)
        ), part
    assert shipped["thresholds"] == again["thresholds"]
    test = load_relations_eval("test")
    assert (
        evaluate_relations(test, model=load_model(out))["per_passage"]
        == evaluate_relations(test, model=load_model(MODEL_PATH))["per_passage"]
    )
