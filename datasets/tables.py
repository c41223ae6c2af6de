"""The report's tables: how the page shows them and how they are exported.

Tables are typed (numbers as numbers). On the page a share shows with its counts and 95%
interval and an estimate with its standard error; the CSV and XLSX exports keep one type per
column, with number formats in the workbook, and text cells and headers that a spreadsheet
would run as formulas are neutralised.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from qun.datasets.intervals import interval_text, share_text
from qun.datasets.publish import Publication

# Column conventions of the report's tables (HTML, CSV and XLSX): a share is a fraction whose
# name ends in `share` (its 95% interval in `<share>_low` and `<share>_high`, its counts in the
# columns _COUNTS names); an amount's name has `amount` in it; `<x>_se` is the standard error of
# `<x>`.
_PERCENT = re.compile(r"share(_low|_high)?$")
_AMOUNT = re.compile(r"amount")
_COUNTS = {
    "share": ("documents_mentioning", "documents"),
    "funder_role_share": ("foundation_funder_mentions", "foundation_mentions"),
    "horizontal_share": ("horizontal", "known_direction"),
}


def missing(v: object) -> bool:
    """Whether a cell is empty (None, NA or NaN)."""
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _cell(column: str, v: object) -> str:
    """A value as the page shows it: shares as percentages, amounts with thousands separators."""
    if missing(v):
        return ""
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return f"{int(v):,}" if _AMOUNT.search(column) else str(int(v))
    if isinstance(v, float | np.floating):
        if _PERCENT.search(column):
            return f"{v:.0%}"
        if _AMOUNT.search(column):
            return f"{v:,.0f}"
        return f"{v:.4g}"
    return str(v)


def for_page(df: pd.DataFrame) -> pd.DataFrame:
    """A typed table as the page shows it: each share with its counts and 95% interval
    (`60% (3 of 5; 23–88%)`), each estimate with its standard error (`0.45 ± 0.12`)."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        c = str(col)
        if c.endswith(("_low", "_high", "_se")) and c.rsplit("_", 1)[0] in df.columns:
            continue
        counts = _COUNTS.get(c)
        if counts and all(n in df.columns for n in counts):
            k, n = counts
            out[c] = [
                ""
                if missing(a) or missing(b) or int(b) == 0
                else f"{share_text(int(a), int(b))[:-1]}; {interval_text(int(a), int(b))})"
                for a, b in zip(df[k], df[n], strict=True)
            ]
        elif f"{c}_se" in df.columns:
            out[c] = [
                _cell(c, v) + ("" if missing(se) else f" ± {se:.2g}")
                for v, se in zip(df[col], df[f"{c}_se"], strict=True)
            ]
        else:
            out[c] = [_cell(c, v) for v in df[col]]
    return out


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
    a tab or a carriage return, after any leading spaces) gets a leading apostrophe."""
    if isinstance(value, str) and (
        value.startswith(_FORMULA) or value.lstrip().startswith(_FORMULA)
    ):
        return "'" + value
    return value


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """One type per column for the exports: numeric columns stay numbers (whole numbers as
    integers), date columns dates, anything else text with formula neutralisation; the column
    names are neutralised too."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        values = df[col]
        name = str(neutralise(str(col)))
        if pd.api.types.is_bool_dtype(values):
            out[name] = values
        elif pd.api.types.is_numeric_dtype(values):
            whole = values.dropna()
            if (
                pd.api.types.is_float_dtype(values)
                and len(whole)
                and (whole % 1 == 0).all()
                and not (_PERCENT.search(str(col)))
            ):
                values = values.astype("Int64")
            out[name] = values
        elif pd.api.types.is_datetime64_any_dtype(values) or (
            values.notna().any() and all(isinstance(v, date) for v in values.dropna())
        ):
            out[name] = values
        else:
            out[name] = [None if missing(v) else neutralise(str(v)) for v in values]
    return out


def _number_format(column: str, values: pd.Series) -> str:
    if _PERCENT.search(column):
        return "0.0%"
    if _AMOUNT.search(column):
        return "#,##0"
    if pd.api.types.is_integer_dtype(values):
        return "0"
    if pd.api.types.is_float_dtype(values):
        return "0.0###"
    if values.notna().any() and all(isinstance(v, date) for v in values.dropna()):
        return "yyyy-mm-dd"
    return "@"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _xlsx_value(v: object) -> object:
    if missing(v):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def export_tables(
    folder: Path, tables: dict[str, pd.DataFrame], pub: Publication | None = None
) -> None:
    """The report's tables as CSV files and one XLSX workbook: numbers stored as numbers (shares
    as fractions in a percent format, amounts with a thousands separator), one type per column,
    a frozen header row, and text cells and headers that cannot run as formulas. Written as part
    of `pub` (published with the rest of the report), else published on their own."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    alone = pub is None
    pub = pub or Publication(folder)
    safe = {name: _typed(df) for name, df in tables.items() if not df.empty}
    for name, df in safe.items():
        df.to_csv(pub.path(Path("tables") / f"{name}.csv"), index=False, encoding="utf-8-sig")
    if not safe:  # a workbook needs one sheet
        safe = {"tables": pd.DataFrame({"note": ["no data yet: run a crawl first"]})}
    book = Workbook()
    book.remove(book.active)
    for name, df in safe.items():
        sheet = book.create_sheet(name[:31])
        sheet.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False):
            sheet.append([_xlsx_value(v) for v in row])
        for j, col in enumerate(df.columns, start=1):
            fmt = _number_format(str(col), df[col])
            shown = [_cell(str(col), v) for v in df[col].head(500)]
            letter = get_column_letter(j)
            sheet.column_dimensions[letter].width = min(
                60, max(8, _width(str(col)), *(_width(v) for v in shown)) + 2
            )
            sheet.cell(1, j).font = Font(bold=True)
            for cell in sheet[letter][1:]:
                if cell.value is not None:
                    cell.number_format = fmt
        sheet.freeze_panes = "A2"
    book.save(pub.path("qun-tables.xlsx"))
    if alone:
        pub.commit()
