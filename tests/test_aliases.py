"""Aliases across scripts and languages resolve to one organization (the gazetteer's job)."""

from __future__ import annotations

import pytest

from qun.models.orgs import find_orgs
from tests.conftest import needs_shared_data

PAIRS = [
    ("中国社会科学院", "中国社科院"),
    ("中国社会科学院", "CASS"),
    ("中国社会科学院", "中國社會科學院"),
    ("中国社会科学院", "Chinese Academy of Social Sciences"),
    ("南都公益基金会", "南都基金会"),
    ("南都公益基金会", "Narada Foundation"),
    ("南都公益基金会", "南都公益基金會"),
    ("中国乡村发展基金会", "中国扶贫基金会"),
    ("中国乡村发展基金会", "China Foundation for Poverty Alleviation"),
    ("中国乡村发展基金会", "中國鄉村發展基金會"),
    ("中国青少年发展基金会", "中国青基会"),
    ("中国青少年发展基金会", "China Youth Development Foundation"),
    ("民政部", "Ministry of Civil Affairs"),
    ("民政部", "民政部"),
    ("联合国开发计划署", "UNDP"),
    ("联合国儿童基金会", "UNICEF"),
    ("福特基金会", "Ford Foundation"),
    ("清华大学", "Tsinghua University"),
    ("清华大学", "清華大學"),
    ("北京大学", "Peking University"),
    ("腾讯公益慈善基金会", "Tencent Charity Foundation"),
    ("阿里巴巴公益基金会", "阿里巴巴公益基金會"),
    ("友成企业家扶贫基金会", "友成基金会"),
    ("壹基金", "One Foundation"),
    ("恩派公益组织发展中心", "NPI"),
    ("中国发展简报", "China Development Brief"),
    ("新华社", "Xinhua News Agency"),
    ("国务院", "State Council"),
    ("香港公益金", "香港公益金"),
    ("香港社会服务联会", "香港社會服務聯會"),
    ("乐施会", "Oxfam"),
    ("中华慈善总会", "中華慈善總會"),
]


def ids(name: str) -> set[str]:
    found = find_orgs(f"{name}。")
    assert found, f"{name} not found"
    return {m.org_id for m in found if m.text == name}


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_alias_pair_resolves_to_one_org(a: str, b: str):
    ia, ib = ids(a), ids(b)
    assert len(ia) == 1 and ia == ib, (a, ia, b, ib)
    assert not next(iter(ia)).startswith("r:"), "resolved by the gazetteer, not by rules"


# ---- resolution beyond exact aliases: normalized, then fuzzy ------------------------------------
@pytest.mark.parametrize(
    ("name", "org_id", "how"),
    [
        ("CASS", "cass", "exact"),
        ("Chinese Academy of Social Science", "cass", "fuzzy"),
        ("The  Ford Foundation's", "ford_foundation", "normalized"),
        ("北京市银杏公益基金会", "ginkgo_foundation", "exact"),
        ("北京市銀杏公益基金会", "ginkgo_foundation", "exact"),
        ("上海浦東非營利組織發展中心", "npi", "exact"),
        ("「南都公益基金会」", "narada_foundation", "normalized"),
        ("深圳市壹基金公益基金会", "one_foundation", "fuzzy"),
    ],
)
def test_names_resolve_by_exact_normalized_or_fuzzy_match(name: str, org_id: str, how: str):
    from qun.models.gazetteer import load_gazetteer, resolve

    assert org_id in load_gazetteer().orgs, org_id
    hit = resolve(name)
    assert hit is not None and hit[0] == org_id and hit[1].startswith(how), (name, hit)


@pytest.mark.parametrize(
    "name",
    [
        "南京明德基金会",
        "北京明德基金会",
        "广州市慈善会联合",
        "Ford Motor Company",
        "中国妇女儿童发展基金会",
    ],
)
def test_different_organizations_do_not_fuzzy_match(name: str):
    from qun.models.gazetteer import resolve

    hit = resolve(name)
    assert hit is None or not hit[1].startswith("fuzzy"), (name, hit)


def test_fuzzy_match_needs_the_same_sector():
    """A company whose name is close to a foundation's is not linked to the foundation."""
    from qun.models.gazetteer import resolve

    assert resolve("北京银杏公益基金会") is not None
    hit = resolve("北京银杏公益有限公司")
    assert hit is None, hit


# ---- typing names the gazetteer and suffixes cannot type -----------------------------------------
def test_name_classifier_types_names_without_a_telling_suffix():
    from qun.models import orgtypes
    from qun.models.orgs import classify_type

    assert orgtypes.load() is not None, "models/data/orgtypes.npz is shipped"
    assert classify_type("北京市海淀区教育局") == "government"  # suffix rule
    names = ("皇家马德里", "恒源祥集团公司", "北京市西城区人民检察院")
    typed = {n: classify_type(n) for n in names}
    assert typed["皇家马德里"] == "other", typed
    assert typed["恒源祥集团公司"] == "business", typed
    assert typed["北京市西城区人民检察院"] == "government", typed


@needs_shared_data
def test_name_classifier_accuracy_on_cluener_dev_stays_above_its_floor():
    from qun.models import orgtypes, orgtypes_train

    model = orgtypes.load()
    rows = orgtypes_train.cluener_examples("cluener-dev")
    assert len(rows) > 900
    assert orgtypes_train.accuracy(model, rows) >= 0.93


def test_types_of_held_out_real_organizations_stay_above_their_floor():
    """Typing of organizations from the real-heldout passages' outlets (and the waiting
    passages of those outlets), which no training saw: the name classifier alone, and with the
    public-centre rule first, as a name with no typed ending is typed in extraction."""
    from qun.models import orgtypes, orgtypes_train
    from qun.models.orgs import classify_type

    # fitted to convergence (extractor 0.8.16) the classifier scores .882 and .884 here; the
    # file before it (.878 and .888) had stopped at the solver's default tolerance, where its
    # weights depended on the installed SciPy, and no other machine could write it again
    for waiting, size, floor in ((False, 1200, 0.88), (True, 700, 0.88)):
        rows = orgtypes_train.real_examples("real-heldout", waiting)
        assert len(rows) > size
        assert orgtypes_train.accuracy(orgtypes.load(), rows) >= floor
        right = sum(classify_type(name) == otype for name, otype, _ in rows)
        assert right / len(rows) >= floor
