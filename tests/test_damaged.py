"""A damaged dataset file: readers stop naming it (or, when told, leave it out and say so),
writers never replace a dataset they could not read whole, `validate` names it, and
`qun datasets repair` plus the commands it names bring every row back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from qun.datasets import documents, ingest, mentions, repair, store
from qun.datasets.read import load, validate
from tests.conftest import qun

SPEC = store.DatasetSpec(
    name="org_mentions",  # a catalog name, so that validate() and load() look at it
    schema=mentions.ORG_SPEC.schema,
    partition="source",
    key=mentions.ORG_SPEC.key,
    version=mentions.ORG_SPEC.version,
)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def scramble_pages(path: Path) -> None:
    """Damage the data pages but keep the footer: the file opens, its pages do not read."""
    data = bytearray(path.read_bytes())
    for i in range(8, len(data) // 2):
        data[i] = (data[i] * 7 + 3) % 256
    path.write_bytes(bytes(data))


def mention_rows(source: str, n: int) -> list[dict]:
    return [
        {
            "doc_id": f"{source}-{i}",
            "source": source,
            "published_at": None,
            "start": i,
            "end": i + 4,
            "text": "恒信基金会",
            "org_id": "hengxin",
            "canonical": "恒信慈善基金会",
            "type": "foundation",
            "method": "gazetteer",
            "extractor_version": "t",
        }
        for i in range(n)
    ]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rows = mention_rows("a", 50) + mention_rows("b", 30)
    schema = mentions.ORG_SPEC.schema
    table = pa.Table.from_pylist(
        [{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema
    )
    store.write(mentions.ORG_SPEC, tmp_path, table)
    return tmp_path


def part(data: Path, source: str) -> Path:
    return data / "org_mentions" / f"source={source}" / store.PART_FILE


@pytest.mark.parametrize("damage", [truncate, scramble_pages])
def test_every_reader_stops_naming_the_damaged_file(data: Path, damage) -> None:
    damage(part(data, "b"))
    with pytest.raises(store.DamagedFile) as err:
        store.read(mentions.ORG_SPEC, data)
    assert err.value.path == part(data, "b") and str(part(data, "b")) in str(err.value)
    assert "qun datasets repair" in str(err.value)
    with pytest.raises(store.DamagedFile):
        list(store.scan(mentions.ORG_SPEC, data))
    with pytest.raises(store.DamagedFile):
        load("org_mentions", data)
    (problem,) = validate(data)
    assert str(part(data, "b")) in problem and "damaged" in problem


def test_count_reads_every_footer(data: Path) -> None:
    truncate(part(data, "a"))
    with pytest.raises(store.DamagedFile, match="source=a"):
        store.count(mentions.ORG_SPEC, data)


def test_skip_mode_leaves_the_file_out_and_records_it(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    truncate(part(data, "a"))
    monkeypatch.setenv(store.SKIP_DAMAGED_ENV, "1")
    monkeypatch.setattr(store, "skipped", set())
    assert store.read(mentions.ORG_SPEC, data).num_rows == 30
    assert store.count(mentions.ORG_SPEC, data) == 30
    assert store.skipped == {part(data, "a")}


def test_validate_names_leftover_temporary_files(data: Path) -> None:
    tmp = part(data, "a").parent / ".part-0.parquet.0123.tmp"
    tmp.write_bytes(b"half a file")
    (problem,) = validate(data)
    assert str(tmp) in problem and "interrupted write" in problem


def test_a_writer_never_replaces_a_dataset_it_could_not_read(tmp_path: Path) -> None:
    """Ingesting new crawl output merges with the documents already there: with one of their
    files damaged the ingest stops, and the other partitions stay as they were."""
    rows = [
        {f.name: None for f in documents.SCHEMA}
        | {
            "doc_id": f"{src}-{i}",
            "source": src,
            "url": f"http://x/{src}/{i}",
            "title": "t",
            "text": "文本",
            "text_simplified": "文本",
            "content_hash": f"h{src}{i}",
            "simhash": i,
        }
        for src in ("a", "b")
        for i in range(5)
    ]
    store.write(documents.SPEC, tmp_path, pa.Table.from_pylist(rows, schema=documents.SCHEMA))
    damaged = documents.SPEC.path(tmp_path) / "source=a" / store.PART_FILE
    truncate(damaged)
    before = {p: p.read_bytes() for p in store.part_files(documents.SPEC, tmp_path)}
    out = tmp_path / "_crawl" / "r1" / "out"
    out.mkdir(parents=True)
    new = {**rows[7], "doc_id": "b-new", "url": "http://x/b/new", "content_hash": "hnew"}
    (out / "documents.jsonl").write_text(json.dumps(new, default=str) + "\n", "utf-8")
    (out / "errors.jsonl").write_text("", "utf-8")
    with pytest.raises(store.DamagedFile, match="source=a"):
        ingest.ingest(tmp_path, [out])
    assert {p: p.read_bytes() for p in store.part_files(documents.SPEC, tmp_path)} == before


def test_repair_sets_damaged_files_aside_with_the_log_of_their_partition(data: Path) -> None:
    log_rows = [
        {
            "doc_id": f"{s}-0",
            "source": s,
            "content_hash": "h",
            "extractor_version": "t",
            "organizations": 1,
            "concepts": 0,
            "extracted_at": None,
        }
        for s in ("a", "b")
    ]
    store.write(mentions.LOG_SPEC, data, pa.Table.from_pylist(log_rows, schema=mentions.LOG_SCHEMA))
    truncate(part(data, "b"))
    moved = repair.repair(data)
    assert [(m.dataset, m.path) for m in moved] == [
        ("org_mentions", part(data, "b")),
        ("extraction_log", data / "extraction_log" / "source=b" / store.PART_FILE),
    ]
    assert all(m.moved_to.exists() and "_damaged" in m.moved_to.parts for m in moved)
    assert repair.next_steps(moved) == ["qun extract --documents", "qun trends"]
    assert validate(data) == []
    assert store.read(mentions.LOG_SPEC, data)["source"].to_pylist() == ["a"]


# ---- the whole way back, with the real command ---------------------------------------------
@pytest.mark.e2e
def test_damaged_documents_stop_trends_and_come_back_from_the_archive(
    demo_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    docs_before = sorted(store.read(documents.SPEC, data)["doc_id"].to_pylist())
    trends_before = {p: p.read_bytes() for p in (data / "concept_trends").rglob("*.parquet")}
    victim = sorted(store.part_files(documents.SPEC, data))[1]
    truncate(victim)

    proc = qun("trends", "--data-dir", str(data), check=False)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and str(victim) in proc.stderr
    assert "--skip-damaged" in proc.stderr
    assert {p: p.read_bytes() for p in (data / "concept_trends").rglob("*.parquet")} == (
        trends_before
    )

    proc = qun("datasets", "validate", "--data-dir", str(data), check=False)
    assert proc.returncode == 1 and str(victim) in proc.stdout

    proc = qun("trends", "--data-dir", str(data), "--skip-damaged", check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["damaged_files_skipped"] == 1
    assert str(victim) in proc.stderr

    out = tmp_path / "report" / "index.html"
    proc = qun("report", "--data-dir", str(data), "--out", str(out), "--skip-damaged")
    assert str(victim) in proc.stderr
    page = out.read_text("utf-8")
    assert "Incomplete data" in page and str(victim) in page

    proc = qun("datasets", "repair", "--data-dir", str(data))
    assert str(victim) in proc.stdout and "qun reextract" in proc.stdout
    qun("reextract", "--data-dir", str(data))
    assert sorted(store.read(documents.SPEC, data)["doc_id"].to_pylist()) == docs_before
    assert qun("datasets", "validate", "--data-dir", str(data)).returncode == 0


@pytest.mark.e2e
def test_damaged_mentions_are_extracted_again_after_repair(demo_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    before = store.read(mentions.ORG_SPEC, data).sort_by([("doc_id", "ascending")])
    victim = store.part_files(mentions.ORG_SPEC, data)[0]
    scramble_pages(victim)

    proc = qun("trends", "--data-dir", str(data), check=False)
    assert proc.returncode == 1 and str(victim) in proc.stderr

    proc = qun("datasets", "repair", "--data-dir", str(data))
    assert "qun extract --documents" in proc.stdout
    qun("extract", "--documents", "--data-dir", str(data))
    after = store.read(mentions.ORG_SPEC, data).sort_by([("doc_id", "ascending")])
    keep = [c for c in before.column_names if c != "extracted_at"]
    assert after.num_rows == before.num_rows
    assert sorted(map(str, after.select(keep).to_pylist())) == sorted(
        map(str, before.select(keep).to_pylist())
    )
