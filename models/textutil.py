"""Small text helpers shared by the extractors: script normalization and sentence spans."""

from __future__ import annotations

import functools
import re

import opencc

_SENT = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+|\n|$)")
# A full stop ends a sentence unless it ends an abbreviation (St. James' Settlement, Dr. Wang)
# or an initial (Wallace H. Coulter Foundation, U.S. Fund).
_EN_SENT = re.compile(
    r"(?<=[.!?])(?<!\bSt\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bNo\.)(?<!\bCo\.)"
    r"(?<!\bMrs\.)(?<!\bInc\.)(?<!\bLtd\.)(?<!\bJr\.)(?<!\bProf\.)(?<!\b[A-Z]\.)"
    r"\s+(?=[A-Z“\"])"
)


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.cache
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def simplify(text: str) -> str:
    """Traditional to simplified, same length as the input so offsets carry over."""
    out = _t2s().convert(text)
    if len(out) != len(text):
        conv = _t2s().convert
        out = "".join(c if len(s := conv(c)) != 1 else s for c in text)
    return out


def traditional(text: str) -> str:
    return _s2t().convert(text)


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) for Chinese and English text."""
    spans: list[tuple[int, int]] = []
    for m in _SENT.finditer(text):
        if m.end() == m.start():
            continue
        start = m.start()
        for piece in _EN_SENT.split(m.group(0)):
            idx = text.find(piece, start)
            if piece.strip():
                spans.append((idx, idx + len(piece)))
            start = idx + len(piece)
    return spans


def detect_lang(text: str) -> str:
    """zh-Hans, zh-Hant, en or und, from the characters of the text."""
    cjk = re.findall(r"[\u3400-\u9fff]", text[:5000])
    latin = len(re.findall(r"[A-Za-z]", text[:5000]))
    if cjk and len(cjk) * 10 >= latin:
        joined = "".join(cjk)
        changed = sum(a != b for a, b in zip(joined, simplify(joined), strict=True))
        return "zh-Hant" if changed / len(joined) > 0.02 else "zh-Hans"
    return "en" if latin else "und"
