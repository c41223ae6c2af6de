"""Readers for the public NER corpora used to train and evaluate organization recognition.

Spans are (start, end, label) with an exclusive end, in character offsets. CLUENER spans come
with an inclusive end and are converted. BMES files are one character per line with a blank line
between sentences. The corpora are not shipped: they are read from a data folder (the sibling
`../shared/data` of the repository by default, or QUN_SHARED_DATA).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ORG_LABELS_CLUENER = ("organization", "company", "government")
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Example:
    text: str
    spans: tuple[tuple[int, int, str], ...]


def shared_data() -> Path:
    return Path(os.environ.get("QUN_SHARED_DATA", REPO.parent / "shared" / "data"))


def read_cluener(path: Path, labels: tuple[str, ...] = ORG_LABELS_CLUENER) -> list[Example]:
    """CLUENER JSON lines; keeps the given labels (source label names kept)."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            spans = set()
            for label, names in (row.get("label") or {}).items():
                if label not in labels:
                    continue
                for positions in names.values():
                    for start, end in positions:
                        spans.add((start, end + 1, label))
            out.append(Example(row["text"], tuple(sorted(spans))))
    return out


def _bmes_sentences(path: Path) -> Iterator[list[tuple[str, str]]]:
    sentence: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split()
            if not parts:
                if sentence:
                    yield sentence
                sentence = []
                continue
            char, tag = (parts[0], parts[-1]) if len(parts) > 1 else (" ", parts[0])
            sentence.append((char, tag))
    if sentence:
        yield sentence


def read_bmes(path: Path, labels: dict[str, str]) -> list[Example]:
    """BMES/BIOES char-per-line files; `labels` maps corpus labels (NT, ORG.NAM) to ours."""
    out = []
    for sentence in _bmes_sentences(path):
        text = "".join(c for c, _ in sentence)
        spans = []
        start = None
        for i, (_, tag) in enumerate(sentence):
            prefix, _, label = tag.partition("-")
            if prefix in ("B", "S"):
                start = i
            if start is not None and prefix in ("E", "S"):
                if label in labels:
                    spans.append((start, i + 1, labels[label]))
                start = None
            if prefix == "O":
                start = None
        out.append(Example(text, tuple(spans)))
    return out


DATASETS = {
    "cluener-train": lambda d: read_cluener(d / "cluener" / "train.jsonl"),
    "cluener-dev": lambda d: read_cluener(d / "cluener" / "dev.jsonl"),
    "msra-train": lambda d: read_bmes(d / "msra" / "train-part.char.bmes", {"NT": "ORG"}),
    "msra-test": lambda d: read_bmes(d / "msra" / "test.char.bmes", {"NT": "ORG"}),
    "resume-train": lambda d: read_bmes(d / "resume" / "train.char.bmes", {"ORG": "ORG"}),
    "weibo-train": lambda d: read_bmes(d / "weibo" / "train.all.bmes", {"ORG.NAM": "ORG"}),
}


def load(name_or_path: str) -> list[Example]:
    """A named corpus (see DATASETS) from the shared data folder, or a path to a file of JSON
    lines {"text", "spans": [[start, end, label], ...]} (exclusive ends)."""
    if name_or_path in DATASETS:
        folder = shared_data()
        if not folder.is_dir():
            raise FileNotFoundError(f"corpus folder {folder} not found (set QUN_SHARED_DATA)")
        return DATASETS[name_or_path](folder)
    path = Path(name_or_path)
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out.append(Example(row["text"], tuple(tuple(s) for s in row.get("spans", []))))
    return out
