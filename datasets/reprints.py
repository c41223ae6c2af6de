"""Exact and near-duplicate detection across crawled documents.

Exact: same content hash. Near (reprints, 转载): candidates share a 16-bit SimHash band or a
normalized title, and are confirmed when most of the shorter text's character 4-grams occur in
the longer one. The earliest document is the original; the others point to it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

CONTAINMENT = 0.8  # share of the shorter text's 4-grams found in the longer one
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class DocPrint:
    doc_id: str
    published_at: str | None
    content_hash: str
    simhash: int
    title: str
    text: str  # simplified text


def _grams(text: str, k: int = 4) -> set[str]:
    s = _NON_WORD.sub("", text.lower())
    return {s[i : i + k] for i in range(max(len(s) - k + 1, 1))}


def containment(a: str, b: str) -> float:
    ga, gb = _grams(a), _grams(b)
    small, large = (ga, gb) if len(ga) <= len(gb) else (gb, ga)
    return len(small & large) / len(small) if small else 0.0


def _bands(value: int) -> list[tuple[int, int]]:
    v = value & ((1 << 64) - 1)
    return [(i, (v >> (16 * i)) & 0xFFFF) for i in range(4)]


def link_duplicates(docs: Iterable[DocPrint]) -> dict[str, str]:
    """Map each duplicate's doc_id to its original's doc_id (originals are not in the map)."""
    ordered = sorted(docs, key=lambda d: (d.published_at or "9999-99-99", d.doc_id))
    by_hash: dict[str, str] = {}
    by_band: dict[tuple[int, int], list[DocPrint]] = defaultdict(list)
    by_title: dict[str, list[DocPrint]] = defaultdict(list)
    links: dict[str, str] = {}
    for doc in ordered:
        original = by_hash.get(doc.content_hash)
        if original is None:
            title = _NON_WORD.sub("", doc.title.lower())
            candidates = {c.doc_id: c for band in _bands(doc.simhash) for c in by_band[band]}
            candidates.update({c.doc_id: c for c in by_title.get(title, [])} if title else {})
            for cand in sorted(candidates.values(), key=lambda c: (c.published_at or "", c.doc_id)):
                if containment(doc.text, cand.text) >= CONTAINMENT:
                    original = links.get(cand.doc_id, cand.doc_id)
                    break
        if original is not None:
            links[doc.doc_id] = original
            continue
        by_hash[doc.content_hash] = doc.doc_id
        for band in _bands(doc.simhash):
            by_band[band].append(doc)
        title = _NON_WORD.sub("", doc.title.lower())
        if title:
            by_title[title].append(doc)
    return links
