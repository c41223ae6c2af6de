"""Long documents: read in windows at sentence ends, offsets into the whole text, linear cost,
a per-document time budget, and a document that fails recorded while the run goes on."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from qun.datasets import documents, extraction, mentions, store
from qun.models import extract as ex
from qun.models.textutil import sentences

# one sentence with organizations, an amount given and a concept: it reads the same on its own
PASSAGE = "恒信慈善基金会向明德公益基金会捐赠100万元，用于建设集体影响力的骨干组织。"


def _mixed(n: int) -> str:
    parts = [PASSAGE, "会上，各方讨论了共同议程与共享测量。", "这是一段没有机构的文字，" * 3 + "。"]
    return "".join(parts[i % 3] for i in range(n))


def test_windows_tile_the_text_at_sentence_ends() -> None:
    text = _mixed(200)
    spans = ex.windows(text, size=500)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert all(0 < hi - lo <= 500 for lo, hi in spans)
    ends = {end for _, end in sentences(text)}
    assert all(hi in ends for _, hi in spans)
    # no sentence end at all: cut where the size runs out
    dense = "100万元" * 320
    spans = ex.windows(dense, size=500)
    assert [hi - lo for lo, hi in spans] == [500, 500, 500, 100]


def test_short_text_is_one_window() -> None:
    assert ex.windows(PASSAGE) == [(0, len(PASSAGE))]
    assert ex.windows("") == [(0, 0)]


def _strip(rows: dict[str, list[dict]], by: int) -> dict[str, list[dict]]:
    keys = ex._ROW_OFFSETS
    return {
        k: [{f: (v - by if f in keys else v) for f, v in r.items()} for r in rs]
        for k, rs in rows.items()
    }


def test_windowed_rows_are_each_window_read_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    one = ex.document_rows(PASSAGE)
    assert one["org_mentions"] and one["funding"] and one["concept_mentions"]
    monkeypatch.setattr(ex, "WINDOW_CHARS", 3 * len(PASSAGE))
    copies = 10
    text = PASSAGE * copies
    assert len(ex.windows(text)) == 4
    rows = ex.document_rows(text)
    for key, found in one.items():
        assert len(rows[key]) == copies * len(found), key
    # the i-th copy's rows are the passage's own, moved by i passages
    for i in range(copies):
        at = i * len(PASSAGE)
        mine = {
            k: [
                r
                for r in rs
                if at <= r["start" if "start" in r else "evidence_start"] < at + len(PASSAGE)
            ]
            for k, rs in rows.items()
        }
        assert _strip(mine, at) == one


def test_offsets_point_into_the_whole_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ex, "WINDOW_CHARS", 400)
    text = _mixed(120)
    assert len(ex.windows(text)) > 5
    rows = ex.document_rows(text)
    assert len(rows["org_mentions"]) == 40 * 2
    for name in ("org_mentions", "concept_mentions"):
        assert rows[name]
        for r in rows[name]:
            assert text[r["start"] : r["end"]] == r["text"]
    assert len(rows["funding"]) == 40
    for r in rows["funding"]:
        assert text[r["evidence_start"] : r["evidence_end"]] == r["evidence"]
    for r in rows["funding"]:
        assert text[r["amount_start"] :].startswith("100万元")
    record = ex.extract(text, "zh")
    assert [(o["start"], o["end"]) for o in record["organizations"]] == [
        (r["start"], r["end"]) for r in rows["org_mentions"]
    ]


def test_every_window_stays_within_the_size(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = ex._window_rows

    def recorded(text: str, statistical):  # the real window reader, lengths noted
        seen.append(len(text))
        return real(text, statistical)

    monkeypatch.setattr(ex, "_window_rows", recorded)
    ex.document_rows("100万元" * 10_000)  # 50,000 characters, no sentence end
    assert sum(seen) == 50_000 and max(seen) <= ex.WINDOW_CHARS and len(seen) == 5


@pytest.mark.slow
def test_english_text_over_a_million_characters() -> None:
    """spaCy refuses texts over 1,000,000 characters (E088); windows never reach that."""
    para = (
        "The Ford Foundation gave 2 million dollars to the Asia Foundation for community "
        "health programs in Yunnan. Local partners met in Kunming to plan shared measurement. "
    )
    text = para * (1_000_000 // len(para) + 1) + "At the end, the Gates Foundation joined."
    assert len(text) > 1_000_000
    record = ex.extract(text, "en")
    last = record["organizations"][-1]
    assert text[last["start"] : last["end"]] == "Gates Foundation"
    assert last["start"] == text.rindex("Gates Foundation")


def test_time_budget() -> None:
    text = _mixed(600)
    assert len(ex.windows(text)) > 1
    with pytest.raises(
        ex.BudgetExceeded, match=r"budget of 0 s .*read [\d,]+ of [\d,]+ characters"
    ):
        ex.document_rows(text, budget=0)
    with pytest.raises(ex.BudgetExceeded):
        ex.extract(text, "zh", budget=0)
    assert ex.document_rows(PASSAGE, budget=0)["funding"]  # one window always runs


def test_budget_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUN_DOC_BUDGET", raising=False)
    assert ex.doc_budget() == ex.DOC_BUDGET_SECONDS
    monkeypatch.setenv("QUN_DOC_BUDGET", "2.5")
    assert ex.doc_budget() == 2.5
    for bad in ("abc", "0", "-1"):
        monkeypatch.setenv("QUN_DOC_BUDGET", bad)
        with pytest.raises(ValueError, match="QUN_DOC_BUDGET"):
            ex.doc_budget()


def _documents(data: Path, texts: dict[str, str]) -> None:
    rows = [
        {
            "doc_id": doc_id,
            "source": "s",
            "url": f"http://x/{doc_id}",
            "text": text,
            "content_hash": f"h-{doc_id}",
        }
        for doc_id, text in texts.items()
    ]
    store.write(documents.SPEC, data, pa.Table.from_pylist(rows, schema=documents.SCHEMA))


def test_a_document_over_budget_is_recorded_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ex, "WINDOW_CHARS", 300)
    monkeypatch.setenv("QUN_DOC_BUDGET", "0.000001")
    _documents(tmp_path, {"short": PASSAGE, "long": _mixed(60), "after": PASSAGE})
    counts = extraction.extract_documents(
        tmp_path, extraction.Extractor("t1", ex.document_rows), batch_docs=1
    )
    assert counts["extracted"] == 3 and counts["failed"] == 1
    log = {r["doc_id"]: r for r in store.read(mentions.LOG_SPEC, tmp_path).to_pylist()}
    assert "budget" in log["long"]["error"] and log["long"]["organizations"] == 0
    assert log["short"]["error"] is None and log["after"]["error"] is None
    found = store.read(mentions.ORG_SPEC, tmp_path).column("doc_id").to_pylist()
    assert set(found) == {"short", "after"}


def test_a_document_that_breaks_an_extractor_is_recorded(tmp_path: Path) -> None:
    _documents(tmp_path, {"a": PASSAGE, "b": "坏", "c": PASSAGE})

    def reader(text: str) -> dict:
        if text == "坏":
            raise RuntimeError("cannot read this")
        return ex.document_rows(text)

    counts = extraction.extract_documents(tmp_path, extraction.Extractor("t1", reader))
    assert counts["failed"] == 1
    log = {r["doc_id"]: r for r in store.read(mentions.LOG_SPEC, tmp_path).to_pylist()}
    assert log["b"]["error"] == "RuntimeError: cannot read this"
    assert store.read(mentions.FUNDING_SPEC, tmp_path).num_rows == 2


def test_log_files_from_before_the_error_column_read(tmp_path: Path) -> None:
    """A log written before `error` existed reads with it null and validates."""
    from qun.datasets import read

    old = mentions.LOG_SCHEMA.remove(mentions.LOG_SCHEMA.get_field_index("error"))
    part = mentions.LOG_SPEC.path(tmp_path) / "source=s" / store.PART_FILE
    part.parent.mkdir(parents=True)
    import pyarrow.parquet as pq

    file_schema = mentions.LOG_SPEC.file_schema
    older = pa.schema([f for f in old if f.name != "source"]).with_metadata(file_schema.metadata)
    pq.write_table(
        pa.Table.from_pylist([{"doc_id": "d", "extractor_version": "0"}], schema=older), part
    )
    assert store.read(mentions.LOG_SPEC, tmp_path).to_pylist()[0]["error"] is None
    assert next(store.scan(mentions.LOG_SPEC, tmp_path)).column("error").null_count == 1
    assert read.validate(tmp_path) == []
