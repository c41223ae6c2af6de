"""The cue words of the funding and partnership rules, as data: `data/relation_cues.yaml`.

Each entry has an id, a pattern (a regular expression, case-insensitive) and examples the pattern
must find. The file is checked when it loads: an entry whose pattern does not compile, finds
none of one of its examples, or repeats an id stops with its section and id.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

CUES = Path(__file__).with_name("data") / "relation_cues.yaml"
SECTIONS = (
    "funding_triggers",
    "money_not_given",
    "refused",
    "per_head",
    "partnership_triggers",
    "receiving",
    "individual_givers",
)


@dataclass(frozen=True)
class Cue:
    id: str
    pattern: str
    examples: tuple[str, ...]


def load_cues(path: Path = CUES) -> dict[str, list[Cue]]:
    """The cues of every section, checked; a ValueError naming the file, section and id of the
    first broken entry."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out: dict[str, list[Cue]] = {}
    for section in SECTIONS:
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
                rx = re.compile(str(entry.get("pattern") or ""), re.I)
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
            cues.append(Cue(cid, rx.pattern, examples))
        out[section] = cues
    return out


@functools.cache
def shipped() -> dict[str, list[Cue]]:
    return load_cues()


def alternation(section: str) -> str:
    """The section's patterns as one alternation, in the file's order."""
    return "|".join(c.pattern for c in shipped()[section])
