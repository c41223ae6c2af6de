"""The data dictionary documents every column of every dataset, with its Arrow type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qun.datasets import catalog

DICTIONARY = Path(__file__).resolve().parents[1] / "datasets" / "DICTIONARY.md"


def documented() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    current = None
    for line in DICTIONARY.read_text("utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = {}
        elif current and (m := re.match(r"\|\s*(\w+)\s*\|\s*([^|]+?)\s*\|", line)):
            if m.group(1) != "column":
                out[current][m.group(1)] = m.group(2)
    return out


@pytest.mark.parametrize("spec", catalog.ALL, ids=lambda s: s.name)
def test_dictionary_matches_schema(spec):
    doc = documented()
    assert spec.name in doc, f"{spec.name} missing from DICTIONARY.md"
    assert doc[spec.name] == {f.name: str(f.type) for f in spec.schema}
    assert (
        f"Schema version {spec.version}"
        in DICTIONARY.read_text("utf-8").split(f"## {spec.name}\n")[1].split("\n## ")[0]
    )
