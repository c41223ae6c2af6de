"""Terms rising in collective-impact documents: TF-IDF per time window (scikit-learn), compared
between the latest window and the ones before. The output is a list of suggestions for the
concept lexicon (models/data/concepts.yaml); nothing is added to the lexicon automatically."""

from __future__ import annotations

import os
import re

import duckdb
import numpy as np
import pyarrow as pa

from qun.datasets import warehouse
from qun.datasets.network import CI_CONCEPTS, WINDOW_YEARS
from qun.datasets.store import DatasetSpec

SAMPLE_ENV = "QUN_EMERGING_SAMPLE"
DEFAULT_SAMPLE = 10_000

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
    con: duckdb.DuckDBPyConnection, known: set[str], top: int = 40, sample: int | None = None
) -> pa.Table:
    """Top rising terms per language in documents that mention collective-impact concepts.

    Texts stream from the `documents` view into the vectorizer (never held as a table). With
    more than `sample` documents (QUN_EMERGING_SAMPLE, default 10,000) in a language's latest
    window or in the windows before it, a fixed sample of that many is read from each (the
    same documents every run: ordered by a hash of doc_id), so time and memory stay bounded
    however large the corpus; the status column then says how many were read."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    sample = sample or int(os.environ.get(SAMPLE_ENV, "") or DEFAULT_SAMPLE)
    rows: list[dict] = []
    for lang, analyzer, where in (
        ("zh", _zh_terms, "lang like 'zh%'"),
        ("en", _en_terms, "lang = 'en'"),
    ):
        docs = f"""
            with ci as (
                select doc_id from concept_mentions
                where concept in {tuple(CI_CONCEPTS)} group by all
            ),
            d as (
                select doc_id, year(published_at) as year from documents semi join ci using (doc_id)
                where duplicate_of is null and published_at is not null and {where}
            ),
            w as (select *, year > max(year) over () - {WINDOW_YEARS} as latest from d)
        """
        total, in_latest, last = warehouse.one(
            con, docs + "select count(*), count(*) filter (latest), max(year) from w"
        )
        if total < 4 or in_latest in (0, total):
            continue
        picked = warehouse.arrow(
            con,
            docs
            + """select doc_id, latest from w
            qualify row_number() over (partition by latest order by md5(doc_id), doc_id) <= $n
            order by doc_id""",
            n=sample,
        )
        con.register("_emerging_ids", picked)
        try:
            texts = (
                t
                for batch in warehouse.batches(
                    con,
                    """select coalesce(d.text_simplified, '') as text
                    from _emerging_ids i join documents d using (doc_id) order by i.doc_id""",
                    rows=1024,
                )
                for t in batch.column("text").to_pylist()
            )
            vec = TfidfVectorizer(analyzer=analyzer, min_df=2, sublinear_tf=True)
            matrix = vec.fit_transform(texts)
        finally:
            con.unregister("_emerging_ids")
        read = picked.num_rows
        status = "suggestion (not in the lexicon)"
        if read < total:
            status = f"suggestion (not in the lexicon; read {read:,} of {total:,} documents)"
        latest_mask = picked.column("latest").to_numpy(zero_copy_only=False)
        ids = picked.column("doc_id").to_numpy(zero_copy_only=False)
        terms = vec.get_feature_names_out()
        latest = np.asarray(matrix[latest_mask].mean(axis=0)).ravel()
        before = np.asarray(matrix[~latest_mask].mean(axis=0)).ravel()
        present = np.asarray((matrix[latest_mask] > 0).sum(axis=0)).ravel()
        growth = latest - before
        order = np.argsort(-growth, kind="stable")
        window = f"{last - WINDOW_YEARS + 1}-{last}"
        chosen = 0
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
                    "status": status,
                }
            )
            chosen += 1
            if chosen >= top:
                break
    return pa.Table.from_pylist(rows, schema=SCHEMA)
