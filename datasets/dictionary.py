"""The data dictionary (DICTIONARY.md, shipped with the package) as data: each dataset's notes
and, per column, its documented type, nullability and description. `qun datasets describe`
prints it; a test holds it to the schemas."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

PATH = Path(__file__).with_name("DICTIONARY.md")
_ROW = re.compile(r"\|\s*(\w+)\s*\|\s*([^|]+?)\s*\|\s*(yes|no)\s*\|\s*(.*?)\s*\|\s*$")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    description: str


@dataclass(frozen=True)
class Entry:
    name: str
    notes: str  # the text between the heading and the column table
    columns: dict[str, Column]


@functools.cache
def entries() -> dict[str, Entry]:
    """Every dataset's entry, by name."""
    out: dict[str, Entry] = {}
    for block in PATH.read_text("utf-8").split("\n## ")[1:]:
        heading, _, body = block.partition("\n")
        notes, columns = [], {}
        for line in body.splitlines():
            m = _ROW.match(line)
            if m and m.group(1) != "column":
                columns[m.group(1)] = Column(
                    m.group(1), m.group(2), m.group(3) == "yes", m.group(4).replace("\\|", "|")
                )
            elif not line.startswith("|") and not columns:
                notes.append(line)
        name = heading.strip()
        out[name] = Entry(name, " ".join(" ".join(notes).split()), columns)
    return out
