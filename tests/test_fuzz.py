"""Property-based tests (hypothesis) of the parsers that read untrusted text: amounts, dates,
decoding, the `qun extract` contract; and a CI-sized fuzz run of the HTML and PDF to text path
with the generator of benchmarks/fuzz_extract.py (which runs 10,000 inputs)."""

from __future__ import annotations

import csv
import json
import math
import os
import random
import re
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.fuzz_extract import fuzz
from qun.flows.cli import extract_line
from qun.models.amounts import find_amounts, parse_zh_number
from qun.models.textutil import traditional
from qun.spiders import decoding
from qun.spiders.dates import MAX_YEAR, MIN_YEAR, date_from_url, parse_date
from tests.conftest import ROOT, qun

# crawls, runs or builds of the whole pipeline: left out by `make test-fast`
pytestmark = pytest.mark.e2e

# CI runs the same examples every time; locally hypothesis explores and remembers failures.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

FAST = settings(max_examples=200, deadline=None)
SLOW = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # whole-document extraction per example

SCHEMA = json.loads((ROOT / "models" / "data" / "extract.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _corpus_pieces() -> tuple[list[str], list[str]]:
    manifest = json.loads((ROOT / "spiders/sample_site/manifest.json").read_text("utf-8"))
    sentences: list[str] = []
    for doc in manifest["documents"][::4]:
        sentences += [s for s in re.split(r"(?<=[。！？.!?])\s*", doc["text"] or "") if s][:6]
    with (ROOT / "models" / "data" / "gazetteer.tsv").open(encoding="utf-8") as fh:
        names = [r["name_zh"] or r["name_en"] for r in csv.DictReader(fh, delimiter="\t")]
    return sentences, names[::5]


SENTENCES, ORG_NAMES = _corpus_pieces()
# fmt: off
AMOUNT_TEXTS = ["300万元", "1.2亿元", "五百万元", "港幣5,000萬元", "200万美元", "RMB 10 million",
                "$1.5 million", "45 million yuan", "逾3000万元", "0元", "¥0.0", "1e9元"]
# fmt: on
AMOUNT_TEXTS += ["9" * 400 + "元", "9" * 300 + "亿元", "9" * 305 + " billion dollars"]
ODD = ["\x00", "\r", "\u2028", "\u200b", "\ufeff", "\U0001f600", "\u0301", "\ufffd", "０", "\t"]
CONCEPTS = ["集合影响力", "共同议程", "collective impact", "backbone organization", "骨干组织"]

piece = st.one_of(
    st.text(max_size=30),
    st.sampled_from(SENTENCES),
    st.sampled_from(ORG_NAMES),
    st.sampled_from(AMOUNT_TEXTS),
    st.sampled_from(ODD),
    st.sampled_from(CONCEPTS),
    st.sampled_from(["。", "，", "向", "捐赠", "与", "合作", " and ", " donated ", " to "]),
)
sector_text = st.lists(piece, max_size=14).map("".join)
any_text = st.one_of(st.text(), sector_text, sector_text.map(traditional))


# ---- amounts -----------------------------------------------------------------------------------
@FAST
@given(any_text)
def test_amounts_in_any_text_are_exact_spans(text: str):
    found = find_amounts(text)
    for a in found:
        assert 0 <= a.start < a.end <= len(text)
        assert a.text == text[a.start : a.end].rstrip()
        assert 0 < a.value < math.inf
        assert re.fullmatch(r"[A-Z]{3}", a.currency)
    assert all(x.end <= y.start for x, y in zip(found, found[1:], strict=False))


def zh_numeral(n: int) -> str:
    """An integer below 10^12 written in Chinese numerals (一千零五, 三亿零二十万)."""
    digits, units = "零一二三四五六七八九", ["", "十", "百", "千"]

    def section(x: int) -> str:
        out, zero = "", False
        for power in (3, 2, 1, 0):
            d = x // 10**power % 10
            if d:
                out += ("零" if zero and out else "") + digits[d] + units[power]
                zero = False
            else:
                zero = True
        return out

    if n == 0:
        return "零"
    parts = [(n // 10**8, "亿"), (n // 10**4 % 10**4, "万"), (n % 10**4, "")]
    out, gap = "", False
    for value, unit in parts:
        if value:
            out += ("零" if gap and out else "") + section(value) + unit
            gap = value < 1000
        else:
            gap = True
    return out


@FAST
@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_chinese_numerals_parse_to_their_value(n: int):
    assert parse_zh_number(zh_numeral(n)) == n


@FAST
@given(
    st.integers(min_value=1, max_value=99_999),
    st.sampled_from(
        [
            ("万元", 1e4, "CNY"),
            ("亿元", 1e8, "CNY"),
            ("万美元", 1e4, "USD"),
            ("元", 1, "CNY"),
            ("万港元", 1e4, "HKD"),
        ]
    ),  # fmt: skip
    st.sampled_from(["", "向基金会捐赠", "The gift of "]),
)
def test_written_amounts_parse_to_their_value(n: int, unit: tuple, before: str):
    suffix, scale, currency = unit
    text = f"{before}{n}{suffix}，用于助学。"
    found = find_amounts(text)
    assert [(a.value, a.currency) for a in found] == [(n * scale, currency)]
    assert found[0].text == f"{n}{suffix}"


# ---- dates -------------------------------------------------------------------------------------
@FAST
@given(any_text)
def test_parse_date_of_any_text_is_none_or_in_range(text: str):
    got = parse_date(text)
    assert got is None or MIN_YEAR <= got.year <= MAX_YEAR


MONTHS = "January February March April May June July August September October November December"


@FAST
@given(
    st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31)), st.integers(0, 5)
)
def test_dates_in_every_format_parse_back(d: date, fmt: int):
    month = MONTHS.split()[d.month - 1]
    text = [
        f"{d:%Y-%m-%d}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year} 年 {d.month:02d} 月 {d.day:02d} 号",
        f"{d.day} {month} {d.year}",
        f"{month} {d.day}, {d.year}",
        f"{d:%Y/%m/%d} 10:00",
    ][fmt]
    assert parse_date(f"发布时间：{text}") == d
    url = f"https://x.example/news/{d:%Y/%m/%d}/a.html"
    assert date_from_url(url) == (d if d.year < 2100 else None)  # URLs: years 19xx and 20xx


# ---- decoding ----------------------------------------------------------------------------------
@FAST
@given(st.binary(max_size=3000), st.sampled_from([None, "gbk", "big5", "utf-8", "bogus", ""]))
def test_decode_any_bytes_gives_text_or_says_binary(body: bytes, declared: str | None):
    try:
        got = decoding.decode(body, declared)
    except decoding.BinaryContent:
        return
    assert isinstance(got.text, str) and got.encoding
    assert 0 <= got.trimmed_bytes <= 3


@FAST
@given(st.text(), st.sampled_from([None, "gbk", "big5", "utf-8"]))
def test_utf8_text_decodes_to_itself(text: str, declared: str | None):
    body = text.encode("utf-8")
    try:
        got = decoding.decode(body, declared)
    except decoding.BinaryContent:
        assert decoding.looks_binary(body)
        return
    assert got.text == text.removeprefix("\ufeff")


zh_sentences = [s for s in SENTENCES if re.search(r"[\u4e00-\u9fff]{8}", s)]


@FAST
@given(
    st.lists(st.sampled_from(zh_sentences), min_size=2, max_size=6),
    st.sampled_from(["gb18030", "big5hkscs"]),
    st.sampled_from([None, "gbk", "big5", "utf-8", "iso-8859-1"]),
)
def test_chinese_in_legacy_encodings_decodes_back(sentences: list[str], enc: str, declared):
    text = "".join(sentences)
    if enc == "big5hkscs":
        text = traditional(text)
    try:
        body = text.encode(enc)
    except UnicodeEncodeError:
        return  # a character the legacy encoding cannot hold: not a page anyone could serve
    got = decoding.decode(body, declared)
    assert (got.text, got.encoding) == (text, enc)


@FAST
@given(st.one_of(st.none(), st.text(max_size=60)), st.binary(max_size=300))
def test_declared_charset_of_anything(content_type: str | None, body: bytes):
    declared = decoding.declared_charset(body, content_type)
    assert declared is None or isinstance(declared, str)
    assert decoding.normalize_encoding(declared) is None or decoding.normalize_encoding(declared)


# ---- the `qun extract` contract ----------------------------------------------------------------
def check_contract(text: str, out: dict) -> None:
    json.dumps(out, allow_nan=False)  # strict JSON: no NaN or Infinity
    errors = [e.message for e in VALIDATOR.iter_errors(out)]
    assert not errors, errors
    assert "error" not in out
    n = len(text)
    for m in out["organizations"] + out["concepts"]:
        assert 0 <= m["start"] < m["end"] <= n
        assert text[m["start"] : m["end"]] == m["text"]
    for rel in out["funding"] + out["partnerships"]:
        ev = rel["evidence"]
        assert 0 <= ev["start"] <= ev["end"] <= n
    for f in out["funding"]:
        assert f["amount_text"] in text
        for org in (f["funder"], f["recipient"]):
            assert org is None or org["text"] in text
    for p in out["partnerships"]:
        assert all(o["text"] in text for o in p["orgs"])


@SLOW
@given(any_text, st.one_of(st.none(), st.text(max_size=5), st.integers()))
def test_extract_contract_holds_for_any_text(text: str, rid):
    out = extract_line(json.dumps({"id": rid, "text": text}))
    assert out["id"] == (rid if rid is None or isinstance(rid, str) else str(rid))
    check_contract(text, out)


def test_qun_extract_command_keeps_the_contract_on_generated_lines(tmp_path: Path):
    """The same through the command and its files (reading, writing, encodings of lines)."""
    rng = random.Random(8)
    pool = SENTENCES + ORG_NAMES + AMOUNT_TEXTS + ODD + CONCEPTS
    texts = ["".join(rng.choices(pool, k=rng.randint(0, 12))) for _ in range(120)]
    texts += [traditional(t) for t in texts[:30]] + ["", " ", "\u2028\u2029", "\r\n"]
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)), "utf-8"
    )
    out = tmp_path / "out.jsonl"
    qun("extract", "--jsonl", str(src), "--out", str(out), "--quiet")
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == len([t for t in texts])
    for line in lines:
        record = json.loads(line)
        check_contract(texts[int(record["id"])], record)


# ---- HTML and PDF to text ----------------------------------------------------------------------
@pytest.mark.parametrize("seed", [11])
def test_html_and_pdf_to_text_survive_500_mutated_inputs(seed: int):
    result = fuzz(500, seed)
    assert result["crashes"] == 0, result["crash_details"][:3]
    assert sum(result["outcomes"].values()) == 500
    assert any(k.startswith("pdf:") for k in result["outcomes"])
