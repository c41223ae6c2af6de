"""The report: scraped strings are escaped in HTML, exported cells cannot run as formulas and
keep their number types, shares carry their counts and 95% intervals, the report says what it
is built from, and Chinese chart labels render with the font shipped with qun."""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import logging
import re
import shutil
import warnings
from pathlib import Path

import matplotlib
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import qun as qun_package
from qun.datasets import charts, diffusion, documents, events, mentions, store, trends, warehouse
from qun.datasets.intervals import wilson
from qun.datasets.report import export_tables, neutralise, write_report
from qun.spiders.registry import load_sources
from tests.conftest import ROOT, qun


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        (" =cmd|' /C calc'!A0", "' =cmd|' /C calc'!A0"),
        ("  +1", "'  +1"),
        ("\t=1", "'\t=1"),
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
    # the demo's sources are the registry's sample sources: the report says so under its title
    top = page[: page.index("<h2>Findings")]
    assert "Synthetic sample data" in top and f"qun {qun_package.__version__}," in top
    assert all(f"({source})" in top for source in SAMPLE_SOURCES)
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


# ---- a small data folder, written with the dataset writers ------------------------------------

SAMPLE_SOURCES = sorted(s.id for s in load_sources().values() if s.sample)
YEAR_COUNTS = {2024: (3, 8), 2025: (6, 7)}  # collective_impact: documents mentioning, all
GRANT_COUNTS = {2012: (3, 5), 2013: (4, 20)}  # funder-role mentions, foundation mentions
LINKS = {
    "d0": "https://www.example.org/a.html",
    "d1": "javascript:alert(1)",
    "d2": "JaVaScRiPt:alert(1)",
    "d3": " javascript:alert(1)",
    "d4": "data:text/html,<script>alert(1)</script>",
}


def _write(spec, data: Path, rows: list[dict]) -> None:
    columns = {f.name: [r.get(f.name) for r in rows] for f in spec.schema}
    store.write(spec, data, pa.table(columns, schema=spec.schema))


def small_data_dir(data: Path, source: str = "sample-observer") -> Path:
    """Fifteen documents of one source (2024 and 2025; two outlets, one named like a spreadsheet
    formula), their concept shares, a grant-making
    index from 5 and 20 foundation mentions, two funding mentions and a fitted Bass curve."""
    docs = []
    for year, (_, total) in YEAR_COUNTS.items():
        for i in range(total):
            doc_id = f"d{len(docs)}"
            docs.append(
                {
                    "doc_id": doc_id,
                    "url": LINKS.get(doc_id, f"https://www.example.org/{doc_id}.html"),
                    "source": source,
                    "outlet": "公益观察" if len(docs) < 10 else "=cmd|' /C calc'!A0",
                    "title": f"集合影响力 {doc_id}",
                    "published_at": dt.date(year, 3, 1 + i),
                    "lang": "zh-Hans",
                }
            )
    _write(documents.SPEC, data, docs)
    _write(
        trends.SPEC,
        data,
        [
            {
                "granularity": "year",
                "period": str(year),
                "period_start": dt.date(year, 1, 1),
                "concept": "collective_impact",
                "outlet": trends.ALL,
                "lang": trends.ALL,
                "docs_mentioning": k,
                "mentions": k,
                "docs_total": n,
                "share": k / n,
            }
            for year, (k, n) in YEAR_COUNTS.items()
        ],
    )
    _write(
        trends.GRANT_INDEX_SPEC,
        data,
        [
            {
                "year": year,
                "foundations_funding": k,
                "foundations_mentioned": n,
                "foundation_mentions": n,
                "foundation_funder_mentions": k,
                "funder_role_share": k / n,
                "grant_amount_cny": 1e6 * k,
            }
            for year, (k, n) in GRANT_COUNTS.items()
        ],
    )
    _write(
        mentions.FUNDING_SPEC,
        data,
        [
            {
                "doc_id": doc_id,
                "source": source,
                "published_at": dt.date(2025, 3, 1),
                "funder_id": "nandu",
                "funder": "南都公益基金会",
                "funder_type": "foundation",
                "amount_start": 0,
                "amount": amount,
                "currency": "CNY",
                "amount_cny": amount,
                "evidence_start": 0,
                "evidence_end": 10,
            }
            for doc_id, amount in [("d8", 3_000_000.0), ("d9", 1_250_000.0)]
        ],
    )
    _funding_events(data)
    years = list(range(2015, 2025))
    cumulative = [
        round(float(v))
        for v in diffusion.bass_cumulative(
            pd.Series(range(1, 11), dtype=float).to_numpy(), 0.03, 0.5, 60.0
        )
    ]
    _write(
        diffusion.DIFFUSION_SPEC,
        data,
        [
            {
                "concept": "collective_impact",
                "first_date": dt.date(2015, 1, 1),
                "first_outlet": "公益观察",
                "documents": 15,
                "outlets": 1,
                "organizations": cumulative[-1] - 1,
                "curve": [
                    {"year": y, "adopters": c} for y, c in zip(years, cumulative, strict=True)
                ],
                **diffusion.fit_bass(years, cumulative),
            }
        ],
    )
    return data


