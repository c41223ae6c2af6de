"""The trend report: one self-contained HTML file (inline SVG charts, no network needed).

Every string that comes from crawled pages is HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from datasets import documents, mentions, store, trends

E = html.escape
PALETTE = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#6a4c93", "#52a675"]


def _svg_lines(
    series: dict[str, pd.Series], title: str, width: int = 720, height: int = 260
) -> str:
    """A small line chart of shares (0..1) by year, as inline SVG."""
    years = sorted({int(y) for s in series.values() for y in s.index})
    if not years:
        return ""
    top = max(max((float(v) for v in s.values), default=0.0) for s in series.values()) or 1.0
    left, right, bottom, upper = 50, 170, 30, 20

    def x(year: int) -> float:
        span = max(years[-1] - years[0], 1)
        return left + (year - years[0]) / span * (width - left - right)

    def y(v: float) -> float:
        return height - bottom - v / top * (height - bottom - upper)

    parts = [
        f'<svg class="chart" role="img" aria-label="{E(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#999"/>',
        f'<line x1="{left}" y1="{upper}" x2="{left}" y2="{height - bottom}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{upper + 4}" text-anchor="end" font-size="11">{top:.0%}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" font-size="11">0%</text>',
    ]
    for year in years[:: max(len(years) // 8, 1)]:
        parts.append(
            f'<text x="{x(year):.1f}" y="{height - 10}" text-anchor="middle" '
            f'font-size="11">{year}</text>'
        )
    for i, (name, s) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        pts = " ".join(f"{x(int(k)):.1f},{y(float(v)):.1f}" for k, v in sorted(s.items()))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{pts}"/>')
        parts.append(
            f'<text x="{width - right + 8}" y="{upper + 16 * i + 10}" fill="{color}" '
            f'font-size="12">{E(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{E(str(c))}</th>" for c in df.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{E(str(v))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _links(df: pd.DataFrame) -> str:
    rows = "".join(
        f"<li>{E(str(r.published_at))} · {E(str(r.outlet))} · "
        f'<a href="{E(str(r.url))}">{E(str(r.title))}</a></li>'
        for r in df.itertuples(index=False)
    )
    return f"<ul>{rows}</ul>"


def findings(
    yearly: pd.DataFrame,
    docs: pd.DataFrame,
    cmentions: pd.DataFrame,
    labels: dict[str, tuple[str, str]],
) -> list[str]:
    """Plain-language sentences about the concepts with the most attention."""
    out: list[str] = []
    if yearly.empty:
        return ["No dated documents yet: run a crawl first."]
    latest = yearly["period"].max()
    ranked = yearly.groupby("concept")["docs_mentioning"].sum().sort_values(ascending=False)
    for concept in [c for c in ranked.index if ranked[c] > 0][:4]:
        s = yearly[yearly["concept"] == concept].set_index("period")["share"]
        zh, en = labels.get(concept, (concept, concept))
        first = cmentions[cmentions["concept"] == concept].merge(docs, on="doc_id")
        first = first.sort_values("published_at").head(1)
        sentence = f"{zh} ({en}) was mentioned in {s.get(latest, 0):.0%} of documents in {latest}"
        earlier = s[s.index < latest]
        if len(earlier):
            peak_year = earlier.idxmax()
            sentence += f", against {earlier.max():.0%} at most before ({peak_year})"
        if len(first):
            row = first.iloc[0]
            sentence += (
                f"; first seen on {row['published_at']} in {row['outlet']}: “{row['title']}”"
            )
        out.append(sentence + ".")
    return out


def write_report(data_dir: Path, out: Path | None, labels: dict[str, tuple[str, str]]) -> Path:
    """Render `<data_dir>/report/index.html` (or `out`) from the datasets; return its path."""
    out = out or Path(data_dir) / "report" / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    docs = (
        store.read(documents.SPEC, data_dir)
        .select(["doc_id", "outlet", "title", "url", "published_at", "lang", "duplicate_of"])
        .to_pandas()
    )
    trend = store.read(trends.SPEC, data_dir).to_pandas()
    cm = store.read(mentions.CONCEPT_SPEC, data_dir).select(["doc_id", "concept"]).to_pandas()
    om = (
        store.read(mentions.ORG_SPEC, data_dir)
        .select(["doc_id", "org_id", "canonical", "type"])
        .to_pandas()
    )
    yearly = trend[
        (trend["granularity"] == "year")
        & (trend["outlet"] == trends.ALL)
        & (trend["lang"] == trends.ALL)
    ]
    ranked = yearly.groupby("concept")["docs_mentioning"].sum().sort_values(ascending=False)
    top = [c for c in ranked.index if ranked[c] > 0][:6]
    series = {
        f"{labels.get(c, (c, c))[0]} {labels.get(c, (c, c))[1]}": yearly[
            yearly["concept"] == c
        ].set_index("period")["share"]
        for c in top
    }
    share_table = pd.DataFrame()
    if top:
        pivot = yearly[yearly["concept"].isin(top)].pivot(
            index="period", columns="concept", values="share"
        )
        share_table = (pivot.map(lambda v: f"{v:.0%}")).reset_index()
    orgs = pd.DataFrame()
    if not om.empty:
        orgs = (
            om.groupby(["canonical", "type"])["doc_id"]
            .nunique()
            .rename("documents")
            .reset_index()
            .sort_values("documents", ascending=False)
            .head(20)
        )
    per_outlet = pd.DataFrame()
    if not docs.empty:
        d = docs.dropna(subset=["published_at"]).copy()
        d["year"] = pd.to_datetime(d["published_at"]).dt.year
        per_outlet = d.pivot_table(
            index="year", columns="outlet", values="doc_id", aggfunc="count", fill_value=0
        ).reset_index()
    facts = findings(yearly, docs, cm, labels)
    recent = docs.dropna(subset=["published_at"]).sort_values("published_at", ascending=False)
    recent = recent[recent["duplicate_of"].isna()].head(15)
    ptrend = store.read(trends.PARTNERSHIP_SPEC, data_dir).to_pandas()
    pyear = ptrend[(ptrend["granularity"] == "year") & (ptrend["sector_pair"] == trends.ALL)]
    partner_chart = (
        _svg_lines(
            {
                "horizontal share 横向合作占比": pyear.set_index("period")[
                    "horizontal_share"
                ].fillna(0)
            },
            "Share of partnerships that are horizontal, by year",
        )
        if not pyear.empty
        else ""
    )
    partner_table = (
        pyear[["period", "partnerships", "horizontal", "vertical"]]
        if not pyear.empty
        else pd.DataFrame()
    )
    if not pyear.empty:
        early = pyear[pyear["period"].astype(int) <= 2016]
        late = pyear[pyear["period"].astype(int) > 2016]
        if early["partnerships"].sum() and late["partnerships"].sum():
            facts.append(
                f"Horizontal partnerships (same sector) were {late['horizontal'].sum() / max(1, late[['horizontal', 'vertical']].sum().sum()):.0%} "
                f"of partnerships after 2016, against {early['horizontal'].sum() / max(1, early[['horizontal', 'vertical']].sum().sum()):.0%} up to 2016."
            )
    fund = store.read(mentions.FUNDING_SPEC, data_dir).to_pandas()
    funders = pd.DataFrame()
    if not fund.empty:
        named = fund.dropna(subset=["funder"])
        funders = (
            named.groupby(["funder", "funder_type"])
            .agg(mentions=("doc_id", "count"), amount_cny=("amount_cny", "sum"))
            .reset_index()
            .sort_values("amount_cny", ascending=False)
            .head(15)
        )
        funders["amount_cny"] = funders["amount_cny"].map(lambda v: f"{v:,.0f}")
    body = [
        "<h1>qun — collective impact in Chinese philanthropy discourse / 集合影响力话语趋势</h1>",
        f"<p class='meta'>{len(docs)} documents ({int(docs['duplicate_of'].notna().sum()) if len(docs) else 0} "
        "reprints folded into their originals). Shares are of all documents of the year.</p>",
        "<h2>Findings / 主要发现</h2><ul>" + "".join(f"<li>{E(f)}</li>" for f in facts) + "</ul>",
        "<h2>Concept attention by year / 概念关注度（年度文档占比）</h2>",
        _svg_lines(series, "Share of documents mentioning each concept, by year"),
        _table(share_table) if not share_table.empty else "<p>No concept mentions yet.</p>",
        "<h2>Horizontal and vertical partnerships / 横向与纵向合作</h2>",
        partner_chart,
        _table(partner_table) if not partner_table.empty else "<p>No partnerships yet.</p>",
        "<h2>Top funders / 主要资助方 (amounts in CNY at fixed rates)</h2>",
        _table(funders) if not funders.empty else "<p>No funding mentions yet.</p>",
        "<h2>Organizations most often named / 最常提及的机构</h2>",
        _table(orgs) if not orgs.empty else "<p>No organizations yet.</p>",
        "<h2>Documents per outlet and year / 各媒体年度文档数</h2>",
        _table(per_outlet) if not per_outlet.empty else "<p>No documents yet.</p>",
        "<h2>Latest documents / 最新文档</h2>",
        _links(recent) if not recent.empty else "<p>No documents yet.</p>",
        "<p class='meta'>Tables as CSV and XLSX: <a href='tables/'>tables/</a>, "
        "<a href='qun-tables.xlsx'>qun-tables.xlsx</a>.</p>",
    ]
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>qun trend report</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em auto; max-width: 980px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
th {{ background: #f3f3f3; }} .meta {{ color: #666; }}
</style></head><body>
{"".join(body)}
</body></html>
"""
    export_tables(
        out.parent,
        {
            "concept_share_by_year": share_table,
            "partnerships_by_year": partner_table,
            "top_funders": funders,
            "organizations": orgs,
            "documents_per_outlet": per_outlet,
            "latest_documents": recent[["published_at", "outlet", "title", "url"]]
            if not recent.empty
            else pd.DataFrame(),
        },
    )
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(page, "utf-8")
    tmp.replace(out)
    return out


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def export_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """The report's tables as CSV files and one XLSX workbook, formula injection neutralised."""
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    safe = {name: df.map(neutralise) for name, df in tables.items() if not df.empty}
    for name, df in safe.items():
        df.to_csv(folder / "tables" / f"{name}.csv", index=False, encoding="utf-8-sig")
    with pd.ExcelWriter(folder / "qun-tables.xlsx", engine="openpyxl") as xlsx:
        for name, df in safe.items():
            df.to_excel(xlsx, sheet_name=name[:31], index=False)
