from __future__ import annotations

import pytest

from qun.models.concepts import find_concepts
from qun.models.extract import extract
from qun.models.orgs import find_orgs


def concepts(text: str) -> list[str]:
    return [c.concept for c in find_concepts(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "这是一次集合影响力的实践，需要骨干组织和共同议程。",
            ["collective_impact", "backbone_support", "common_agenda"],
        ),
        ("2014年的文章称之为集体影响力。", ["collective_impact"]),
        ("集合影響力需要骨幹組織。", ["collective_impact", "backbone_support"]),
        (
            "Collective impact requires a backbone organization and shared measurement.",
            ["collective_impact", "backbone_support", "shared_measurement"],
        ),
        ("杨团提出的“群”的理念强调跨界合作。", ["qun", "cross_sector_collaboration"]),
        ("Yang Tuan calls this idea qun.", ["qun"]),
    ],
)
def test_concepts_found(text, expected):
    assert concepts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "这家企业的社会影响力很大，影响力投资也在增长。",
        "学校的骨干教师和骨干企业参加了培训。",
        "群众在微信群里讨论，人群很多。",
        "“群”这个字很常见。",  # 群 without 杨团 in the sentence
        "The group chat of the crowd had great influence.",
    ],
)
def test_hard_negatives_produce_no_concept(text):
    assert concepts(text) == []


def test_each_concept_mention_says_which_form_or_pattern_found_it(tmp_path):
    from qun.models.concepts import load_lexicon

    found = find_concepts("各方開展相互促進的行動，推動集合影響力。Partners use Collective-Impact.")
    assert [(c.concept, c.text, c.method, c.rule) for c in found] == [
        ("mutually_reinforcing_activities", "相互促進的行動", "pattern", "zh_patterns[0]"),
        ("collective_impact", "集合影響力", "form", "集合影响力"),  # the form as listed
        ("collective_impact", "Collective-Impact", "form", "collective impact"),
    ]
    # a pattern's own groups do not hide which pattern matched
    path = _lexicon_file(tmp_path, "    en_patterns: ['(sector|field)\\s+(eco)system', 'hub']\n")
    lexicon = load_lexicon(path)
    found = find_concepts("a field ecosystem, a hub, 慈善生态圈 and 公益生态", lexicon)
    assert [(c.text, c.method, c.rule) for c in found] == [
        ("field ecosystem", "pattern", "en_patterns[0]"),
        ("hub", "pattern", "en_patterns[1]"),
        ("慈善生态圈", "pattern", "zh_patterns[0]"),
        ("公益生态", "form", "公益生态"),
    ]
    out = extract("推动集合影响力。")["concepts"]
    assert out == [
        {
            "concept": "collective_impact",
            "text": "集合影响力",
            "start": 2,
            "end": 7,
            "method": "form",
            "rule": "集合影响力",
        }
    ]


def test_organizations_gazetteer_rules_and_offsets():
    text = "南都公益基金会向晨光社区发展中心捐赠300万元，中国社科院与北京市民政局联合主办论坛。"
    found = find_orgs(text)
    assert [(m.text, m.type) for m in found] == [
        ("南都公益基金会", "foundation"),
        ("晨光社区发展中心", "ngo"),
        ("中国社科院", "academic"),
        ("北京市民政局", "government"),
    ]
    assert all(text[m.start : m.end] == m.text for m in found)


def test_aliases_across_scripts_and_languages_resolve_to_one_org():
    ids = {
        m.org_id
        for t in ("中国社会科学院", "中国社科院", "中國社會科學院", "CASS")
        for m in find_orgs(f"{t}的研究")
    }
    assert len(ids) == 1


def test_extract_contract_offsets_on_traditional_text():
    text = "香港公益金與樂施會簽署合作協議，推動集合影響力。"
    out = extract(text)
    assert out["lang"] == "zh-Hant"
    assert out["organizations"] and out["concepts"]
    for item in out["organizations"] + out["concepts"]:
        assert text[item["start"] : item["end"]] == item["text"]
    assert set(out["organizations"][0]) == {"text", "start", "end", "org_id", "canonical", "type"}


def _lexicon_file(tmp_path, extra: str):
    path = tmp_path / "concepts.yaml"
    path.write_text(
        "concepts:\n  - id: sector_ecosystem\n    zh: [公益生态]\n"
        "    zh_patterns: ['(?:公益|慈善)生态(?:圈|系统)']\n" + extra,
        encoding="utf-8",
    )
    return path


def test_concept_lexicon_entries_are_checked_against_their_examples(tmp_path):
    from qun.models.concepts import LexiconError, load_lexicon

    ok = _lexicon_file(tmp_path, "    examples: [慈善生态圈]\n    not: [生态环境保护]\n")
    assert [c.id for c in load_lexicon(ok)] == ["sector_ecosystem"]
    (tmp_path / "a").mkdir()
    missed = _lexicon_file(tmp_path / "a", "    examples: [行业生态]\n")
    with pytest.raises(LexiconError, match="sector_ecosystem.*nothing in its example '行业生态'"):
        load_lexicon(missed)
    (tmp_path / "b").mkdir()
    wrong = _lexicon_file(tmp_path / "b", "    not: [共建公益生态系统]\n")
    with pytest.raises(LexiconError, match="finds '公益生态' in '共建公益生态系统', listed as not"):
        load_lexicon(wrong)


def test_names_with_no_typed_ending_are_typed_by_the_classifier_else_the_suffix_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qun.models import orgs, orgtypes

    orgs.classify_type.cache_clear()
    assert orgs.classify_type("疾病预防控制中心") == "government"
    assert orgs.classify_type("华兴科技有限公司") == "business"
    # an install whose classifier file is missing falls back on the name's ending
    monkeypatch.setattr(orgtypes, "load", lambda path=None: None)
    orgs.classify_type.cache_clear()
    assert orgs.classify_type("晨光公益基金会") == "foundation"
    assert orgs.classify_type("禾苗农创") == "other"
    orgs.classify_type.cache_clear()
