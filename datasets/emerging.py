"""Terms rising in collective-impact documents: TF-IDF per time window (scikit-learn), compared
between the latest window and the ones before. The output is a list of suggestions for the
concept lexicon (models/data/concepts.yaml); nothing is added to the lexicon automatically."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa

from qun.datasets.network import CI_CONCEPTS, WINDOW_YEARS
from qun.datasets.store import DatasetSpec

SCHEMA = pa.schema(
    [
        pa.field("lang", pa.string(), nullable=False),
        pa.field("term", pa.string(), nullable=False),
        pa.field("window", pa.string()),
        pa.field("score_latest", pa.float64()),
        pa.field("score_before", pa.float64()),
        pa.field("growth", pa.float64()),
        pa.field("documents", pa.int32()),
        pa.field("example_doc_id", pa.string()),
        pa.field("status", pa.string()),
    ]
)
SPEC = DatasetSpec(
    name="emerging_terms",
    schema=SCHEMA,
    partition="lang",
    key=("lang", "term"),
    description="Terms rising in collective-impact documents: lexicon suggestions.",
)
_EN_STOP = set(
    "a an the and or of to in on for with by from as at is are was were be been it its this "
    "that these those their they we our not but has have had will would can could may more most "
    "also into than which who whom what when where how all any each other such only new one "
    "two".split()
)


def _zh_terms(text: str) -> list[str]:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [w for w in jieba.lcut(text) if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w)]


def _en_terms(text: str) -> list[str]:
    words = [w for w in re.findall(r"[a-z][a-z-]+", text.lower()) if w not in _EN_STOP]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def emerging_terms(
    documents: pa.Table, concept_mentions: pa.Table, known: set[str], top: int = 40
) -> pa.Table:
    """Top rising terms per language in documents that mention collective-impact concepts."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = documents.select(
        ["doc_id", "lang", "published_at", "text_simplified", "duplicate_of"]
    ).to_pandas()
    cm = concept_mentions.select(["doc_id", "concept"]).to_pandas()
    ci = set(cm.loc[cm["concept"].isin(CI_CONCEPTS), "doc_id"])
    docs = docs[
        docs["doc_id"].isin(ci) & docs["duplicate_of"].isna() & docs["published_at"].notna()
    ]
    rows: list[dict] = []
    for lang, analyzer in (("zh", _zh_terms), ("en", _en_terms)):
        part = (
            docs[docs["lang"].str.startswith("zh")] if lang == "zh" else docs[docs["lang"] == "en"]
        )
        if len(part) < 4:
            continue
        years = pd.to_datetime(part["published_at"]).dt.year
        last = int(years.max())
        latest_mask = (years > last - WINDOW_YEARS).to_numpy()
        if latest_mask.all() or not latest_mask.any():
            continue
        vec = TfidfVectorizer(analyzer=analyzer, min_df=2, sublinear_tf=True)
        matrix = vec.fit_transform(part["text_simplified"].fillna(""))
        terms = vec.get_feature_names_out()
        latest = np.asarray(matrix[latest_mask].mean(axis=0)).ravel()
        before = np.asarray(matrix[~latest_mask].mean(axis=0)).ravel()
        present = np.asarray((matrix[latest_mask] > 0).sum(axis=0)).ravel()
        growth = latest - before
        order = np.argsort(-growth)
        window = f"{last - WINDOW_YEARS + 1}-{last}"
        ids = part["doc_id"].to_numpy()
        picked = 0
        for i in order:
            term = terms[i]
            if growth[i] <= 0 or present[i] < 2 or any(term in k or k in term for k in known):
                continue
            column = matrix[:, i].toarray().ravel()
            column[~latest_mask] = 0
            rows.append(
                {
                    "lang": lang,
                    "term": term,
                    "window": window,
                    "score_latest": float(latest[i]),
                    "score_before": float(before[i]),
                    "growth": float(growth[i]),
                    "documents": int(present[i]),
                    "example_doc_id": str(ids[int(column.argmax())]),
                    "status": "suggestion (not in the lexicon)",
                }
            )
            picked += 1
            if picked >= top:
                break
    return pa.Table.from_pylist(rows, schema=SCHEMA)
