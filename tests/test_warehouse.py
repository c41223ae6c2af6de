"""Trend tables in SQL (DuckDB over the datasets): hand-counted cases, the views over stored
files (a column added later, a damaged file), the memory setting, emerging terms' sample and
betweenness against networkx."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qun.datasets import (
    derive,
    diffusion,
    documents,
    emerging,
    mentions,
    network,
    read,
    store,
    trends,
    warehouse,
)
from tests.conftest import qun

D = dt.date


def _docs(rows: list[dict]) -> pa.Table:
    base = {"url": "http://x/", "source": "s", "lang": "zh-Hans"}
    return pa.Table.from_pylist(
        [{**base, "url": f"http://x/{r['doc_id']}", **r} for r in rows], schema=documents.SCHEMA
    )


def _concepts(rows: list[tuple[str, str]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"doc_id": d, "source": "s", "start": k, "end": k + 1, "concept": c}
            for k, (d, c) in enumerate(rows)
        ],
        schema=mentions.CONCEPT_SCHEMA,
    )


def test_concept_trends_count_documents_fold_reprints_and_skip_undated() -> None:
    docs = _docs(
        [
            {"doc_id": "a", "outlet": "甲", "published_at": D(2020, 2, 1)},
            {"doc_id": "b", "outlet": "甲", "published_at": D(2020, 5, 1)},
            {"doc_id": "c", "outlet": "乙", "published_at": D(2020, 5, 2), "lang": "en"},
            {"doc_id": "r", "outlet": "乙", "published_at": D(2020, 6, 1), "duplicate_of": "a"},
            {"doc_id": "u", "outlet": "乙", "published_at": None},
            {"doc_id": "n", "outlet": None, "published_at": D(2020, 7, 1)},
        ]
    )
    cm = _concepts([("a", "ci"), ("a", "ci"), ("c", "ci"), ("r", "ci"), ("u", "ci"), ("n", "ci")])
    with warehouse.connect(tables={"documents": docs, "concept_mentions": cm}) as con:
        got = trends.concept_trends(con, ["ci", "backbone"]).to_pylist()
    rows = {(r["granularity"], r["period"], r["concept"], r["outlet"], r["lang"]): r for r in got}
    total = rows[("year", "2020", "ci", "*", "*")]
    # a, b, c and n are dated originals; a (twice) and c and n mention it; r folds into a
    assert (total["docs_total"], total["docs_mentioning"], total["mentions"]) == (4, 3, 4)
    assert total["share"] == 0.75
    assert rows[("year", "2020", "ci", "甲", "*")]["docs_mentioning"] == 1
    assert rows[("year", "2020", "ci", "甲", "zh-Hans")]["docs_total"] == 2
    # the document without an outlet counts in `*` only
    assert not [k for k in rows if k[3] is None]
    assert rows[("year", "2020", "ci", "*", "zh-Hans")]["docs_total"] == 3
    assert rows[("quarter", "2020Q2", "ci", "甲", "*")]["docs_mentioning"] == 0
    assert rows[("month", "2020-05", "backbone", "*", "*")]["docs_total"] == 2
    assert rows[("quarter", "2020Q2", "ci", "*", "*")]["period_start"] == D(2020, 4, 1)


def test_partnership_trends_count_a_pair_once_per_document() -> None:
    docs = _docs([{"doc_id": d, "published_at": D(2021, 3, 1)} for d in ("a", "b")])
    base = {"source": "s", "evidence_end": 1, "relation": "partner"}
    rows = [
        ("a", 0, "x", "nonprofit", "y", "nonprofit", "horizontal"),
        ("a", 5, "x", "nonprofit", "y", "nonprofit", "horizontal"),  # same pair, same doc
        ("b", 0, "x", "nonprofit", "g", "government", "vertical"),
        ("b", 3, "x", "nonprofit", "z", None, "unknown"),
    ]
    part = pa.Table.from_pylist(
        [
            {**base, "doc_id": d, "evidence_start": s, "org_a_id": a, "org_a_sector": sa}
            | {"org_b_id": b, "org_b_sector": sb, "direction": direction}
            for d, s, a, sa, b, sb, direction in rows
        ],
        schema=mentions.PARTNERSHIP_SCHEMA,
    )
    with warehouse.connect(tables={"documents": docs, "partnerships": part}) as con:
        got = trends.partnership_trends(con).to_pylist()
    rows_by = {(r["granularity"], r["sector_pair"]): r for r in got}
    total = rows_by[("year", "*")]
    assert (total["partnerships"], total["horizontal"], total["vertical"]) == (3, 1, 1)
    assert total["horizontal_share"] == 0.5
    assert rows_by[("quarter", "government–nonprofit")]["vertical"] == 1
    assert rows_by[("year", "nonprofit–unknown")]["unknown"] == 1
    assert rows_by[("year", "nonprofit–unknown")]["horizontal_share"] is None


def test_betweenness_is_networkx_s() -> None:
    rng = random.Random(7)
    g = nx.Graph()
    for _ in range(400):
        g.add_edge(f"o{rng.randrange(120)}", f"o{rng.randrange(120)}")
    g.remove_edges_from(nx.selfloop_edges(g))
    want = nx.betweenness_centrality(g, normalized=True)
    got = network.betweenness(g)
    assert set(got) == set(want)
    assert max(abs(got[k] - want[k]) for k in want) < 1e-12


def _corpus(data: Path, n: int) -> None:
    """n dated originals over six years, each mentioning collective impact, with words."""
    years = [2015 + k % 6 for k in range(n)]
    words = ["协作网络", "共同议程", "社区基金会", "联合劝募", "数字公益", "乡村振兴"]
    docs = _docs(
        [
            {
                "doc_id": f"d{k:03d}",
                "outlet": "甲乙"[k % 2],
                "published_at": D(y, 1 + k % 12, 1),
                "text_simplified": f"{words[k % 6]}和{words[(k + y) % 6]}。",
            }
            for k, y in enumerate(years)
        ]
    )
    store.write(documents.SPEC, data, docs)
    cm = _concepts([(f"d{k:03d}", "collective_impact") for k in range(n)])
    store.write(mentions.CONCEPT_SPEC, data, cm)


def test_emerging_terms_read_a_fixed_sample_and_say_so(tmp_path: Path) -> None:
    _corpus(tmp_path, 60)
    with warehouse.connect(tmp_path, derive.INPUTS) as con:
        every = emerging.emerging_terms(con, set(), sample=1000).to_pylist()
        sampled = emerging.emerging_terms(con, set(), sample=12).to_pylist()
        again = emerging.emerging_terms(con, set(), sample=12).to_pylist()
    assert every and all(r["status"] == "suggestion (not in the lexicon)" for r in every)
    assert sampled and sampled == again
    # 30 documents in the latest three years and 30 before: 12 of each read
    assert {r["status"] for r in sampled} == {
        "suggestion (not in the lexicon; read 24 of 60 documents)"
    }


def test_a_column_missing_from_every_file_reads_as_nulls(tmp_path: Path) -> None:
    """Files written before a nullable column was added: the trends still run."""
    _corpus(tmp_path, 12)
    path = store.part_files(documents.SPEC, tmp_path)[0]
    pq.write_table(pq.read_table(path).drop_columns(["warc_offset", "title"]), path)
    with warehouse.connect(tmp_path, derive.INPUTS) as con:
        spread, adopters, _ = diffusion.diffusion(con)
    assert spread.num_rows == 1 and spread.column("first_title").to_pylist() == [None]
    assert adopters.num_rows == 2


def test_a_damaged_file_is_named_before_any_query(tmp_path: Path) -> None:
    _corpus(tmp_path, 12)
    path = store.part_files(mentions.CONCEPT_SPEC, tmp_path)[0]
    path.write_bytes(b"PAR1 not a parquet file")
    with pytest.raises(store.DamagedFile, match="concept_mentions"):
        with warehouse.connect(tmp_path, derive.INPUTS):
            pass


def test_a_bad_memory_setting_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(warehouse.MEMORY_ENV, "lots")
    with pytest.raises(store.DatasetError, match="QUN_TRENDS_MEMORY='lots'"):
        with warehouse.connect():
            pass


def test_running_out_of_the_memory_limit_is_one_line_naming_it(demo_dir: Path, tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns(".qun-state", "report"))
    before = store.read(trends.SPEC, data)
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("qun")), "trends", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env={**os.environ, warehouse.MEMORY_ENV: "1MB"},
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr[-2000:]
    assert "QUN_TRENDS_MEMORY=1MB" in lines[0] and "set it higher" in lines[0]
    assert store.read(trends.SPEC, data).equals(before)  # nothing written
    qun("trends", "--data-dir", str(data))  # the default limit is enough


def test_mentions_written_before_their_method_columns_still_read(
    demo_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns(".qun-state", "report"))
    added = {
        mentions.FUNDING_SPEC: ["method"],
        mentions.PARTNERSHIP_SPEC: ["method"],
        mentions.CONCEPT_SPEC: ["method", "rule"],
    }
    for spec, columns in added.items():
        assert set(store.read(spec, data).column(columns[0]).to_pylist()) - {None}
        for part in store.part_files(spec, data):
            pq.write_table(pq.read_table(part).drop_columns(columns), part)
    assert read.validate(data) == []
    for spec, columns in added.items():
        table = store.read(spec, data)
        for column in columns:
            assert table.num_rows and set(table.column(column).to_pylist()) == {None}
    qun("trends", "--data-dir", str(data))
