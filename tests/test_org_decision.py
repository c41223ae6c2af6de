"""Chinese organizations: the CRF recognizer (models/crf_ner.py) and the learned decision over
gazetteer, rule and CRF candidates (models/orgmerge.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from qun.models import crf_ner, orgmerge
from qun.models.orgs import OrgMention, find_orgs, model_mention
from tests.conftest import needs_shared_data


def _no(name: str) -> bool:
    return False


def test_tags_and_spans_round_trip() -> None:
    text = "南都公益基金会资助了晨光社区发展中心"
    spans = [(0, 7), (10, 18)]
    tags = crf_ner.bio(text, spans)
    assert tags[:2] == ["B", "I"] and tags[7] == "O"
    assert crf_ner.spans_of(tags) == spans
    assert crf_ner.spans_of(["I", "I", "O", "B"]) == [(0, 2), (3, 4)]  # a stray I starts one


def test_long_texts_are_tagged_in_pieces_cut_at_sentence_ends() -> None:
    text = ("甲" * 150 + "。") * 6
    pieces = crf_ner._chunks(text)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(b - a <= crf_ner.CHUNK for a, b in pieces)
    assert all(text[b - 1] == "。" for _, b in pieces)
    assert all(pieces[i][1] == pieces[i + 1][0] for i in range(len(pieces) - 1))
    hard = "乙" * (crf_ner.CHUNK * 2 + 5)  # no sentence end: cut at the limit
    assert [b - a for a, b in crf_ner._chunks(hard)] == [crf_ner.CHUNK, crf_ner.CHUNK, 5]


def test_a_crf_trained_here_finds_its_names(tmp_path: Path) -> None:
    names = ["青禾社工服务中心", "云杉公益基金会", "石桥助学促进会"]
    verbs = ["资助", "联合", "支持"]
    examples = []
    for i in range(30):
        a, b = names[i % 3], names[(i + 1) % 3]
        text = f"{a}{verbs[i % 3]}{b}开展第{i}期项目。"
        examples.append((text, [(0, len(a)), (len(a) + 2, len(a) + 2 + len(b))]))
    path = tmp_path / "m.crfsuite"
    record = crf_ner.train(examples, path, iterations=50)
    assert record["sentences"] == 30 and path.is_file()
    assert json.loads(path.with_suffix(".json").read_text())["iterations"] == 50
    found = crf_ner.recognize("云杉公益基金会资助青禾社工服务中心开展新项目。", path)
    assert [(s, e) for s, e, _ in found] == [(0, 7), (9, 17)]
    assert all(0.5 < p <= 1.0 for *_, p in found)
    assert crf_ner.recognize("任何文字", tmp_path / "missing.crfsuite") == []


def _mention(start: int, end: int, method: str) -> OrgMention:
    return OrgMention("x" * (end - start), start, end, "", "", "ngo", "nonprofit", method)


def test_gazetteer_names_stand_and_other_spans_become_one_candidate_each() -> None:
    mentions = [_mention(0, 4, "gazetteer"), _mention(6, 12, "rule")]
    scored = [(6, 12, 0.9), (2, 5, 0.8), (14, 18, 0.7)]
    fixed, cands = orgmerge.candidates(mentions, scored)
    assert [(m.start, m.end) for m in fixed] == [(0, 4)]
    # (2, 5) overlaps the gazetteer's name: no candidate
    assert [(c.start, c.end, sorted(c.sources)) for c in cands] == [
        (6, 12, ["crf", "rule"]),
        (14, 18, ["crf"]),
    ]
    assert cands[0].probability == 0.9 and cands[0].mention is mentions[1]


def test_the_decision_keeps_the_best_candidates_that_do_not_overlap() -> None:
    from qun.models.gazetteer import load_gazetteer

    text = "本地企业华兴科技有限公司向区慈善总会捐赠"
    rule = OrgMention("本地企业华兴科技有限公司", 0, 12, "", "", "business", "business", "rule")
    scored = [(4, 12, 0.95), (13, 18, 0.3)]
    # weights that trust the CRF's confidence and nothing else
    decide = orgmerge.Decider({"crf_p": 10.0}, -5.0, 0.5)
    gaz = load_gazetteer()
    kept = decide.select(
        text, text, [rule], scored, gaz, lambda s, e: model_mention(text, text, s, e, gaz), _no
    )
    assert [(m.start, m.end, m.method) for m in kept] == [(4, 12, "model")]


def test_a_fitted_decision_is_written_the_same_way_twice_and_loads(tmp_path: Path) -> None:
    xs = [{"src:crf": 1.0, "crf_p": p} for p in (0.9, 0.8, 0.2, 0.1)] * 3
    ys = [1, 1, 0, 0] * 3
    ws = [1.0] * len(ys)
    a, b = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    orgmerge.fit(xs, ys, ws, a)
    orgmerge.fit(xs, ys, ws, b)
    assert a.read_bytes() == b.read_bytes()
    data = json.loads(gzip.decompress(a.read_bytes()))
    assert data["trained"] == {"candidates": 12, "positives": 6}
    decide = orgmerge.load(a)
    assert decide.probability({"src:crf": 1.0, "crf_p": 0.95}) > 0.5
    assert decide.probability({"src:crf": 1.0, "crf_p": 0.05}) < 0.5
    assert orgmerge.load(tmp_path / "missing.json.gz") is None


def test_names_are_not_swallowed_into_the_words_before_them() -> None:
    """The rules alone took 本地企业华兴科技有限公司, 现金支票交到青田县慈善总会 and
    今后也捐助丽水市民政局; the shipped CRF and decision take the names."""
    cases = {
        "本地企业华兴科技有限公司向区慈善总会捐赠10万元。": "华兴科技有限公司",
        "爱心人士把现金支票交到青田县慈善总会。": "青田县慈善总会",
        "他表示今后也捐助丽水市民政局的项目。": "丽水市民政局",
    }
    for text, name in cases.items():
        found = [m.text for m in find_orgs(text)]
        assert name in found, (text, found)
        assert not any(name in f and f != name for f in found), (text, found)


def test_a_rule_name_that_starts_inside_a_word_yields_to_the_whole_name() -> None:
    """The suffix rules split names at 和 (A和B协会), so 成都市和谐社区发展促进会 came out as
    谐社区发展促进会; where a rule's name starts inside a jieba word and the CRF reads the
    whole name with the same end, the whole name stands."""
    from qun.models.gazetteer import load_gazetteer

    text = "成都市慈善总会与成都市和谐社区发展促进会签订协议"
    rule = OrgMention("谐社区发展促进会", 12, 20, "", "", "ngo", "ngo", "rule")
    scored = [(8, 20, 0.9)]
    decide = orgmerge.Decider({"crf_p": 10.0}, -5.0, 0.5)
    gaz = load_gazetteer()
    kept = decide.select(
        text, text, [rule], scored, gaz, lambda s, e: model_mention(text, text, s, e, gaz), _no
    )
    whole = [(text[m.start : m.end], m.method) for m in kept]
    assert whole == [("成都市和谐社区发展促进会", "model")]
    # and so with the shipped CRF and decision
    found = [m.text for m in find_orgs("成都市慈善总会与成都市和谐社区发展促进会签订协议。")]
    assert "成都市和谐社区发展促进会" in found, found


def test_a_rule_name_the_decision_doubts_yields_to_a_crf_reading_across_it() -> None:
    """The rules read 汕头大学 out of 汕头大学教育基金会; a name only the rules propose that
    scores under the threshold yields to an overlapping CRF reading that scores at or above
    it, unless that reading runs across a comma or a full stop."""
    from qun.models.gazetteer import load_gazetteer

    gaz = load_gazetteer()
    decide = orgmerge.Decider({"crf_p": 10.0}, -5.0, 0.5)  # trusts the CRF's confidence only

    def kept(text: str, rule: tuple[int, int], scored: list) -> list[tuple[str, str]]:
        name = OrgMention(text[rule[0] : rule[1]], *rule, "", "", "academic", "academic", "rule")
        out = decide.select(
            text, text, [name], scored, gaz, lambda s, e: model_mention(text, text, s, e, gaz), _no
        )
        return [(text[m.start : m.end], m.method) for m in out]

    text = "汕头大学教育基金会向该校学生发放助学金"
    assert kept(text, (0, 4), [(0, 9, 0.9)]) == [("汕头大学教育基金会", "model")]
    # a CRF reading under the threshold leaves the rule's name
    assert kept(text, (0, 4), [(0, 9, 0.2)]) == [("汕头大学", "rule")]
    # a CRF reading across a full stop is no rival
    text = "他毕业于汕头大学。教育基金会发放助学金"
    assert kept(text, (4, 8), [(4, 14, 0.9)]) == [("汕头大学", "rule")]
    # and so with the shipped CRF and decision
    for text, name in {
        "汕头大学教育基金会向该校贫困学生发放助学金。": "汕头大学教育基金会",
        "兴业银行三明分行向当地慈善总会捐赠20万元。": "兴业银行三明分行",
    }.items():
        assert name in [m.text for m in find_orgs(text)], text


@pytest.mark.slow
@needs_shared_data
def test_the_shipped_decision_is_what_training_writes(tmp_path: Path) -> None:
    """`qun train org-merge` reproduces the shipped decision (about 4-6 minutes: two CRFs on
    half the sentences each): the same candidates, features and threshold, weights within 1e-3
    (another machine's arithmetic may differ in the last bits). A change of the rules or of the
    candidates that is shipped without retraining the decision fails here."""
    from qun.models.ner_train import train_org_merge

    out = tmp_path / "orgmerge.json.gz"
    train_org_merge(out, log=lambda _: None)
    shipped = json.loads(gzip.decompress(orgmerge.MODEL.read_bytes()))
    again = json.loads(gzip.decompress(out.read_bytes()))
    assert shipped["trained"] == again["trained"]
    assert shipped["threshold"] == again["threshold"]
    assert shipped.get("extend_threshold") == again.get("extend_threshold")
    assert ("extend" in shipped) == ("extend" in again)
    # the decision over the candidates, and the one over readings that extend a gazetteer name
    for a, b in ((shipped, again), (shipped.get("extend"), again.get("extend"))):
        if a is None:
            continue
        assert abs(a["bias"] - b["bias"]) <= 1e-3
        assert set(a["weights"]) == set(b["weights"])
        assert all(abs(w - b["weights"][k]) <= 1e-3 for k, w in a["weights"].items())


def test_a_crf_reading_that_runs_past_a_gazetteer_name_may_replace_it(tmp_path: Path) -> None:
    """A gazetteer name stood as it was, so 上海市慈善基金会徐汇区代表处 came out as
    上海市慈善基金会 and 民政部社会工作司 as 民政部; a CRF reading that starts with the name and
    runs on past it (through no punctuation and no other name) is a candidate that `extends`
    it, and replaces it when it scores."""
    from qun.models.gazetteer import load_gazetteer

    text = "上海市慈善基金会徐汇区代表处向晨光社区发展中心捐赠10万元，民政部，表示支持"
    gaz_name = OrgMention("上海市慈善基金会", 0, 8, "", "", "foundation", "nonprofit", "gazetteer")
    later = OrgMention("民政部", 30, 33, "", "", "government", "government", "gazetteer")
    rule = OrgMention("晨光社区发展中心", 15, 23, "", "", "ngo", "nonprofit", "rule")
    # the whole reading; one across the rule's name; one across the comma; one that starts
    # inside the gazetteer name
    scored = [(0, 14, 0.9), (0, 18, 0.9), (30, 35, 0.9), (4, 14, 0.9)]
    mentions = [gaz_name, rule, later]
    fixed, cands = orgmerge.candidates(mentions, scored, None, text)
    extending = [(c.start, c.end) for c in cands if c.extends is not None]
    assert extending == [(0, 14)]
    assert next(c for c in cands if c.extends is not None).extends is gaz_name
    # without the text, no reading crosses a gazetteer name (as before)
    assert all(c.extends is None for c in orgmerge.candidates(mentions, scored)[1])

    gaz = load_gazetteer()

    def kept(decide: orgmerge.Decider) -> list[tuple[str, str]]:
        make = lambda s, e: model_mention(text, text, s, e, gaz)  # noqa: E731
        out = decide.select(text, text, mentions, scored, gaz, make, _no)
        return [(text[m.start : m.end], m.method) for m in out]

    # a decision that scores the extension: the longer name stands, the rule's name beside it
    scores = orgmerge.Decider({"src:rule": 10.0}, -5.0, 0.5, 0.5, ({"extends": 10.0}, -5.0))
    assert kept(scores) == [
        ("上海市慈善基金会徐汇区代表处", "model"),
        ("晨光社区发展中心", "rule"),
        ("民政部", "gazetteer"),
    ]
    # one that does not: the gazetteer's name stands as it was
    doubts = orgmerge.Decider({"src:rule": 10.0}, -5.0, 0.5, 0.5, ({"extends": 2.0}, -5.0))
    assert kept(doubts) == [
        ("上海市慈善基金会", "gazetteer"),
        ("晨光社区发展中心", "rule"),
        ("民政部", "gazetteer"),
    ]
    # a decision without a model of its own for them keeps every gazetteer name
    plain = orgmerge.Decider({"src:rule": 10.0}, -5.0, 0.5)
    assert kept(plain)[0] == ("上海市慈善基金会", "gazetteer")
    feats = orgmerge.features(text, cands[0], cands, gaz, set(range(len(text) + 1)), _no)
    assert feats["extends"] == 1.0 and feats["ext_len:6"] == 1.0
    assert feats["ext_type:foundation"] == 1.0
    # the two decisions are fitted apart: the rows that extend a name move no other weight
    xs = [{"src:crf": 1.0, "crf_p": p} for p in (0.9, 0.8, 0.2, 0.1)] * 3
    ys = [1, 1, 0, 0] * 3
    alone = orgmerge.fit(xs, ys, [1.0] * 12, tmp_path / "a.json.gz")
    more = [{"extends": 1.0, "ext_type:government": 1.0}, {"extends": 1.0}] * 2
    both = orgmerge.fit(xs + more, ys + [1, 0] * 2, [1.0] * 16, tmp_path / "b.json.gz")
    assert alone["candidates"] == both["candidates"] == 12 and both["extending"] == 4
    a, b = orgmerge.load(tmp_path / "a.json.gz"), orgmerge.load(tmp_path / "b.json.gz")
    assert (a.weights, a.bias) == (b.weights, b.bias) and a.extend is None
    assert b.extend_probability({"extends": 1.0, "ext_type:government": 1.0}) > 0.5