def _funding_events(data: Path) -> None:
    """The funding events of the stored funding mentions, as `qun trends` derives them."""
    with warehouse.connect(data, [documents.SPEC, mentions.FUNDING_SPEC]) as con:
        found = events.funding_events(con, {}, {})
    store.write(events.SPEC, data, found, replace_all=True)


LABELS = {"collective_impact": ("集合影响力", "collective impact")}
GENERATED = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)


def _report(data: Path) -> tuple[str, Path]:
    path = write_report(data, None, LABELS, sample_sources=SAMPLE_SOURCES, generated=GENERATED)
    return path.read_text("utf-8"), path.parent


def _findings(page: str) -> str:
    return page[page.index("<ul class='findings'>") :].split("</ul>")[0]


# ---- shares: counts, intervals, and no unsupported "up" or "down" -----------------------------


def test_wilson_interval_matches_its_formula_at_known_values():
    assert wilson(6, 7) == pytest.approx((0.48687, 0.97432), abs=1e-5)
    assert wilson(3, 8) == pytest.approx((0.13684, 0.69426), abs=1e-5)
    assert wilson(0, 6) == (0.0, pytest.approx(0.39033, abs=1e-5))
    assert wilson(7, 7) == (pytest.approx(0.64567, abs=1e-5), 1.0)


def test_a_rise_from_3_of_8_to_6_of_7_is_no_finding_of_up(tmp_path: Path):
    """86% of 7 documents against 38% of 8: the 95% intervals overlap, so no "up from"."""
    page, _ = _report(small_data_dir(tmp_path / "data"))
    facts = _findings(page)
    assert (
        "集合影响力 (collective impact) was mentioned in 86% (6 of 7; 95% interval 49–97%) of "
        "documents in 2025, against 38% (3 of 8; 95% interval 14–69%) in 2024 (the 95% "
        "intervals overlap: no clear change)"
    ) in facts
    assert "up from" not in facts and "down from" not in facts
    # the grant-making index: 60% of 5 mentions against 20% of 20, intervals overlap
    assert "against 60% (3 of 5; 95% interval 23–88%) in 2012" in facts
    assert "do not overlap" in page  # the rule is stated in the report


def test_a_rise_the_intervals_support_is_called_up():
    from qun.datasets.report import findings

    yearly = pd.DataFrame(
        {
            "period": ["2024", "2025"],
            "concept": ["collective_impact"] * 2,
            "docs_mentioning": [5, 40],
            "docs_total": [50, 50],
            "share": [0.1, 0.8],
        }
    )
    no_firsts = pd.DataFrame(columns=["concept", "published_at", "outlet", "title"])
    [sentence] = findings(yearly, no_firsts, LABELS)
    assert "80% (40 of 50; 95% interval 67–89%) of documents in 2025, up from 10% (5 of 50" in (
        sentence
    )


