"""The `qun` command end to end, as a user runs it: the demo on the sample site, the datasets
it leaves behind, `qun extract`, help texts and error handling."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from qun import load as qun_load
from qun.datasets import catalog
from tests.conftest import ROOT, qun

DATASETS = ("documents", "org_mentions", "concept_mentions", "concept_trends")
SUBCOMMANDS = (
    "run",
    "crawl",
    "extract",
    "reextract",
    "trends",
    "report",
    "eval",
    "datasets",
    "train",
    "sources",
)


@pytest.mark.parametrize("name", DATASETS)
def test_demo_datasets_open_with_pyarrow_and_duckdb(demo_dir: Path, name: str):
    table = ds.dataset(demo_dir / name, partitioning="hive").to_table()
    assert table.num_rows > 0
    con = duckdb.connect()
    rows = con.execute(
        f"select count(*) from read_parquet('{demo_dir}/{name}/**/*.parquet', "
        "hive_partitioning = true)"
    ).fetchall()[0][0]
    assert rows == table.num_rows


def test_demo_documents_hold_every_allowed_document_once(demo_dir: Path, manifest: dict):
    docs = ds.dataset(demo_dir / "documents", partitioning="hive").to_table().to_pylist()
    urls = [d["url"] for d in docs]
    assert len(urls) == len(set(urls)) == len({d["doc_id"] for d in docs})
    assert set(urls) == {d["url"] for d in manifest["documents"] if d["allowed"]}


def test_demo_links_every_reprint_to_its_original(demo_dir: Path, manifest: dict):
    docs = ds.dataset(demo_dir / "documents", partitioning="hive").to_table().to_pylist()
    by_url = {d["url"]: d for d in docs}
    gold = {d["id"]: d for d in manifest["documents"]}
    reprints = [d for d in manifest["documents"] if d["reprint_of"]]
    assert reprints
    for rep in reprints:
        original = by_url[gold[rep["reprint_of"]]["url"]]
        assert by_url[rep["url"]]["duplicate_of"] == original["doc_id"], rep["url"]
    assert sum(d["duplicate_of"] is not None for d in docs) == len(reprints)


def test_demo_trends_tell_the_sample_story(demo_dir: Path, manifest: dict):
    con = duckdb.connect()
    rows = con.execute(f"""
        select cast(period as int) as year, share, docs_mentioning
        from read_parquet('{demo_dir}/concept_trends/**/*.parquet', hive_partitioning = true)
        where granularity = 'year' and concept = 'collective_impact'
          and outlet = '*' and lang = '*' order by year""").fetchall()
    first_gold = min(
        int(d["date"][:4])
        for d in manifest["documents"]
        if d["allowed"] and "collective_impact" in d["concepts"]
    )
    first_seen = min(year for year, _, n in rows if n > 0)
    assert first_seen == first_gold
    before = [s for y, s, _ in rows if y < 2017]
    after = [s for y, s, _ in rows if y > 2017]
    assert sum(after) / len(after) > 2 * sum(before) / len(before)
    [(early,), (late,)] = con.execute(f"""
        select sum(horizontal) / sum(horizontal + vertical)
        from read_parquet('{demo_dir}/partnership_trends/**/*.parquet', hive_partitioning = true)
        where granularity = 'year' and sector_pair = '*'
        group by cast(period as int) > 2016 order by cast(period as int) > 2016""").fetchall()
    assert late > early + 0.3


def test_demo_report_is_written(demo_dir: Path):
    report = (demo_dir / "report" / "index.html").read_text("utf-8")
    assert "集合影响力" in report and "<svg" in report and "<script" not in report


def _rows(data_dir: Path) -> dict[str, list[str]]:
    """Every row of every dataset as sorted JSON (fetch times aside)."""
    out = {}
    for name in DATASETS:
        table = ds.dataset(data_dir / name, partitioning="hive").to_table()
        if "fetched_at" in table.column_names:
            table = table.drop_columns(["fetched_at"])
        out[name] = sorted(
            json.dumps(r, default=str, sort_keys=True, ensure_ascii=False)
            for r in table.to_pylist()
        )
    return out


def test_second_demo_run_changes_nothing(demo_dir: Path):
    before = _rows(demo_dir)
    summary = json.loads(qun("run", "--demo", "--data-dir", str(demo_dir), "--json").stdout)
    assert _rows(demo_dir) == before
    assert summary["rows"]["documents"] == len(before["documents"])


@pytest.mark.e2e
def test_run_prints_a_summary_with_rows_dates_and_report(tmp_path: Path):
    out = qun("run", "--demo", "--data-dir", str(tmp_path / "d"))
    assert "documents" in out.stdout and "concept_trends" in out.stdout
    assert "documents dated 2011-" in out.stdout
    assert f"report: {tmp_path / 'd' / 'report' / 'index.html'}" in out.stdout


def test_extract_contract_on_mixed_input_with_bad_lines(tmp_path: Path):
    lines = [
        json.dumps(
            {"id": "s", "text": "南都公益基金会与晨光社区发展中心推动集合影响力。"},
            ensure_ascii=False,
        ),
        json.dumps(
            {"id": "t", "text": "香港社會服務聯會與樂施會建立骨幹組織。"}, ensure_ascii=False
        ),
        json.dumps({"id": "e", "text": "The Narada Foundation backs collective impact in China."}),
        "this is not json",
        json.dumps({"id": "n"}),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", "utf-8")
    qun("extract", "--jsonl", str(src), "--out", str(tmp_path / "out.jsonl"))
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert [o.get("id") for o in out] == ["s", "t", "e", None, "n"]
    assert [o.get("lang") for o in out[:3]] == ["zh-Hans", "zh-Hant", "en"]
    assert "error" in out[3] and "error" in out[4]
    texts = [json.loads(x)["text"] for x in lines[:3]]
    for o, text in zip(out[:3], texts, strict=True):
        assert o["organizations"] and o["concepts"]
        for item in o["organizations"] + o["concepts"]:
            assert text[item["start"] : item["end"]] == item["text"]


def test_extract_reads_stdin_and_writes_stdout():
    proc = qun("extract", input='{"id": "1", "text": "集合影响力"}\n')
    assert json.loads(proc.stdout)["concepts"][0]["concept"] == "collective_impact"


@pytest.mark.parametrize("sub", ("", *SUBCOMMANDS))
def test_help_explains_options(sub: str):
    proc = qun(*([sub] if sub else []), "--help")
    assert proc.returncode == 0
    assert "usage: qun" in proc.stdout
    if sub and sub != "sources":
        assert "--data-dir" in proc.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--sources", "no-such-source"),
        ("extract", "--jsonl", "/no/such/file.jsonl"),
        ("eval", "sample", "--manifest", "/no/such/manifest.json"),
    ],
)
def test_user_errors_are_one_line_without_traceback(args, tmp_path: Path):
    proc = qun(*args, "--data-dir", str(tmp_path), check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("qun: error: ")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("what", "flag", "value"),
    [
        ("relations", "--steps", "5"),
        ("types", "--steps", "5"),
        ("relations", "--eval-every", "10"),
        ("types", "--learn-rate", "0.1"),
        ("relations", "--limit", "3"),
    ],
)
def test_train_refuses_ner_only_flags_for_other_trainers(
    what: str, flag: str, value: str, tmp_path: Path
):
    import os

    out = tmp_path / "model"
    # no corpora: a trainer that started anyway would stop at once, and write nothing here
    env = {**os.environ, "QUN_SHARED_DATA": str(tmp_path / "no-corpora")}
    proc = qun("train", what, flag, value, "--out", str(out), check=False, env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"qun: error: {flag} applies to 'qun train ner' only\n"
    assert proc.stdout == "" and not out.exists()


def test_train_ner_options_default_to_the_shipped_model_and_take_flags():
    from qun.flows.cli import build_parser, ner_train_options
    from qun.models.ner_train import TrainOptions

    parse = build_parser().parse_args
    assert ner_train_options(parse(["train", "ner"])) == TrainOptions()
    given = ner_train_options(parse(["train", "ner", "--steps", "7", "--learn-rate", "0.01"]))
    assert (given.steps, given.learn_rate, given.eval_every) == (7, 0.01, 300)


def test_eval_sample_prints_scores():
    proc = qun("eval", "sample", "--json")
    scores = json.loads(proc.stdout)
    assert set(scores) == {"organizations", "concepts"}


def test_extract_gives_one_record_per_line_whatever_the_bytes(tmp_path: Path):
    """Bad bytes, a lone surrogate, an empty line or an unknown lang end no stream."""
    good = {"id": "g", "text": "南都公益基金会资助晨光社区发展中心300万元。"}
    lines = [
        codecs.BOM_UTF8 + json.dumps(good, ensure_ascii=False).encode("utf-8"),
        b'{"id": "x", "text": "\xff\xfe broken"}',
        json.dumps({"id": "gbk", "text": "集合影响力"}, ensure_ascii=False).encode("gbk"),
        b'{"id": "s", "text": "a \\ud800 b"}',
        b"",
        json.dumps({"id": "l", "text": "集合影响力", "lang": "klingon"}).encode("utf-8"),
        json.dumps({"id": "last", "text": "集合影响力"}).encode("utf-8"),
    ]
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    proc = qun("extract", "--jsonl", str(src), check=False)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["id"] == "g" and out[0]["funding"][0]["amount"] == 3_000_000
    assert "line 2 is not UTF-8" in out[1]["error"]
    assert "line 3 is not UTF-8" in out[2]["error"]
    assert out[3]["id"] == "s" and "surrogate" in out[3]["error"]
    assert out[4] == {"id": None, "error": "empty line"}
    assert out[5]["id"] == "l" and "unknown 'lang'" in out[5]["error"]
    assert out[6]["id"] == "last" and out[6]["concepts"][0]["concept"] == "collective_impact"
    assert "7 lines, 5 with errors" in proc.stderr


@pytest.mark.slow
def test_a_runtime_failure_is_one_line_and_verbose_shows_the_traceback(tmp_path: Path):
    """A failure inside a Prefect flow (a trend table's folder is a file) printed Prefect's
    90-line traceback before qun's line."""
    data = tmp_path / "data"
    (data / "documents").mkdir(parents=True)
    (data / "concept_trends").write_text("x")  # where a trend table is to be written
    proc = qun("trends", "--data-dir", str(data), check=False)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("qun: error: concept_trends: cannot write")
    verbose = qun("trends", "--data-dir", str(data), "-v", check=False)
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("report",),
        ("trends",),
        ("datasets", "list"),
        ("datasets", "validate"),
        ("extract", "--documents"),
        ("reextract",),
    ],
)
def test_reading_commands_refuse_a_folder_without_datasets(args, tmp_path: Path):
    """A mistyped --data-dir gave an empty report, or 'all datasets are valid', with exit 0."""
    typo = tmp_path / "dtaa"
    proc = qun(*args, "--data-dir", str(typo), check=False)
    assert proc.returncode == 1, proc.stdout
    assert proc.stderr.strip() == (
        f"qun: error: {typo} holds no qun datasets (a mistyped --data-dir? "
        "`qun run` or `qun crawl` creates them)"
    )
    assert not typo.exists()  # nothing written there


