"""Collective-impact concepts: a bilingual lexicon kept as data, matched with context rules.

Chinese forms are matched on the simplified text (traditional input is mapped character for
character, so offsets stay those of the original); English forms case-insensitively on word
boundaries. A concept with `context` fires only when that pattern occurs in the same sentence.
An entry's `examples` (texts that mention it) and `not` (texts where one of its words has another
sense) are checked when the lexicon loads.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qun.models.textutil import sentences, simplify

LEXICON = Path(__file__).with_name("data") / "concepts.yaml"


@dataclass(frozen=True)
class Concept:
    id: str
    label_zh: str
    label_en: str
    pattern: re.Pattern[str]
    context: re.Pattern[str] | None
    forms: tuple[str, ...] = ()  # the literal forms (simplified Chinese and English)
    # what each alternative of `pattern` is, by its group name: (method, rule), see ConceptMention
    rules: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ConceptMention:
    concept: str
    text: str
    start: int
    end: int
    # what found it: method `form` (a listed form; rule: the form as listed, simplified) or
    # `pattern` (rule: `zh_patterns[i]` / `en_patterns[i]`, the entry's i-th pattern, from 0)
    method: str = "form"
    rule: str = ""


class LexiconError(ValueError):
    """The concept lexicon is invalid; the message names the entry."""


def _compile(entry: dict[str, object]) -> Concept:
    cid = entry.get("id")
    if not isinstance(cid, str):
        raise LexiconError(f"concept without an id: {entry}")
    zh = [simplify(str(f)) for f in entry.get("zh", []) or []]  # type: ignore[union-attr]
    en = sorted((str(f) for f in entry.get("en", []) or []), key=len, reverse=True)  # type: ignore[union-attr]
    zh_patterns = [str(p) for p in entry.get("zh_patterns", []) or []]  # type: ignore[union-attr]
    en_patterns = [str(p) for p in entry.get("en_patterns", []) or []]  # type: ignore[union-attr]
    alternatives: list[tuple[str, str, str]] = [  # (regex, method, rule)
        *((re.escape(f), "form", f) for f in sorted(zh, key=len, reverse=True)),
        *((p, "pattern", f"zh_patterns[{i}]") for i, p in enumerate(zh_patterns)),
        *(
            (
                r"(?<![A-Za-z-])" + re.escape(f).replace(r"\ ", r"[\s-]+") + r"(?![A-Za-z])",
                "form",
                f,
            )
            for f in en
        ),
        *((p, "pattern", f"en_patterns[{i}]") for i, p in enumerate(en_patterns)),
    ]
    if not alternatives:
        raise LexiconError(f"concept '{cid}' has no forms")
    # each alternative in a group of its own: the match's last closed group names what found it
    names = {f"_a{i}": (method, rule) for i, (_, method, rule) in enumerate(alternatives)}
    try:
        pattern = re.compile(
            "|".join(f"(?P<_a{i}>{a})" for i, (a, _, _) in enumerate(alternatives)), re.IGNORECASE
        )
        context = re.compile(str(entry["context"]), re.I) if entry.get("context") else None
    except re.error as exc:
        raise LexiconError(f"concept '{cid}': bad pattern: {exc}") from exc
    return Concept(
        cid,
        str(entry.get("label_zh", cid)),
        str(entry.get("label_en", cid)),
        pattern,
        context,
        tuple(zh) + tuple(en),
        names,
    )


def _check(concept: Concept, entry: dict[str, object]) -> None:
    """An entry's `examples` must each hold a mention of it, and its `not` (texts where a form
    occurs in another sense) none."""
    for example in entry.get("examples", []) or []:  # type: ignore[union-attr]
        if not find_concepts(str(example), (concept,)):
            raise LexiconError(f"concept '{concept.id}': finds nothing in its example {example!r}")
    for negative in entry.get("not", []) or []:  # type: ignore[union-attr]
        found = find_concepts(str(negative), (concept,))
        if found:
            raise LexiconError(
                f"concept '{concept.id}': finds {found[0].text!r} in {negative!r}, listed as not it"
            )


@functools.cache
def load_lexicon(path: Path = LEXICON) -> tuple[Concept, ...]:
    """The lexicon, checked: every entry compiles and finds its examples but not its `not`."""
    data = yaml.safe_load(Path(path).read_text("utf-8"))
    entries = data.get("concepts", [])
    concepts = tuple(_compile(e) for e in entries)
    ids = [c.id for c in concepts]
    if len(set(ids)) != len(ids):
        raise LexiconError("duplicate concept ids in the lexicon")
    for concept, entry in zip(concepts, entries, strict=True):
        _check(concept, entry)
    return concepts


def find_concepts(text: str, lexicon: tuple[Concept, ...] | None = None) -> list[ConceptMention]:
    """Concept mentions in a text, longest match first, never overlapping, in text order."""
    lexicon = lexicon if lexicon is not None else load_lexicon()
    norm = simplify(text)
    spans = sentences(norm)
    found: list[ConceptMention] = []
    for concept in lexicon:
        for m in concept.pattern.finditer(norm):
            if m.end() == m.start():
                continue
            if concept.context is not None:
                sent = next(((a, b) for a, b in spans if a <= m.start() < b), (0, len(norm)))
                if not concept.context.search(norm, sent[0], sent[1]):
                    continue
            method, rule = concept.rules.get(m.lastgroup or "", ("pattern", ""))
            found.append(
                ConceptMention(
                    concept.id, text[m.start() : m.end()], m.start(), m.end(), method, rule
                )
            )
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[ConceptMention] = []
    for c in found:
        if not kept or c.start >= kept[-1].end:
            kept.append(c)
    return kept