def test_tables_show_each_share_with_its_counts(tmp_path: Path):
    page, _ = _report(small_data_dir(tmp_path / "data"))
    attention = page[page.index("<h2>Concept attention") :].split("</table>")[0]
    assert "<td>86% (6 of 7)</td>" in attention and "<td>38% (3 of 8)</td>" in attention
    funders = page[page.index("<h2>Top funders") :]
    assert "<td>60% (3 of 5; 23–88%)</td>" in funders


def test_share_charts_draw_95_percent_bands_and_note_the_counts():
    k = pd.Series({2024: 3, 2025: 6})
    n = pd.Series({2024: 8, 2025: 7})
    line = charts.share_series("集合影响力 collective impact", k, n)
    fig = Figure()
    charts.share_panels([line], ylabel="share")(fig)
    [ax] = [a for a in fig.axes if a.get_visible()]
    assert "86% (6 of 7)" in [t.get_text() for t in ax.texts]
    [band] = [c for c in ax.collections if isinstance(c, PolyCollection)]
    ys = band.get_paths()[0].vertices[:, 1]
    assert min(ys) == pytest.approx(wilson(3, 8)[0]) and max(ys) == pytest.approx(wilson(6, 7)[1])

    index = pd.DataFrame(
        {
            "year": [2012, 2013],
            "funder_role_share": [0.6, 0.2],
            "foundation_funder_mentions": [3, 4],
            "foundation_mentions": [5, 20],
        }
    )
    fig = Figure()
    charts.funders(pd.DataFrame(columns=["funder", "amount"]), index)(fig)
    right = fig.axes[1]
    texts = [t.get_text() for t in right.texts]
    assert {"3/5", "4/20", "20% (4 of 20)"} <= set(texts)
    [bars] = right.containers  # the error bars: the Wilson interval of each year
    low, high = wilson(3, 5)
    segment = bars.lines[2][0].get_segments()[0]
    assert segment[:, 1] == pytest.approx([low, high])


def test_bass_fits_show_their_standard_errors(tmp_path: Path):
    page, folder = _report(small_data_dir(tmp_path / "data"))
    adoption = page[page.index("<h2>Adoption curves") :].split("</table>")[0]
    assert re.search(r"<td>0\.\d+ ± 0\.\d+</td>", adoption)  # q with its standard error
    assert "(± one standard error)" in _findings(page)
    with (folder / "tables" / "concept_adopters.csv").open(encoding="utf-8-sig") as fh:
        row = next(csv.DictReader(fh))
    assert float(row["bass_q_se"]) > 0 and float(row["bass_m_se"]) > 0


# ---- provenance -------------------------------------------------------------------------------


def test_the_report_says_what_it_is_built_from_and_that_sample_data_is_synthetic(tmp_path: Path):
    page, folder = _report(small_data_dir(tmp_path / "data"))
    top = page[: page.index("<h2>Findings")]
    assert "Synthetic sample data" in top
    assert "公益观察 (sample-observer)" in top  # the source's outlet name and id
    assert "Built from 15 documents" in top and "of 1 sources" in top
    assert "dated 2024-03-01 to 2025-03-07" in top
    assert f"qun {qun_package.__version__}, generated 2026-01-02 03:04 UTC" in top
    assert '<meta name="qun-sample-data" content="all">' in page
    prov = json.loads((folder / "report.json").read_text("utf-8"))["provenance"]
    assert prov["sources"][0]["source"] == "sample-observer" and prov["sources"][0]["sample"]
    assert prov["qun_version"] == qun_package.__version__
    assert prov["generated_at"] == "2026-01-02T03:04:00Z"


