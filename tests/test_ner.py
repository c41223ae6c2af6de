"""The statistical organization recognizer: its features, its corpora readers, and a short
training run end to end (train -> save -> load -> predict -> evaluate)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qun.models import corpora
from qun.models.ner import build, jieba_tags
from tests.conftest import needs_shared_data as needs_data
from tests.conftest import qun


def test_character_tokens_carry_bigram_jieba_and_gazetteer_features():
    doc = build().make_doc("南都公益基金会资助ABC123。")
    assert [t.text for t in doc][:3] == ["南", "都", "公"]
    assert [t.text for t in doc][-3:] == ["ABC", "123", "。"]
    first = doc[0]
    assert (first.norm_, first.lemma_) == ("<s>南", "南都")
    assert str(first.morph) == "G=B" and str(doc[6].morph) == "G=I" and str(doc[7].morph) == "G=O"
    assert len(jieba_tags("南都公益基金会")) == 7


@needs_data
def test_corpora_readers_convert_inclusive_ends_and_bmes():
    dev = corpora.load("cluener-dev")
    assert len(dev) == 1343 and sum(len(e.spans) for e in dev) == 992
    for e in dev[:200]:
        for s, t, label in e.spans:
            assert 0 <= s < t <= len(e.text) and label in corpora.ORG_LABELS_CLUENER
    msra = corpora.load("msra-test")
    assert sum(len(e.spans) for e in msra) == 1331


def test_the_shipped_model_was_trained_on_the_frozen_names():
    """`qun train ner` reads the gazetteer feature's names from models/data/ner_zh_names.txt;
    the shipped model carries the same list, so the command can write it again."""
    from qun.models.ner import MODEL_DIR, feature_names

    shipped = json.loads((MODEL_DIR / "tokenizer").read_text("utf-8"))
    assert shipped["names"] == feature_names() and len(shipped["names"]) > 800


@pytest.mark.slow
@needs_data
def test_short_training_run_saves_a_model_that_loads_and_evaluates(tmp_path: Path):
    def train(out: Path) -> dict:
        args = ("--steps", "30", "--eval-every", "15", "--limit", "150", "-q")
        return json.loads(qun("train", "ner", "--out", str(out), *args).stdout)

    out = tmp_path / "ner"
    meta = train(out)
    assert meta["best_step"] in (15, 30)
    assert (out / "config.cfg").exists() and (out / "training.json").exists()
    # the same command writes the same weights
    train(tmp_path / "again")
    for part in ("tok2vec/model", "ner/model", "tokenizer"):
        assert (out / part).read_bytes() == (tmp_path / "again" / part).read_bytes(), part
    scores = json.loads(
        qun("eval", "ner", "--dataset", "cluener-dev", "--model", str(out), "--json").stdout
    )
    assert set(scores) == {"rules", "default", "crf", "model", "model+rules"}
    assert set(scores["model"]) == {"ORG", "organization", "company", "government"}


def test_shipped_model_finds_names_in_traditional_text_with_offsets_into_the_original():
    """`--statistical zh` (the default) adds the Chinese CRF; it reads the simplified form and
    reports offsets into the traditional input. 北辰義工隊 is in no list and has no typed
    suffix."""
    from qun.models.crf_ner import load

    assert load() is not None, "models/data/ner_zh_crf.crfsuite is shipped"
    text = "昨日，北辰義工隊與香港賽馬會在沙田舉辦義工培訓。"
    line = json.dumps({"id": "t1", "text": text}, ensure_ascii=False)
    rules_only = json.loads(qun("extract", "--statistical", "", "-q", input=line).stdout)
    with_model = json.loads(qun("extract", "-q", input=line).stdout)
    for out in (rules_only, with_model):
        for org in out["organizations"]:
            assert text[org["start"] : org["end"]] == org["text"], org
    names = {o["text"] for o in with_model["organizations"]}
    assert "香港賽馬會" in names
    assert "北辰義工隊" in names, with_model["organizations"]
    assert len(with_model["organizations"]) > len(rules_only["organizations"])


def test_unknown_statistical_language_is_a_user_error():
    result = qun("extract", "--statistical", "fr", input='{"id": "1", "text": "x"}', check=False)
    assert result.returncode == 1 and "--statistical takes en and/or zh" in result.stderr


def test_statistical_applies_to_the_documents_too(demo_dir: Path, tmp_path: Path):
    """`qun extract --documents --statistical …` runs the chosen recognizers (recorded as its
    own extractor version, so a change re-reads every document), and a bad value is refused
    before any work."""
    import shutil

    from qun.datasets.read import load

    data = tmp_path / "data"
    shutil.copytree(demo_dir / "documents", data / "documents")
    bad = qun("extract", "--documents", "--statistical", "fr", "--data-dir", str(data), check=False)
    assert bad.returncode == 1 and "--statistical takes en and/or zh" in bad.stderr
    assert not (data / "extraction_log").exists()

    qun("extract", "--documents", "--statistical", "en", "--data-dir", str(data), "-q")
    log = load("extraction_log", data, as_="pandas")
    assert set(log["extractor_version"]) == {log["extractor_version"][0]}
    assert log["extractor_version"][0].endswith("+statistical=en")
    without_zh = load("org_mentions", data, as_="pandas")
    default = load("org_mentions", demo_dir, as_="pandas")
    key = ["doc_id", "start", "end"]
    assert set(map(tuple, without_zh[key].values)) != set(map(tuple, default[key].values))

    # back to the default: every document is read again, and the rows are the default's
    again = json.loads(
        qun("extract", "--documents", "--data-dir", str(data), "-q").stdout.splitlines()[-1]
    )
    assert again["extracted"] == len(log) and again["unchanged"] == 0
    assert len(load("org_mentions", data, as_="pandas")) == len(default)


def test_acronyms_stand_as_statistical_names_unless_listed_as_naming_none():
    """spaCy's English ORG spans of one word: an acronym stands (WHO), a listed one does not."""
    import yaml

    from qun.models.orgs import NOT_ORG_ACRONYMS, find_orgs, not_org_acronyms

    found = [m.text for m in find_orgs("The two charities signed an MOU with WINGS and the WHO.")]
    assert {"WINGS", "WHO"} <= set(found) and "MOU" not in found
    listed = not_org_acronyms()
    for entry in yaml.safe_load(NOT_ORG_ACRONYMS.read_text("utf-8"))["acronyms"]:
        for example in entry["examples"]:
            names = {m.text for m in find_orgs(example)}
            assert not names & listed, (entry["id"], example, names)


def test_an_english_name_never_runs_past_the_end_of_its_sentence():
    from qun.models.orgs import find_orgs

    text = (
        "The gift went to the China Foundation for Poverty Alleviation. One week later the "
        "Singapore Red Cross. The ST School in St. Mark's Settlement got U.S. aid."
    )
    names = {m.text for m in find_orgs(text)}
    assert {"China Foundation for Poverty Alleviation", "St. Mark's Settlement"} <= names
    assert not any(". " in n and "St. " not in n for n in names), names


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "x", "words": ["Mou"], "examples": ["an Mou"]}, "2 to 6 capitals"),
        ({"id": "x", "words": ["MOU"], "examples": ["a memorandum"]}, "needs an example"),
        ({"words": ["MOU"], "examples": ["an MOU"]}, "(no id)"),
    ],
)
def test_a_broken_acronym_entry_stops_the_load_with_its_id(tmp_path: Path, entry, message):
    import yaml

    from qun.models.orgs import not_org_acronyms

    path = tmp_path / "acronyms.yaml"
    path.write_text(yaml.safe_dump({"acronyms": [entry]}), "utf-8")
    with pytest.raises(ValueError, match=re.escape(message)):
        not_org_acronyms(path)
