"""Money amounts in Chinese and English text: 3000万元, 1.2亿元, 五百万元, 港幣5,000萬元,
200万美元, RMB 10 million, $1.5 million, 45 million yuan, HK$, US$, ¥, €; 逾/近/超过/over/nearly
mark an approximate amount. Values are in units of the currency; `to_cny` converts with the
fixed rates of `data/fx_rates.yaml`."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from qun.models.textutil import simplify

RATES = Path(__file__).with_name("data") / "fx_rates.yaml"


@dataclass(frozen=True)
class Amount:
    start: int
    end: int
    text: str
    value: float
    currency: str
    approximate: bool


_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    # formal numerals of cheques and grant agreements (叁拾伍万元整)
    "壹": 1,
    "贰": 2,
    "叁": 3,
    "参": 3,
    "肆": 4,
    "伍": 5,
    "陆": 6,
    "柒": 7,
    "捌": 8,
    "玖": 9,
}
_ZH_SMALL = {"十": 10, "百": 100, "千": 1000, "拾": 10, "佰": 100, "仟": 1000}
_ZH_BIG = {"万": 10_000, "亿": 100_000_000}
_ZH_NUM_START = "".join(_ZH_DIGITS) + "".join(_ZH_SMALL)  # a numeral cannot start with 万/亿
_ZH_NUM_CHARS = _ZH_NUM_START + "".join(_ZH_BIG)


def parse_zh_number(text: str) -> float | None:
    """五百万 -> 5000000, 一亿二千万 -> 120000000, 三十 -> 30, 千万 -> 10000000."""
    if not text or any(c not in _ZH_NUM_CHARS for c in text):
        return None
    total, section, digit = 0, 0, None
    for char in text:
        if char in _ZH_DIGITS:
            digit = _ZH_DIGITS[char]
        elif char in _ZH_SMALL:
            section += (1 if digit is None else digit) * _ZH_SMALL[char]
            digit = None
        else:  # 万 or 亿
            unit = _ZH_BIG[char]
            section += digit or 0
            if section == 0:
                section = 1
            if unit == 100_000_000:
                total = (total + section) * unit
            else:
                total += section * unit
            section, digit = 0, None
    return float(total + section + (digit or 0))


_APPROX_ZH = r"(?P<approx>逾|近|超过|超|约|大约|将近|接近|不少于|至少|多达|达)?"
_CUR_BEFORE = (
    r"(?P<cur1>港币|港元|港幣|新台币|新台幣|台币|人民币|人民幣|美元|欧元|澳门元|澳门币|澳門幣|"
    r"MOP\$|MOP|HK\$|US\$|NT\$|RMB|CNY|USD|HKD|EUR|￥|¥|\$|€|£)?\s*"
)
_NUM = (
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    rf"[{_ZH_NUM_START}][{_ZH_NUM_CHARS}]*)"
)
_UNIT_ZH = r"(?P<more1>余|多)?(?P<unit>万亿|千万|百万|十万|万|亿|千)?"
_MORE = r"(?P<more>余|多)?"
_CUR_AFTER = (
    r"(?P<cur2>美元|港元|港币|港幣|欧元|歐元|英镑|日元|新台币|新台幣|台币|澳门元|澳门币|元人民币|"
    r"元人民幣|元|块)(?P<rmb>人民币|人民幣)?"
)
ZH_AMOUNT = re.compile(_APPROX_ZH + _CUR_BEFORE + _NUM + _UNIT_ZH + _MORE + r"\s*" + _CUR_AFTER)
ZH_AMOUNT_PREFIXED = re.compile(  # ¥50万, 港币5000万 (a currency before, none after)
    _APPROX_ZH
    + r"(?P<cur1>港币|港元|港幣|新台币|新台幣|人民币|人民幣|澳门元|澳门币|"
    + r"HK\$|US\$|NT\$|MOP\$|RMB|￥|¥|\$|€)\s*"
    + _NUM
    + _UNIT_ZH
    + _MORE
    + r"(?![\d元])"
)
EN_AMOUNT = re.compile(
    r"(?P<approx>\b(?:over|more than|nearly|almost|about|around|approximately|roughly|some|"
    r"up to|at least|close to)\s+)?"
    r"(?:(?P<cur1>HK\$|US\$|NT\$|MOP\$|MOP|RMB|CNY|USD|HKD|EUR|GBP|¥|\$|€|£)\s?)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>million|billion|thousand|mn|bn|m|k)\b)?"
    r"(?:\s+(?P<cur2>yuan|renminbi|RMB|US dollars|dollars|Hong Kong dollars|HK dollars|"
    r"euros|pounds|NT dollars|patacas))?",
    re.I,
)
_CURRENCY = {
    "港币": "HKD",
    "港元": "HKD",
    "港幣": "HKD",
    "HK$": "HKD",
    "HKD": "HKD",
    "HONG KONG DOLLARS": "HKD",
    "HK DOLLARS": "HKD",
    "新台币": "TWD",
    "新台幣": "TWD",
    "台币": "TWD",
    "NT$": "TWD",
    "NT DOLLARS": "TWD",
    "人民币": "CNY",
    "人民幣": "CNY",
    "RMB": "CNY",
    "CNY": "CNY",
    "￥": "CNY",
    "¥": "CNY",
    "元": "CNY",
    "块": "CNY",
    "元人民币": "CNY",
    "元人民幣": "CNY",
    "YUAN": "CNY",
    "RENMINBI": "CNY",
    "美元": "USD",
    "US$": "USD",
    "USD": "USD",
    "$": "USD",
    "US DOLLARS": "USD",
    "DOLLARS": "USD",
    "欧元": "EUR",
    "歐元": "EUR",
    "€": "EUR",
    "EUR": "EUR",
    "EUROS": "EUR",
    "英镑": "GBP",
    "£": "GBP",
    "GBP": "GBP",
    "POUNDS": "GBP",
    "日元": "JPY",
    "澳门元": "MOP",
    "澳门币": "MOP",
    "澳門幣": "MOP",
    "MOP": "MOP",
    "MOP$": "MOP",
    "PATACAS": "MOP",
}
_SCALE = {
    "万亿": 1e12,
    "千万": 1e7,
    "百万": 1e6,
    "十万": 1e5,
    "万": 1e4,
    "亿": 1e8,
    "千": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "thousand": 1e3,
    "k": 1e3,
}


def _number(num: str) -> float | None:
    if re.fullmatch(r"[\d,]+(?:\.\d+)?", num):
        return float(num.replace(",", ""))
    return parse_zh_number(num)


def _currency(*names: str | None) -> str | None:
    for name in names:
        if name:
            return _CURRENCY.get(name.upper() if name.isascii() else name)
    return None


def find_amounts(text: str) -> list[Amount]:
    """Money amounts with offsets into `text`, left to right, never overlapping; only positive,
    finite values (0元 is no money, and a 400-digit number is no amount)."""
    norm = simplify(text)
    found: list[Amount] = []
    bare: set[int] = set()  # amounts whose only currency word is 元 or 块
    for rx in (ZH_AMOUNT, ZH_AMOUNT_PREFIXED):
        for m in rx.finditer(norm):
            value = _number(m.group("num"))
            cur2 = m.groupdict().get("cur2")
            currency = _currency(
                m.group("cur1"),
                "元人民币" if m.groupdict().get("rmb") else None,
                cur2 if cur2 not in ("元", "块") else None,
                cur2,
            )
            if value is None or currency is None:
                continue
            value *= _SCALE.get(m.group("unit") or "", 1)
            if not 0 < value < math.inf:
                continue
            start = m.start("approx") if m.group("approx") else m.start()
            start += len(norm[start : m.end()]) - len(norm[start : m.end()].lstrip())
            if re.search(r"单位\s*[：:]?\s*$", norm[max(0, start - 5) : start]):
                continue  # （单位：千元）: a table's unit, no amount
            approx = m.group("approx") or m.group("more") or m.group("more1")
            if not m.group("cur1") and not m.groupdict().get("rmb") and cur2 in ("元", "块"):
                bare.add(start)
            found.append(
                Amount(start, m.end(), text[start : m.end()], value, currency, bool(approx))
            )
    for m in EN_AMOUNT.finditer(norm):
        if not (m.group("cur1") or m.group("cur2")):
            continue
        value = _number(m.group("num"))
        if value is None:
            continue
        value *= _SCALE.get((m.group("scale") or "").lower(), 1)
        if not 0 < value < math.inf:
            continue
        currency = _currency(m.group("cur1"), m.group("cur2"))
        if currency is None:
            continue
        start = m.start("approx") if m.group("approx") else m.start()
        found.append(
            Amount(
                start,
                m.end(),
                text[start : m.end()].rstrip(),
                value,
                currency,
                bool(m.group("approx")),
            )
        )
    for m in _FIELD_AMOUNT.finditer(norm):  # "Amount: 300,000 | Currency: USD" (grant tables)
        value = _number(m.group("num"))
        currency = _currency(m.group("cur"))
        if value and currency and 0 < value < math.inf:
            found.append(
                Amount(
                    m.start("num"),
                    m.end("num"),
                    text[m.start("num") : m.end("num")],
                    value,
                    currency,
                    False,
                )
            )
    unit = _TABLE_UNIT.search(norm)
    if unit:  # （单位：千元）… | 5,000: a table's cells in its declared unit
        scale = _SCALE.get(unit.group("unit"), 1) * (1000 if unit.group("k") else 1)
        for m in _TABLE_CELL.finditer(norm, unit.end()):
            value = _number(m.group("num"))
            if value and 0 < value * scale < math.inf:
                found.append(
                    Amount(
                        m.start("num"),
                        m.end("num"),
                        text[m.start("num") : m.end("num")],
                        value * scale,
                        "CNY",
                        False,
                    )
                )
    found.sort(key=lambda a: (a.start, -(a.end - a.start)))
    kept: list[Amount] = []
    for amount in found:
        if not kept or amount.start >= kept[-1].end:
            prev = kept[-1] if kept else None
            if (
                prev is not None
                and amount.start in bare
                and prev.currency != amount.currency
                and _JOINED.fullmatch(norm, prev.end, amount.start)
            ):
                # 澳門幣500萬元及300萬元: the second amount is in the first one's currency
                amount = replace(amount, currency=prev.currency)
            kept.append(amount)
    return _in_the_text_s_currency(kept, bare)


_LOCAL_DOLLARS = {"TWD", "HKD", "MOP"}


def _in_the_text_s_currency(amounts: list[Amount], bare: set[int]) -> list[Amount]:
    """Bare 元 in a text that names one of the local dollars (新臺幣, 港元, 澳門幣) and no other
    currency is that dollar: a Taiwanese report's 300萬元 after its 新臺幣一千萬元."""
    named = {a.currency for a in amounts if a.start not in bare}
    local = named & _LOCAL_DOLLARS
    if len(local) != 1 or named - local:
        return amounts
    currency = local.pop()
    return [replace(a, currency=currency) if a.start in bare else a for a in amounts]


_FIELD_AMOUNT = re.compile(
    r"(?:amount|金额)\s*[:：]\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*[|｜;；,，]\s*"
    r"(?:currency|币种|貨幣|货币)\s*[:：]\s*(?P<cur>[A-Z]{3})\b",
    re.I,
)
_TABLE_UNIT = re.compile(r"单位\s*[：:]\s*(?:人民币)?(?P<k>千)?(?P<unit>万|亿)?元")
_TABLE_CELL = re.compile(
    r"[|｜]\s*(?!(?:19|20)\d{2}\s*(?:$|[|｜；;。\n]))(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?=$|[|｜；;。\n])"
)
_JOINED = re.compile(r"\s*(?:及|和|与|、|，|,|或|至|到|和|以及|and|or|to|-|～|~)\s*", re.I)


@functools.cache
def _rates() -> dict[str, float]:
    data = yaml.safe_load(RATES.read_text("utf-8"))
    return {k: float(v) for k, v in data["to_cny"].items()}


def to_cny(value: float, currency: str) -> float | None:
    """The amount in CNY at the fixed rate for its currency (None for unknown currencies)."""
    rate = _rates().get(currency)
    return None if rate is None else round(value * rate, 2)