def test_a_report_of_real_sources_does_not_say_sample_data(tmp_path: Path):
    page, _ = _report(small_data_dir(tmp_path / "data", source="cdb-zh"))
    assert "Synthetic sample data" not in page and "synthetic sample" not in page
    assert '<meta name="qun-sample-data" content="none">' in page


# ---- links and exports ------------------------------------------------------------------------


def test_only_http_and_https_addresses_become_links(tmp_path: Path):
    page, _ = _report(small_data_dir(tmp_path / "data"))
    listed = page[page.index("<ul class='documents'>") :].split("</ul>")[0]
    assert re.findall(r'href="([^"]*)"', listed).count(LINKS["d0"]) == 1
    assert all(h.startswith("https://") for h in re.findall(r'href="([^"]*)"', listed))
    for doc_id in ("d1", "d2", "d3", "d4"):
        assert f"<span class='url'>{html.escape(LINKS[doc_id])}</span>" in listed, doc_id
    assert "<script" not in page


def test_exports_store_numbers_as_numbers_with_formats(tmp_path: Path):
    _, folder = _report(small_data_dir(tmp_path / "data"))
    book = openpyxl.load_workbook(folder / "qun-tables.xlsx")
    grant = book["grantmaking_index"]
    header = [c.value for c in grant[1]]
    share = grant.cell(2, header.index("funder_role_share") + 1)
    assert share.data_type == "n" and share.value == pytest.approx(0.6)
    assert "%" in share.number_format
    funders = book["top_funders"]
    header = [c.value for c in funders[1]]
    amount = funders.cell(2, header.index("amount_cny") + 1)
    assert amount.value == 4_250_000 and amount.number_format == "#,##0"
    for sheet in book:
        assert sheet.freeze_panes == "A2", sheet.title
        for column in sheet.iter_cols(min_row=2):
            kinds = {c.data_type for c in column if c.value is not None}
            assert len(kinds) <= 1, (sheet.title, column[0].column_letter, kinds)
    assert book["documents_per_outlet"]["B1"].value == "'=cmd|' /C calc'!A0"  # a header
    assert book["documents_per_outlet"]["B1"].data_type == "s"
    assert book["latest_documents"].column_dimensions["C"].width > 10
    with (folder / "tables" / "grantmaking_index.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert float(rows[0]["funder_role_share"]) == pytest.approx(0.6)
    assert not any("%" in v for r in rows for v in r.values())
    with (folder / "tables" / "documents_per_outlet.csv").open(encoding="utf-8-sig") as fh:
        assert next(csv.reader(fh))[1] == "'=cmd|' /C calc'!A0"


def test_typed_export_of_a_table_with_formula_text(tmp_path: Path):
    export_tables(
        tmp_path,
        {
            "t": pd.DataFrame(
                {
                    "=cmd|' /C calc'!A0": [" =1+1", "safe"],
                    "share": [0.5, 0.25],
                    "amount_cny": [1234567.0, 10.0],
                    "year": [2024, 2025],
                }
            )
        },
    )
    sheet = openpyxl.load_workbook(tmp_path / "qun-tables.xlsx")["t"]
    assert [c.value for c in sheet[1]] == ["'=cmd|' /C calc'!A0", "share", "amount_cny", "year"]
    assert sheet["A2"].value == "' =1+1" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 0.5 and sheet["B2"].number_format == "0.0%"
    assert sheet["C2"].value == 1234567 and sheet["C2"].number_format == "#,##0"
    assert sheet["D2"].value == 2024 and sheet["D2"].number_format == "0"


# ---- the Chinese chart font -------------------------------------------------------------------


@pytest.fixture
def no_installed_fonts(monkeypatch: pytest.MonkeyPatch):
    """matplotlib as on a machine with no font installed: only the fonts matplotlib ships."""
    bundled = Path(matplotlib.get_data_path()).resolve()
    own = [
        f
        for f in font_manager.fontManager.ttflist
        if Path(f.fname).resolve().is_relative_to(bundled)
    ]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", own)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])

    def forget() -> None:
        for cached in (charts.cjk_font, getattr(charts, "installed_cjk_font", None)):
            if cached is not None:
                cached.cache_clear()
        font_manager.fontManager._findfont_cached.cache_clear()

    forget()
    yield
    forget()


CHINESE_ORGS = ["南都公益基金会", "公民社會報", "恒信慈善基金会"]


def _backbone_chart(orgs: list[str]) -> charts.Chart:
    top = pd.DataFrame({"org": orgs, "score": [3.0, 2.0, 1.0][: len(orgs)]})
    return charts.render("backbone", "骨干组织候选 中文", charts.backbone(top))


def test_chinese_chart_labels_have_glyphs_with_no_font_installed(no_installed_fonts, caplog):
    font = charts.cjk_font()
    assert font is not None
    path = font_manager.findfont(
        font_manager.FontProperties(family=font), fallback_to_default=False
    )
    cmap = TTFont(path).getBestCmap()
    assert all(ord(ch) in cmap for ch in "".join(CHINESE_ORGS) + "骨干组织候选中文")
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        chart = _backbone_chart(CHINESE_ORGS)
    assert not [w for w in caught if "missing" in str(w.message)]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert chart.png.startswith(b"\x89PNG") and "<path" in chart.svg


def test_a_character_no_font_has_is_named_in_one_warning(no_installed_fonts, caplog):
    with caplog.at_level(logging.WARNING):
        _backbone_chart(["𠀀𠀁基金会", "南都公益基金会"])
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    message = record.getMessage()
    assert "𠀀" in message and "𠀁" in message and "\n" not in message


def test_charts_use_the_shipped_font_first():
    shipped = font_manager.FontProperties(fname=charts.SHIPPED_FONT).get_name()
    assert charts.cjk_font() == shipped
    families = charts.font_families()
    assert families[0] == shipped and families[-1] == "DejaVu Sans"


def test_the_readme_names_the_shipped_chart_font_and_its_licence():
    readme = (ROOT / "README.md").read_text("utf-8")
    report = readme[readme.index("## The report") :].split("\n## ")[0]
    [font] = set(re.findall(r"`(datasets/fonts/[\w.-]+\.otf)`", report))
    assert "`datasets/fonts/OFL.txt`" in report and "SIL Open Font License 1.1" in report
    assert "SIL OPEN FONT LICENSE Version 1.1" in (ROOT / "datasets/fonts/OFL.txt").read_text()
    assert ROOT / font == charts.SHIPPED_FONT
    cmap = TTFont(ROOT / font).getBestCmap()
    assert all(ord(ch) in cmap for ch in "中文")
    # every Chinese character the README shows in the report section, and the count it states
    assert all(ord(ch) in cmap for ch in re.findall(r"[\u4e00-\u9fff]", report))
    claimed = int(re.search(r"the ([\d,]+) CJK Unified Ideographs", report)[1].replace(",", ""))
    assert claimed == sum(0x4E00 <= c <= 0x9FFF for c in cmap)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"fonts/*.otf", "fonts/OFL.txt"' in pyproject  # installed with the package


def test_qun_report_warns_in_one_line_of_characters_no_font_has(tmp_path: Path):
    data = small_data_dir(tmp_path / "data")
    funding = store.read(mentions.FUNDING_SPEC, data)
    funders = ["𠀀𠀁基金会"] * funding.num_rows  # ideographs of an extension the fonts lack
    funding = funding.set_column(
        funding.schema.get_field_index("funder"), "funder", pa.array(funders, pa.string())
    )
    store.write(mentions.FUNDING_SPEC, data, funding, replace_all=True)
    _funding_events(data)
    proc = qun("report", "--data-dir", str(data))
    lines = [line for line in proc.stderr.splitlines() if "𠀀" in line]
    assert len(lines) == 1 and "𠀁" in lines[0] and "warning" in lines[0], proc.stderr