def test_load_refuses_a_folder_without_datasets(tmp_path: Path):
    from qun.datasets.store import DatasetError

    with pytest.raises(DatasetError, match="holds no qun datasets"):
        qun_load("documents", tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "--demo", "--sources", "cdb-zh"), "--demo crawls the bundled sample site"),
        (("crawl", "--demo", "--sources", "all"), "does not hold cdb-zh, cdb-en"),
        (("crawl", "--sources", "sample-civic"), "sample-civic are sample sources"),
    ],
)
def test_sources_that_cannot_work_with_the_mode_are_refused_up_front(args, message, tmp_path):
    """`qun run --demo --sources cdb-zh` was accepted and failed after 91 s."""
    proc = qun(*args, "--data-dir", str(tmp_path / "d"), check=False)
    assert proc.returncode == 1 and message in proc.stderr
    assert proc.stderr.count("\n") == 1 and not (tmp_path / "d").exists()


def test_serve_refuses_sample_sources(tmp_path: Path):
    env = dict(os.environ, PREFECT_API_URL="http://127.0.0.1:9/api")  # never reached
    proc = qun("serve", "--sources", "sample", "--data-dir", str(tmp_path), env=env, check=False)
    assert proc.returncode == 1
    assert "qun serve schedules crawls of real sites; sample-observer" in proc.stderr


