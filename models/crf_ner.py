"""Fast statistical Chinese organization recognition: a linear-chain CRF (CRFsuite) over
characters, B/I/O tags for ORG.

Each character carries its context as features: the character and its neighbours (two each
side), the four character bigrams around it and the trigram centred on it, its script class,
its jieba word (position B/M/E/S and the word itself when short), and the gazetteer's
longest-match B/I/O at it and before it. Offsets are into the simplified text it is given.
`qun train ner-crf` writes `models/data/ner_zh_crf.crfsuite` (with `ner_zh_crf.json`, how it
was trained); it is loaded offline and tags about ten times faster than the spaCy model of
`models/ner.py`, at the same accuracy on the two public test sets.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qun.models.gazetteer import load_gazetteer

MODEL = Path(__file__).with_name("data") / "ner_zh_crf.crfsuite"
CARD = MODEL.with_suffix(".json")
CHUNK = 400  # characters per tagging call: long texts are cut at sentence ends (or hard)
_ENDS = "。！？；\n"


@functools.cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def _kind(ch: str) -> str:
    if "\u3400" <= ch <= "\u9fff":
        return "H"
    if ch.isdigit():
        return "D"
    if ch.isascii() and ch.isalpha():
        return "L"
    return "P"


@functools.lru_cache(maxsize=64)
def words(piece: str) -> tuple[str, ...]:
    """jieba's words of one piece of text (cached: the decision over candidates reads the same
    pieces' word boundaries right after the tagger)."""
    return tuple(_jieba().cut(piece, HMM=True))


def word_starts(text: str) -> set[int]:
    """Where jieba's words start in `text`, piece by piece as the tagger reads it, and its end."""
    starts = {len(text)}
    for lo, hi in _chunks(text):
        i = lo
        for w in words(text[lo:hi]):
            starts.add(i)
            i += len(w)
    return starts


def features(text: str) -> list[list[str]]:
    """Per character of `text` (simplified Chinese), its CRF features."""
    n = len(text)
    wpos = ["S"] * n
    word = [""] * n
    i = 0
    for w in words(text):
        size = len(w)
        for k in range(size):
            wpos[i + k] = "S" if size == 1 else "B" if k == 0 else "E" if k == size - 1 else "M"
            word[i + k] = w if size <= 6 else ""
        i += size
    gaz = ["O"] * n
    for start, end, _ in load_gazetteer().scan(text):
        gaz[start] = "B"
        for k in range(start + 1, end):
            gaz[k] = "I"
    pad = ["<s2>", "<s1>", *text, "</s1>", "</s2>"]
    out = []
    for i in range(n):
        j = i + 2
        c = pad[j]
        out.append(
            [
                "b",
                "c=" + c,
                "c-1=" + pad[j - 1],
                "c+1=" + pad[j + 1],
                "c-2=" + pad[j - 2],
                "c+2=" + pad[j + 2],
                "b-1=" + pad[j - 1] + c,
                "b+1=" + c + pad[j + 1],
                "b-2=" + pad[j - 2] + pad[j - 1],
                "b+2=" + pad[j + 1] + pad[j + 2],
                "t=" + pad[j - 1] + c + pad[j + 1],
                "k=" + _kind(c),
                "wp=" + wpos[i],
                "w=" + word[i],
                "g=" + gaz[i],
                "g-1=" + (gaz[i - 1] if i else "^") + gaz[i],
            ]
        )
    return out


def bio(text: str, spans: Iterable[tuple[int, int]]) -> list[str]:
    tags = ["O"] * len(text)
    for start, end in spans:
        tags[start] = "B"
        for k in range(start + 1, end):
            tags[k] = "I"
    return tags


def spans_of(tags: list[str]) -> list[tuple[int, int]]:
    out, start = [], None
    for i, t in enumerate([*tags, "O"]):
        if t in ("B", "O") and start is not None:
            out.append((start, i))
            start = None
        if t == "B" or (t == "I" and start is None):
            start = i
    return out


def _chunks(text: str) -> list[tuple[int, int]]:
    """Pieces of at most CHUNK characters, cut after a sentence end where there is one."""
    out, start = [], 0
    while start < len(text):
        end = min(start + CHUNK, len(text))
        if end < len(text):
            cut = max(text.rfind(e, start, end) for e in _ENDS)
            if cut > start:
                end = cut + 1
        out.append((start, end))
        start = end
    return out


@functools.cache
def load(path: Path = MODEL) -> Any:
    """The trained tagger, or None when it is not installed."""
    import pycrfsuite

    if not Path(path).is_file():
        return None
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    return tagger


def recognize(text: str, path: Path = MODEL) -> list[tuple[int, int, float]]:
    """ORG spans (start, end, probability): the probability is the mean marginal of the span's
    own tags, the tagger's confidence in it. [] when the model is not installed."""
    tagger = load(path)
    if tagger is None:
        return []
    out = []
    for start, end in _chunks(text):
        piece = text[start:end]
        if not piece.strip():
            continue
        tags = tagger.tag(features(piece))
        for s, e in spans_of(tags):
            probs = [tagger.marginal(tags[k], k) for k in range(s, e)]
            out.append((start + s, start + e, sum(probs) / len(probs)))
    return out


def train(
    examples: Iterable[tuple[str, list[tuple[int, int]]]],
    path: Path = MODEL,
    c1: float = 0.05,
    c2: float = 0.1,
    iterations: int = 150,
    sources: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Train on (simplified text, ORG spans) pairs; write the model and its record beside it."""
    import pycrfsuite

    started = time.time()
    trainer = pycrfsuite.Trainer(verbose=False)
    n = 0
    for text, spans in examples:
        if text.strip():
            trainer.append(features(text), bio(text, spans))
            n += 1
    trainer.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": iterations,
            "feature.minfreq": 2,
            "feature.possible_transitions": True,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(path))
    load.cache_clear()
    record = {
        "sentences": n,
        "sources": sources or {},
        "c1": c1,
        "c2": c2,
        "iterations": iterations,
        "minutes": round((time.time() - started) / 60, 1),
    }
    path.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    return record
