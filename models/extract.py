"""One call from text to records: the `qun extract` contract (organizations and concepts)."""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from qun.models.concepts import find_concepts
from qun.models.orgs import STATISTICAL_DEFAULT, OrgMention, find_orgs
from qun.models.relations import find_funding, find_partnerships
from qun.models.textutil import detect_lang, sentences

EXTRACTOR_VERSION = "0.8.20"  # bump when extraction output changes; recorded on every row


@dataclass(frozen=True)
class ExtractOptions:
    """What to extract; defaults suit the pipeline."""

    organizations: bool = True
    relations: bool = True
    concepts: bool = True
    statistical: tuple[str, ...] = tuple(sorted(STATISTICAL_DEFAULT))  # "en", "zh"


def _org(m: OrgMention | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"text": m.text, "org_id": m.org_id, "canonical": m.canonical, "type": m.type}


# Texts longer than this are read in windows of at most this many characters, cut at sentence
# ends: the work per window is bounded, so the cost grows linearly with the text (an annual
# report of several MB), and no window exceeds spaCy's length limit. Organizations, relations
# and concepts are found within sentences, so a text shorter than a window reads as before; in a
# longer one, only a reference back to a name in an earlier window is lost.
WINDOW_CHARS = 10_000


def windows(text: str, size: int | None = None) -> list[tuple[int, int]]:
    """(start, end) spans that tile `text`, each at most `size` (default WINDOW_CHARS)
    characters, ending at a sentence end where one falls inside it (else cut where the size
    runs out)."""
    size = size or WINDOW_CHARS
    if len(text) <= size:
        return [(0, len(text))]
    ends = [end for _, end in sentences(text)]
    out: list[tuple[int, int]] = []
    lo = 0
    while lo < len(text):
        limit = min(lo + size, len(text))
        i = bisect.bisect_right(ends, limit) - 1
        hi = ends[i] if limit < len(text) and i >= 0 and ends[i] > lo else limit
        out.append((lo, hi))
        lo = hi
    return out


def _shifted(record: Any, by: int, keys: frozenset[str]) -> Any:
    """`record` with every offset field (named in `keys`, at any depth) moved by `by`."""
    if isinstance(record, dict):
        return {
            k: v + by if k in keys and isinstance(v, int) else _shifted(v, by, keys)
            for k, v in record.items()
        }
    if isinstance(record, list):
        return [_shifted(v, by, keys) for v in record]
    return record


_OFFSETS = frozenset({"start", "end"})
_ROW_OFFSETS = frozenset({"start", "end", "amount_start", "evidence_start", "evidence_end"})


def extract(
    text: str,
    lang: str | None = None,
    options: ExtractOptions | None = None,
    budget: float | None = None,
) -> dict[str, Any]:
    """The `qun extract` record for one text: organizations, funding, partnerships and
    concepts, with character offsets into `text` (see models/data/extract.schema.json); a long
    text is read window by window (WINDOW_CHARS), within `budget` seconds (see document_rows)."""
    out: dict[str, Any] = {"lang": lang or detect_lang(text)}
    for lo, hi in _budgeted_windows(text, budget):
        found = _extract_window(text[lo:hi], options)
        for key, records in found.items():
            out.setdefault(key, []).extend(_shifted(records, lo, _OFFSETS))
    return out


def _extract_window(text: str, options: ExtractOptions | None) -> dict[str, Any]:
    opts = options or ExtractOptions()
    out: dict[str, Any] = {}
    orgs = find_orgs(text, statistical=opts.statistical)
    if opts.organizations:
        out["organizations"] = [
            {
                "text": m.text,
                "start": m.start,
                "end": m.end,
                "org_id": m.org_id,
                "canonical": m.canonical,
                "type": m.type,
            }
            for m in orgs
        ]
    if opts.relations:
        out["funding"] = [
            {
                "funder": _org(f.funder),
                "recipient": _org(f.recipient),
                "amount": f.amount.value,
                "currency": f.amount.currency,
                "amount_cny": f.amount_cny,
                "kind": f.kind,
                "method": f.method,
                "approximate": f.amount.approximate,
                "amount_text": f.amount.text,
                "evidence": {"start": f.evidence[0], "end": f.evidence[1]},
            }
            for f in find_funding(text, orgs)
        ]
        out["partnerships"] = [
            {
                "orgs": [_org(p.a), _org(p.b)],
                "relation": p.relation,
                "direction": p.direction,
                "method": p.method,
                "evidence": {"start": p.evidence[0], "end": p.evidence[1]},
            }
            for p in find_partnerships(text, orgs)
        ]
    if opts.concepts:
        out["concepts"] = [
            {
                "concept": c.concept,
                "text": c.text,
                "start": c.start,
                "end": c.end,
                "method": c.method,
                "rule": c.rule,
            }
            for c in find_concepts(text)
        ]
    return out


