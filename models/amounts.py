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


_NUMBER_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?|.")


def parse_zh_number(text: str) -> float | None:
    """五百万 -> 5000000, 一亿二千万 -> 120000000, 三十 -> 30, 千万 -> 10000000, and numbers that
    mix digits with units: 4万7200 -> 47200, 2,763万4,000 -> 27634000, 3千7百万 -> 37000000."""
    if not text:
        return None
    total, section, digit = 0.0, 0.0, None
    for tok in _NUMBER_TOKEN.findall(text):
        if tok[0].isdigit():
            digit = float(tok.replace(",", ""))
        elif tok in _ZH_DIGITS:
            digit = _ZH_DIGITS[tok]
        elif tok in _ZH_SMALL:
            section += (1 if digit is None else digit) * _ZH_SMALL[tok]
            digit = None
        elif tok in _ZH_BIG:
            unit = _ZH_BIG[tok]
            section += digit or 0
            if section == 0:
                section = 1
            if unit == 100_000_000:
                total = (total + section) * unit
            else:
                total += section * unit
            section, digit = 0, None
        else:
            return None
    return float(total + section + (digit or 0))


CURRENCIES = Path(__file__).with_name("data") / "currencies.yaml"
_BARE_YUAN = ("元", "块")
_BARE_DOLLAR = "$"


@dataclass(frozen=True)
class _Tables:
    """The currency forms of data/currencies.yaml, and the patterns built from them."""

    names: dict[str, str]  # written form (ASCII upper-cased) -> ISO code
    cues: dict[str, tuple[re.Pattern[str], frozenset[str]]]  # code -> (place names, scripts)
    zh: re.Pattern[str]
    zh_prefixed: re.Pattern[str]
    en: re.Pattern[str]


def _key(form: str) -> str:
    return form.upper() if form.isascii() else form


def _alternation(forms: list[str]) -> str:
    """Longest first; a form that starts with a Latin letter does not start inside a word."""
    out = []
    for form in sorted(set(forms), key=lambda f: (-len(f), f)):
        esc = re.escape(form)
        out.append(rf"(?<![A-Za-z]){esc}" if form[0].isascii() and form[0].isalpha() else esc)
    return "|".join(out)


_APPROX_ZH = r"(?P<approx>逾|近|超过|超|约|大约|将近|接近|不少于|至少|多达|达)?"
_NUM = (
    r"(?P<num>\d[\d,]*(?:\.\d+)?[千百十万亿](?:\d[\d,]*(?:\.\d+)?[千百十万亿]?)+|"
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    rf"[{_ZH_NUM_START}][{_ZH_NUM_CHARS}]*)"
)
_UNIT_ZH = r"(?P<more1>余|多)?(?P<unit>万亿|千万|百万|十万|万|亿|千)?"
_MORE = r"(?P<more>余|多)?"
_EN_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "half a": 0.5,
}  # fmt: skip
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


