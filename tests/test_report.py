"""The report: scraped strings are escaped in HTML, exported cells cannot run as formulas."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from qun.datasets import documents, store
from qun.datasets.report import export_tables, neutralise
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


def test_report_of_an_empty_data_dir(tmp_path: Path):
    """No datasets yet: the report says so instead of failing (it did on the XLSX export)."""
    from qun.datasets.report import write_report

    path = write_report(tmp_path, None, {})
    page = path.read_text("utf-8")
    assert "No dated documents yet" in page and "<figure" not in page
    assert openpyxl.load_workbook(tmp_path / "report" / "qun-tables.xlsx").sheetnames == ["tables"]


SCRIPT_TITLE = "<script>alert(1)</script>"


def data_with_script_title(demo_dir: Path, data: Path) -> Path:
    """A copy of the demo's datasets whose newest document is titled `<script>alert(1)</script>`."""
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("report", "archive"))
    table = store.read(documents.SPEC, data)
    newest = pc.max(table["published_at"]).as_py()
    titles = [
        (SCRIPT_TITLE if d == newest else t)
        for t, d in zip(table["title"].to_pylist(), table["published_at"].to_pylist(), strict=True)
    ]
    table = table.set_column(
        table.schema.get_field_index("title"),
        "title",
        pa.array(titles, type=table.schema.field("title").type),
    )
    store.write(documents.SPEC, data, table, replace_all=True)
    return data


def test_a_script_title_shows_as_text_in_the_report(demo_dir: Path, tmp_path: Path):
    data = data_with_script_title(demo_dir, tmp_path / "data")
    qun("report", "--data-dir", str(data))
    page = (data / "report" / "index.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page


def test_report_has_every_section_chart_and_export(demo_dir: Path, tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("report", "archive"))
    qun("report", "--data-dir", str(data))
    folder = data / "report"
    page = (folder / "index.html").read_text("utf-8")
    for heading in [
        "Findings",
        "Concept attention",
        "Adoption curves",
        "Horizontal and vertical partnerships",
        "Top funders and the grant-making index",
        "Backbone organization candidates",
        "Notable new documents",
    ]:
        assert f"<h2>{heading}" in page, heading
    findings = page[page.index("<ul class='findings'>") :].split("</ul>")[0]
    assert "集合影响力 (collective impact) was mentioned in" in findings
    assert "<blockquote>" in page  # evidence quotes under the new documents
    meta = json.loads((folder / "report.json").read_text("utf-8"))
    assert f'<meta name="qun-chart-font" content="{meta["chart_font"] or "none"}">' in page
    for chart in CHARTS:
        png = folder / "charts" / f"{chart}.png"
        assert png.read_bytes().startswith(b"\x89PNG"), png
        figure = page[page.index(f"id='chart-{chart}'") :].split("</figure>")[0]
        assert "<svg" in figure and "<path" in figure
    assert "http://" not in page.split("<body>")[0] and "<link" not in page  # nothing to fetch
    for table in ["concept_share_by_year", "concept_adopters", "grantmaking_index"]:
        assert (folder / "tables" / f"{table}.csv").exists(), table


CHARTS = ["concept_attention", "adoption_curves", "partnerships", "funders", "backbone"]


def _system_cjk_fonts() -> list[str]:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    out = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.strip()]


def test_charts_use_an_installed_chinese_font():
    from qun.datasets.charts import cjk_font

    installed = _system_cjk_fonts()
    if not installed:
        pytest.skip(
            "no Chinese font installed (fc-list :lang=zh is empty): install fonts-noto-cjk or "
            "fonts-wqy-zenhei, as .ci/run does"
        )
    font = cjk_font()
    assert font is not None, f"matplotlib found none of the installed Chinese fonts {installed}"
    assert any(font in line for line in installed), (font, installed)