def evidence_sentence(
    text: str, start: int, end: int, spans: list[tuple[int, int]], limit: int = 300
) -> str:
    """The sentence around a span (clipped to `limit` characters), for evidence columns;
    `spans` are the text's sentences (computed once per document)."""
    for a, b in spans:
        if a <= start < b:
            b = max(b, end)
            if b - a > limit:
                a, b = max(a, start - limit // 2), min(b, end + limit // 2)
            return text[a:b].strip()
    return text[max(0, start - limit // 2) : end + limit // 2].strip()


# Seconds one document may take (QUN_DOC_BUDGET overrides): a document still unread when they
# run out raises BudgetExceeded, which the pipeline records in `extraction_log.error` before it
# goes on with the next document.
DOC_BUDGET_SECONDS = 600.0


class BudgetExceeded(RuntimeError):
    """A document took longer than its time budget."""


def doc_budget() -> float:
    """The per-document time budget in seconds (QUN_DOC_BUDGET, else DOC_BUDGET_SECONDS)."""
    value = os.environ.get("QUN_DOC_BUDGET", "").strip()
    if not value:
        return DOC_BUDGET_SECONDS
    try:
        budget = float(value)
    except ValueError:
        raise ValueError(f"QUN_DOC_BUDGET={value!r} is not a number of seconds") from None
    if budget <= 0:
        raise ValueError(f"QUN_DOC_BUDGET={value!r} must be more than 0 seconds")
    return budget


def _budgeted_windows(text: str, budget: float | None) -> Iterator[tuple[int, int]]:
    """windows(text), raising BudgetExceeded before the next window once `budget` seconds
    (default doc_budget()) have gone by since the first."""
    limit = doc_budget() if budget is None else budget
    began = time.monotonic()
    spans = windows(text)
    for i, (lo, hi) in enumerate(spans):
        if i and time.monotonic() - began > limit:
            raise BudgetExceeded(
                f"took over its budget of {limit:g} s (QUN_DOC_BUDGET): read {lo:,} of "
                f"{len(text):,} characters ({i} of {len(spans)} windows)"
            )
        yield lo, hi


def document_rows(
    text: str, statistical: Iterable[str] = STATISTICAL_DEFAULT, budget: float | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Everything extracted from one document, as rows for the mention datasets
    (`org_mentions`, `concept_mentions`, `funding`, `partnerships`), with evidence; a long
    document is read window by window (WINDOW_CHARS), offsets always into the whole text.
    `statistical`: the statistical organization recognizers to add (see `find_orgs`).
    `budget`: seconds the document may take (default `doc_budget()`); when they run out before
    the last window, BudgetExceeded is raised and nothing of the document is returned."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for lo, hi in _budgeted_windows(text, budget):
        for key, found in _window_rows(text[lo:hi], statistical).items():
            rows.setdefault(key, []).extend(_shifted(found, lo, _ROW_OFFSETS))
    return rows


def _window_rows(text: str, statistical: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    orgs = find_orgs(text, statistical=statistical)
    spans = sentences(text)
    rows: dict[str, list[dict[str, Any]]] = {
        "org_mentions": [
            {
                "start": m.start,
                "end": m.end,
                "text": m.text,
                "org_id": m.org_id,
                "canonical": m.canonical,
                "type": m.type,
                "sector": m.sector,
                "method": m.method,
                "sentence": evidence_sentence(text, m.start, m.end, spans),
            }
            for m in orgs
        ],
        "concept_mentions": [
            {
                "start": c.start,
                "end": c.end,
                "text": c.text,
                "concept": c.concept,
                "method": c.method,
                "rule": c.rule,
                "sentence": evidence_sentence(text, c.start, c.end, spans),
            }
            for c in find_concepts(text)
        ],
        "funding": [],
        "partnerships": [],
    }
    for f in find_funding(text, orgs):
        row: dict[str, Any] = {
            "amount_start": f.amount.start,
            "amount_text": f.amount.text,
            "amount": f.amount.value,
            "currency": f.amount.currency,
            "amount_cny": f.amount_cny,
            "kind": f.kind,
            "method": f.method,
            "approximate": f.amount.approximate,
            "evidence_start": f.evidence[0],
            "evidence_end": f.evidence[1],
            "evidence": text[f.evidence[0] : f.evidence[1]].strip(),
        }
        for role, org in (("funder", f.funder), ("recipient", f.recipient)):
            row[f"{role}_id"] = org.org_id if org else None
            row[role] = org.canonical if org else None
            row[f"{role}_type"] = org.type if org else None
        rows["funding"].append(row)
    for p in find_partnerships(text, orgs):
        a, b = sorted((p.a, p.b), key=lambda o: o.org_id)
        rows["partnerships"].append(
            {
                "org_a_id": a.org_id,
                "org_a": a.canonical,
                "org_a_sector": a.sector,
                "org_b_id": b.org_id,
                "org_b": b.canonical,
                "org_b_sector": b.sector,
                "relation": p.relation,
                "direction": p.direction,
                "method": p.method,
                "evidence_start": p.evidence[0],
                "evidence_end": p.evidence[1],
                "evidence": text[p.evidence[0] : p.evidence[1]].strip(),
            }
        )
    for table in rows.values():
        for row in table:
            row["extractor_version"] = EXTRACTOR_VERSION
    return rows
