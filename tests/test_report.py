"""The report: scraped strings are escaped in HTML, exported cells cannot run as formulas."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from datasets import documents, store
from datasets.report import export_tables, neutralise
from tests.conftest import qun


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("南都公益基金会", "南都公益基金会"),
        (42, 42),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_and_xlsx_exports_are_neutralised(tmp_path: Path):
    export_tables(
        tmp_path, {"t": pd.DataFrame({"title": ['=HYPERLINK("x")', "safe"], "n": [1, 2]})}
    )
    with (tmp_path / "tables" / "t.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["title"] == '\'=HYPERLINK("x")' and rows[1]["title"] == "safe"
    sheet = openpyxl.load_workbook(tmp_path / "qun-tables.xlsx")["t"]
    assert sheet["A2"].value == '\'=HYPERLINK("x")' and sheet["A2"].data_type == "s"


def test_a_script_title_shows_as_text_in_the_report(demo_dir: Path, tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("report", "archive"))
    table = store.read(documents.SPEC, data)
    newest = pc.max(table["published_at"]).as_py()
    titles = [
        ("<script>alert(1)</script>" if d == newest else t)
        for t, d in zip(table["title"].to_pylist(), table["published_at"].to_pylist(), strict=True)
    ]
    table = table.set_column(
        table.schema.get_field_index("title"),
        "title",
        pa.array(titles, type=table.schema.field("title").type),
    )
    store.write(documents.SPEC, data, table, replace_all=True)
    qun("report", "--data-dir", str(data))
    page = (data / "report" / "index.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page
