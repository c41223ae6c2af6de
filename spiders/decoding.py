"""Decode page bytes to text from the content itself, never from the declared charset alone.

UTF-8 is tried first (it almost never decodes non-UTF-8 CJK bytes without error). Otherwise every
candidate legacy encoding that decodes is scored by how many adjacent Chinese character pairs
form words of jieba's dictionary (after a traditional-to-simplified mapping): right decodings read
as words, wrong ones as noise.
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass

import opencc

CANDIDATES = ("gb18030", "big5hkscs")
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "utf8": "utf-8",
}
_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\x7fELF",
    b"MZ",
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_PAIR = re.compile(r"(?=([\u4e00-\u9fff]{2}))")
_SAMPLE = 6000


class BinaryContent(ValueError):
    """The bytes are not text (an image, an archive, random data)."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    declared: str | None
    trimmed_bytes: int = 0


def normalize_encoding(name: str | None) -> str | None:
    """Map a declared charset label to the codec qun decodes it with (None if unknown)."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def looks_binary(body: bytes) -> bool:
    """True for bytes that are clearly not an HTML or text document."""
    head = body[:4096]
    if head.lstrip().startswith(_MAGIC) or body.startswith(_MAGIC):
        return True
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and controls / len(head) > 0.05


def _strict(body: bytes, encoding: str) -> tuple[str, int] | None:
    """Decode strictly; tolerate only an incomplete multi-byte sequence cut off at the end."""
    try:
        return body.decode(encoding), 0
    except UnicodeDecodeError as exc:
        if exc.start >= len(body) - 3:
            try:
                return body[: exc.start].decode(encoding), len(body) - exc.start
            except UnicodeDecodeError:
                return None
        return None


_COMMON_WORD = re.compile(r"^(\S{2,}) \d{3,} ", re.M)  # jieba dictionary words, frequency >= 100


@functools.cache
def _word_pairs() -> frozenset[str]:
    """Adjacent character pairs inside common words of jieba's dictionary (~33,000 pairs)."""
    import jieba

    with jieba.get_dict_file() as fh:  # type: ignore[no-untyped-call]
        words = _COMMON_WORD.findall(fh.read().decode("utf-8"))
    return frozenset(w[i : i + 2] for w in words for i in range(len(w) - 1))


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def plausibility(text: str) -> float:
    """Share of adjacent CJK pairs in a text that are pairs inside dictionary words."""
    sample = "".join(_CJK.findall(text))[:_SAMPLE]
    sample = _t2s().convert(sample)
    pairs = [m.group(1) for m in _CJK_PAIR.finditer(sample)]
    if not pairs:
        return 0.0
    known = _word_pairs()
    return sum(p in known for p in pairs) / len(pairs)


def decode(body: bytes, declared: str | None = None) -> Decoded:
    """Decode HTML or text bytes; raise BinaryContent for bytes that are not text."""
    if looks_binary(body):
        raise BinaryContent("binary content where text was expected")
    norm = normalize_encoding(declared)
    if body.startswith(codecs.BOM_UTF8):
        return Decoded(body[3:].decode("utf-8", errors="replace"), "utf-8", declared)
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoded(body.decode("utf-16", errors="replace"), "utf-16", declared)
    utf8 = _strict(body, "utf-8")
    if utf8 is not None:
        return Decoded(utf8[0], "utf-8", declared, utf8[1])
    order = [norm] if norm and norm not in ("utf-8", *CANDIDATES) else []
    order += [c for c in CANDIDATES if c != norm]
    if norm in CANDIDATES:
        order.insert(0, norm)
    scored: list[tuple[float, int, str, str, int]] = []
    for rank, enc in enumerate(order):
        got = _strict(body, enc)
        if got is not None:
            scored.append((plausibility(got[0]), -rank, enc, got[0], got[1]))
    if not scored:
        # Nothing decodes cleanly: fall back to the most plausible lossy decoding, counted.
        for rank, enc in enumerate(order or list(CANDIDATES)):
            text = body.decode(enc, errors="replace")
            bad = text.count("\ufffd")
            scored.append((plausibility(text) - bad / max(len(text), 1), -rank, enc, text, 0))
    scored.sort(reverse=True)
    _, _, enc, text, trimmed = scored[0]
    return Decoded(text, enc, declared, trimmed)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset a page declares: HTTP Content-Type first, then a <meta> tag."""
    if content_type:
        m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", content_type, re.I)
        if m:
            return m.group(1)
    m = _META_CHARSET.search(body[:4096])
    return m.group(1).decode("ascii", "replace") if m else None