def test_serve_with_an_unreachable_prefect_server_is_one_line(tmp_path: Path):
    """It printed a 100-line httpx.ConnectError and no `qun:` line."""
    env = dict(os.environ, PREFECT_API_URL="http://127.0.0.1:9/api", QUN_CONTACT="ops@x.org")
    proc = qun("serve", "--data-dir", str(tmp_path), env=env, check=False)  # nothing on port 9
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith(
        "qun: error: cannot reach the Prefect server at http://127.0.0.1:9/api"
    )
    assert "prefect server start" in proc.stderr


def test_crawling_real_sites_without_a_contact_warns_once(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "QUN_CONTACT"}
    env["PREFECT_API_URL"] = "http://127.0.0.1:9/api"
    proc = qun("serve", "--data-dir", str(tmp_path), env=env, check=False)
    warning, error = proc.stderr.splitlines()
    assert warning.startswith("qun: warning: QUN_CONTACT is not set")
    assert 'export QUN_CONTACT="https://your.org/contact"' in warning
    assert error.startswith("qun: error: cannot reach the Prefect server")
    env["QUN_CONTACT"] = "ops@x.org"
    proc = qun("serve", "--data-dir", str(tmp_path), env=env, check=False)
    assert "QUN_CONTACT" not in proc.stderr


