"""The cue words of the rules, as data: `data/relation_cues.yaml` (funding and partnerships) and
`data/org_cues.yaml` (organizations).

Each entry has an id, a pattern (a regular expression, case-insensitive except in `anaphors`
and the organization sections)
and examples the pattern must find; an anaphor also says which organizations it can stand for
(`refers_to`) and how the one it stands for is chosen (`mode`). The file is checked when it
loads: an entry whose pattern does not compile, finds none of one of its examples, repeats an
id, or names an unknown type, sector or mode stops with its section and id.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from qun.models.gazetteer import SECTOR_OF, TYPES

CUES = Path(__file__).with_name("data") / "relation_cues.yaml"
ORG_CUES = CUES.with_name("org_cues.yaml")
SECTIONS = (
    "funding_triggers",
    "money_not_given",
    "refused",
    "per_head",
    "partnership_triggers",
    "receiving",
    "individual_givers",
    "text_owner",
    "sentence_roles",
    "anaphors",
)
ORG_SECTIONS = ("quoted_names", "not_names", "name_types")
CASE_SENSITIVE = frozenset({"anaphors", *ORG_SECTIONS})
# how an anaphor picks among the fitting organizations before it (see the file's header)
ANAPHOR_MODES = ("nearest", "object", "clause_subject", "former", "latter")
_REFERS_TO = {"types": frozenset(TYPES), "sectors": frozenset(SECTOR_OF.values()), "endings": None}


@dataclass(frozen=True)
class Cue:
    id: str
    pattern: str
    examples: tuple[str, ...]
    # anaphors only: what the phrase can stand for ((field, values) pairs: any one that holds
    # fits; none: any organization) and how it picks among those before it
    refers_to: tuple[tuple[str, tuple[str, ...]], ...] = ()
    mode: str = "nearest"


def load_cues(path: Path = CUES, sections: tuple[str, ...] = SECTIONS) -> dict[str, list[Cue]]:
    """The cues of every section, checked; a ValueError naming the file, section and id of the
    first broken entry."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out: dict[str, list[Cue]] = {}
    for section in sections:
        entries = data.get(section)
        if not isinstance(entries, list) or not entries:
            raise ValueError(f"{path}: section {section!r} is missing or empty")
        seen: set[str] = set()
        cues = []
        for entry in entries:
            cid = str(entry.get("id") or "")
            where = f"{path}: {section} {cid or '(no id)'}"
            if not cid or cid in seen:
                raise ValueError(f"{where}: every entry needs an id of its own")
            seen.add(cid)
            try:
                rx = re.compile(str(entry.get("pattern") or ""), _flags(section))
            except re.error as exc:
                raise ValueError(f"{where}: pattern does not compile: {exc}") from exc
            if not rx.pattern:
                raise ValueError(f"{where}: no pattern")
            examples = tuple(str(x) for x in entry.get("examples") or [])
            if not examples:
                raise ValueError(f"{where}: no examples")
            for example in examples:
                if not rx.search(example):
                    raise ValueError(f"{where}: pattern does not find its example {example!r}")
            refers_to, mode = _anaphor_fields(entry, section, where)
            cues.append(Cue(cid, rx.pattern, examples, refers_to, mode))
        out[section] = cues
    return out


def _flags(section: str) -> int:
    return 0 if section in CASE_SENSITIVE else re.I


def _anaphor_fields(
    entry: dict, section: str, where: str
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], str]:
    if section != "anaphors":
        if "refers_to" in entry or "mode" in entry:
            raise ValueError(f"{where}: refers_to and mode belong to anaphors only")
        return (), "nearest"
    mode = str(entry.get("mode") or "nearest")
    if mode not in ANAPHOR_MODES:
        raise ValueError(f"{where}: mode {mode!r} is none of {', '.join(ANAPHOR_MODES)}")
    given = entry.get("refers_to") or {}
    if not isinstance(given, dict):
        raise ValueError(f"{where}: refers_to must map types, sectors or endings to lists")
    refers_to = []
    for field_name, values in given.items():
        if field_name not in _REFERS_TO:
            raise ValueError(f"{where}: refers_to has {field_name!r}, not types, sectors, endings")
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and v for v in values)
        ):
            raise ValueError(f"{where}: refers_to {field_name} must be a list of words")
        known = _REFERS_TO[field_name]
        unknown = [v for v in values if known is not None and v not in known]
        if unknown:
            raise ValueError(f"{where}: refers_to {field_name} has unknown {unknown}")
        refers_to.append((field_name, tuple(values)))
    return tuple(refers_to), mode


@functools.cache
def shipped() -> dict[str, list[Cue]]:
    return load_cues()


@functools.cache
def org_shipped() -> dict[str, list[Cue]]:
    return load_cues(ORG_CUES, ORG_SECTIONS)


def alternation(section: str) -> str:
    """The section's patterns as one alternation, in the file's order."""
    return "|".join(c.pattern for c in shipped()[section])


def pattern(section: str, cue_id: str) -> str:
    """One entry's pattern (a KeyError naming it when the file has no such entry): of
    relation_cues.yaml, or of org_cues.yaml for its sections."""
    path, loaded = (ORG_CUES, org_shipped()) if section in ORG_SECTIONS else (CUES, shipped())
    for c in loaded[section]:
        if c.id == cue_id:
            return c.pattern
    raise KeyError(f"{path}: {section} has no entry {cue_id!r}")


def regex(section: str, cue_id: str) -> re.Pattern[str]:
    """One entry's pattern compiled as the file's check compiles it (case-insensitive unless its
    section is case-sensitive)."""
    return re.compile(pattern(section, cue_id), _flags(section))
