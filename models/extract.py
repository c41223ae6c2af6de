"""One call from text to records: the `qun extract` contract (organizations and concepts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qun.models.concepts import find_concepts
from qun.models.orgs import STATISTICAL_DEFAULT, OrgMention, find_orgs
from qun.models.relations import find_funding, find_partnerships
from qun.models.textutil import detect_lang, sentences

EXTRACTOR_VERSION = "0.6.1"  # bump when extraction output changes; recorded on every row


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


def extract(
    text: str, lang: str | None = None, options: ExtractOptions | None = None
) -> dict[str, Any]:
    """The `qun extract` record for one text: organizations, funding, partnerships and
    concepts, with character offsets into `text` (see models/data/extract.schema.json)."""
    opts = options or ExtractOptions()
    out: dict[str, Any] = {"lang": lang or detect_lang(text)}
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
                "evidence": {"start": p.evidence[0], "end": p.evidence[1]},
            }
            for p in find_partnerships(text, orgs)
        ]
    if opts.concepts:
        out["concepts"] = [
            {"concept": c.concept, "text": c.text, "start": c.start, "end": c.end}
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


def document_rows(
    text: str, statistical: Iterable[str] = STATISTICAL_DEFAULT
) -> dict[str, list[dict[str, Any]]]:
    """Everything extracted from one document, as rows for the mention datasets
    (`org_mentions`, `concept_mentions`, `funding`, `partnerships`), with evidence.
    `statistical`: the statistical organization recognizers to add (see `find_orgs`)."""
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
                "evidence_start": p.evidence[0],
                "evidence_end": p.evidence[1],
                "evidence": text[p.evidence[0] : p.evidence[1]].strip(),
            }
        )
    for table in rows.values():
        for row in table:
            row["extractor_version"] = EXTRACTOR_VERSION
    return rows