def test_politeness_delay_is_randomized_by_scrapy() -> None:
    """The delay varies by +-50%, through the setting this Scrapy reads, with no deprecated one."""
    import scrapy
    from scrapy.settings import Settings

    from qun.spiders import settings as module

    settings = Settings()
    settings.setmodule(module)
    assert settings.getfloat("DOWNLOAD_DELAY") > 0
    assert not hasattr(module, "RANDOMIZE_DOWNLOAD_DELAY")  # deprecated since Scrapy 2.19
    if "DOWNLOAD_DELAY_JITTER" in Settings().attributes:  # Scrapy >= 2.19
        assert settings.getfloat("DOWNLOAD_DELAY_JITTER") == 0.5
    else:  # older Scrapy: its RANDOMIZE_DOWNLOAD_DELAY default gives the same range
        assert settings.getbool("RANDOMIZE_DOWNLOAD_DELAY"), scrapy.__version__


def test_an_invalid_time_budget_is_refused_up_front(tmp_path: Path):
    env = dict(os.environ, QUN_DOC_BUDGET="ten")
    proc = qun("extract", env=env, input="", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "qun: error: QUN_DOC_BUDGET='ten' is not a number of seconds; unset it or give a "
        "number of seconds"
    )


def test_the_readme_claims_about_errors_hold(tmp_path: Path):
    """The README says: one line, status 1 (2 for a usage mistake), traceback with --verbose."""
    readme = " ".join((ROOT / "README.md").read_text("utf-8").split())
    assert (
        "Errors print one line (`qun: error: ...`) and exit with status 1 (2 for a usage mistake)"
        in readme
    )
    assert "`--verbose` shows the traceback" in readme
    missing = qun("trends", "--data-dir", str(tmp_path / "nowhere"), check=False)
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == [missing.stderr.strip()]
    assert missing.stderr.startswith("qun: error: ")
    verbose = qun("trends", "--data-dir", str(tmp_path / "nowhere"), "-v", check=False)
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr
    usage = qun("trends", "--no-such-option", check=False)
    assert usage.returncode == 2
    assert usage.stderr.splitlines()[-1].startswith("qun: error: ")


def test_describe_shows_what_each_column_means():
    out = qun("datasets", "describe", "concept_trends").stdout
    assert "Summary rows sit beside detail rows" in out
    assert "docs_mentioning" in out and "documents of the period/outlet/language" in out
    assert "not null" in out
    described = json.loads(qun("datasets", "describe", "documents", "--json").stdout)
    flags = next(c for c in described["columns"] if c["name"] == "flags")
    assert flags["type"] == "list<element: string>" and flags["nullable"] is True
    assert flags["description"].startswith("quality flags")
    assert described["partition"] == "source" and described["key"] == ["doc_id"]


def test_listing_commands_print_json(demo_dir: Path):
    listed = json.loads(qun("datasets", "list", "--json", "--data-dir", str(demo_dir)).stdout)
    rows = {d["name"]: d["rows"] for d in listed}
    assert rows["documents"] == 126 and len(rows) == len(catalog.ALL)
    checked = json.loads(qun("datasets", "validate", "--json", "--data-dir", str(demo_dir)).stdout)
    assert checked["valid"] is True and checked["problems"] == []
    sources = json.loads(qun("sources", "--json").stdout)
    assert {"id", "outlet", "kind", "lang", "domains", "sample"} <= set(sources[0])
    assert any(s["sample"] for s in sources) and any(not s["sample"] for s in sources)


def test_a_reader_that_goes_away_is_no_error(tmp_path: Path):
    """`qun datasets list | head` ended in a broken-pipe error."""
    exe = Path(sys.executable).with_name("qun")
    lines = tmp_path / "in.jsonl"
    text = "恒信慈善基金会与明德公益基金会合作，共同推动集体影响力。" * 4
    lines.write_text(json.dumps({"text": text}, ensure_ascii=False) + "\n", "utf-8")
    lines.write_text(lines.read_text("utf-8") * 3000, "utf-8")  # output well over a pipe's 64 KB
    proc = subprocess.run(
        f"{exe} extract --jsonl {lines} | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        executable="/bin/bash",
    )
    assert len(proc.stdout) == 10
    assert proc.stderr == ""


def test_a_non_string_id_comes_back_as_its_json_text():
    """`{"id": true}` came back as Python's "True", a list as its repr."""
    from qun.flows.cli import extract_line

    ids = [7, True, None, [1, "二"], {"k": 1.5}, "x"]
    got = [extract_line(json.dumps({"id": i, "text": "a"}))["id"] for i in ids]
    assert got == ["7", "true", None, '[1,"二"]', '{"k":1.5}', "x"]