@functools.cache
def _tables(path: Path = CURRENCIES) -> _Tables:
    """The currency tables; a ValueError naming the entry when one is malformed, names a form
    another currency has, or is not read as its own examples."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    names: dict[str, str] = {}
    forms: dict[str, list[str]] = {"zh_before": [], "zh_after": [], "en_before": [], "en_after": []}
    cues: dict[str, tuple[re.Pattern[str], frozenset[str]]] = {}
    examples: list[tuple[str, str]] = []
    for n, entry in enumerate(data.get("currencies") or []):
        code = entry.get("code") if isinstance(entry, dict) else None
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"{path}: currency #{n + 1} needs a three-letter code")
        for field_name, listed in forms.items():
            for form in entry.get(field_name) or []:
                if not isinstance(form, str) or not form.strip():
                    raise ValueError(f"{path}: {code}: {field_name} has an empty form")
                held = names.setdefault(_key(form), code)
                if held != code:
                    raise ValueError(f"{path}: {code}: {form!r} is already {held}'s")
                listed.append(form)
        if entry.get("cues"):
            scripts = frozenset(entry.get("cue_scripts") or ("simplified", "traditional", "en"))
            cues[code] = (re.compile(_alternation(entry["cues"]), re.I), scripts)
        examples += [(str(x), code) for x in entry.get("examples") or []]
    words = "|".join(sorted(_EN_WORDS, key=len, reverse=True))
    # what an amount can start with: a cheap test before the alternations at each position
    zh_first = _lookahead(
        set("逾近超约大将接不至多达0123456789" + _ZH_NUM_START) | {f[0] for f in forms["zh_before"]}
    )
    en_first = _lookahead(
        set("omnarsuch0123456789")  # over, more than, nearly … close to; digits
        | {f[0] for f in forms["en_before"]}
        | {w[0] for w in _EN_WORDS}
    )
    tables = _Tables(
        names,
        cues,
        zh=re.compile(
            zh_first
            + _APPROX_ZH
            + rf"(?P<cur1>{_alternation(forms['zh_before'])})?\s*"
            + _NUM
            + _UNIT_ZH
            + _MORE
            + r"\s*"
            + rf"(?P<cur2>{_alternation(forms['zh_after'])})"
        ),
        zh_prefixed=re.compile(  # ¥50万, 港币5000万 (a currency before, none after)
            zh_first
            + _APPROX_ZH
            + rf"(?P<cur1>{_alternation(forms['zh_before'])})\s*"
            + _NUM
            + _UNIT_ZH
            + _MORE
            + r"(?![\d元])"
        ),
        en=re.compile(
            en_first + r"(?P<approx>\b(?:over|more than|nearly|almost|about|around|approximately|"
            r"roughly|some|up to|at least|close to)\s+)?"
            rf"(?:(?P<cur1>{_alternation(forms['en_before'])})\s?)?"
            rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\b(?:{words})(?=\s+(?:million|billion|thousand)\b))"
            r"(?:[\s-]?(?P<scale>million|billion|thousand|mn|bn|m|k)\b)?"
            rf"(?:[\s-]+(?P<cur2>{_alternation(forms['en_after'])})\b)?",
            re.I,
        ),
    )
    for example, code in examples:
        got = [a.currency for a in _find(example, tables)]
        if got != [code]:
            raise ValueError(f"{path}: {code}: example {example!r} is read as {got or 'nothing'}")
    return tables


def _lookahead(chars: set[str]) -> str:
    """A lookahead for one of `chars`, in either case."""
    both = chars | {c.upper() for c in chars} | {c.lower() for c in chars}
    return "(?=[" + "".join(re.escape(c) for c in sorted(both)) + "])"


def _number(num: str) -> float | None:
    word = _EN_WORDS.get(num.lower())
    if word is not None:
        return float(word)
    if re.fullmatch(r"[\d,]+(?:\.\d+)?", num):
        return float(num.replace(",", ""))
    return parse_zh_number(num)


def _currency(names: dict[str, str], *forms: str | None) -> str | None:
    for form in forms:
        if form:
            return names.get(_key(form))
    return None


def find_amounts(text: str) -> list[Amount]:
    """Money amounts with offsets into `text`, left to right, never overlapping; only positive,
    finite values (0元 is no money, and a 400-digit number is no amount)."""
    return _find(text, _tables())


def _find(text: str, tables: _Tables) -> list[Amount]:
    norm = simplify(text)
    names = tables.names
    found: list[Amount] = []
    bare: set[int] = set()  # amounts whose only currency mark is 元, 块 or $
    for rx in (tables.zh, tables.zh_prefixed):
        for m in rx.finditer(norm):
            cur1, cur2 = m.group("cur1"), m.groupdict().get("cur2")
            currency = _currency(names, cur1 if cur1 != _BARE_DOLLAR or not cur2 else None, cur2)
            unit = m.group("unit") or ""
            value = parse_zh_number(m.group("num") + ("" if unit in ("万亿", "千万") else unit))
            if value is not None and unit in ("万亿", "千万"):
                value *= _SCALE[unit]
            if value is None or currency is None:
                continue
            value = round(value, 2)
            if not 0 < value < math.inf:
                continue
            start = m.start("approx") if m.group("approx") else m.start()
            start += len(norm[start : m.end()]) - len(norm[start : m.end()].lstrip())
            if re.search(r"单位\s*[：:]?\s*$", norm[max(0, start - 5) : start]):
                continue  # （单位：千元）: a table's unit, no amount
            approx = m.group("approx") or m.group("more") or m.group("more1")
            if (not cur1 and cur2 in _BARE_YUAN) or (cur1 == _BARE_DOLLAR and not cur2):
                bare.add(start)
            found.append(
                Amount(start, m.end(), text[start : m.end()], value, currency, bool(approx))
            )
    for m in tables.en.finditer(norm):
        cur1, cur2 = m.group("cur1"), m.group("cur2")
        if not (cur1 or cur2):
            continue
        value = _number(m.group("num"))
        if value is None:
            continue
        value = round(value * _SCALE.get((m.group("scale") or "").lower(), 1), 2)
        if not 0 < value < math.inf:
            continue
        currency = _currency(names, cur1 if cur1 != _BARE_DOLLAR or not cur2 else None, cur2)
        if currency is None:
            continue
        start = m.start("approx") if m.group("approx") else m.start()
        if cur1 == _BARE_DOLLAR and not cur2:
            bare.add(start)
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
        currency = _currency(names, m.group("cur"))
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
                bare.discard(amount.start)
            kept.append(amount)
    kept = _in_the_text_s_currency(text, norm, kept, bare, tables)
    return [
        a
        for i, a in enumerate(kept)
        if not (
            i
            and a.currency != kept[i - 1].currency
            and _EQUIVALENT_OPEN.fullmatch(norm, kept[i - 1].end, a.start)
            and _EQUIVALENT_CLOSE.match(norm, a.end)
        )
    ]  # HK$50 million (US$6.4 million), 6.5万美元（约合46万元）: one sum, written twice


def _script(text: str, norm: str) -> str:
    if not re.search(r"[\u3400-\u9fff]", text):
        return "en"
    return "traditional" if norm != text else "simplified"


def _in_the_text_s_currency(
    text: str, norm: str, amounts: list[Amount], bare: set[int], tables: _Tables
) -> list[Amount]:
    """Bare 元 and $ in a text's own dollar: the one local dollar it names (a Taiwanese
    report's 300萬元 after its 新臺幣一千萬元) when it names no other currency; else, when it
    names no currency but bare ones, the dollar of the one place it names (a cue of
    data/currencies.yaml: 新加坡, 大马, 香港 in traditional script …)."""
    if not bare:
        return amounts
    named = {a.currency for a in amounts if a.start not in bare}
    local = named & set(tables.cues)
    currency = None
    if len(local) == 1 and not named - local:
        currency = next(iter(local))
    elif not named:
        script = _script(text, norm)
        places = {
            code
            for code, (rx, scripts) in tables.cues.items()
            if script in scripts and (rx.search(norm) or rx.search(text))
        }
        if len(places) == 1:
            currency = places.pop()
    if currency is None:
        return amounts
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
_EQUIVALENT_OPEN = re.compile(
    r"\s*[（(]\s*(?:约合|折合|约|合|相当于|equivalent\s+to|about|approximately|approx\.|roughly|or)?\s*",
    re.I,
)
_EQUIVALENT_CLOSE = re.compile(r"\s*[）)]")


@functools.cache
def _rates() -> dict[str, float]:
    data = yaml.safe_load(RATES.read_text("utf-8"))
    return {k: float(v) for k, v in data["to_cny"].items()}


def to_cny(value: float, currency: str) -> float | None:
    """The amount in CNY at the fixed rate for its currency (None for unknown currencies)."""
    rate = _rates().get(currency)
    return None if rate is None else round(value * rate, 2)
