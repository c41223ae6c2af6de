"""Aliases across scripts and languages resolve to one organization (the gazetteer's job)."""

from __future__ import annotations

import pytest

from models.orgs import find_orgs

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
