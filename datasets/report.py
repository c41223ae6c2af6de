"""The trend report: one self-contained HTML file (inline SVG charts, no network needed to open
it), the same charts as PNG files in `charts/`, and its tables as CSV and XLSX.

Every string that comes from crawled pages is HTML-escaped; exported cells that a spreadsheet
would run as formulas are neutralised.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qun.datasets import charts, diffusion, documents, mentions, network, store, trends

E = html.escape


def _table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{E(str(c))}</th>" for c in df.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{E(str(v))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _links(df: pd.DataFrame) -> str:
    """Documents with their link and, where one was found, an evidence quote."""
    items = []
    for r in df.itertuples(index=False):
        quote = getattr(r, "evidence", None)
        quote_html = f"<blockquote>{E(str(quote))}</blockquote>" if isinstance(quote, str) else ""
        items.append(
            f"<li>{E(str(r.published_at))} · {E(str(r.outlet))} · "
            f'<a href="{E(str(r.url))}">{E(str(r.title))}</a>{quote_html}</li>'
        )
    return f"<ul class='documents'>{''.join(items)}</ul>"


def _change(now: float, before: float) -> str:
    if abs(now - before) < 0.005:
        return "about the same as"
    return "up from" if now > before else "down from"


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
        s = yearly[yearly["concept"] == concept].set_index("period")["share"].sort_index()
        zh, en = labels.get(concept, (concept, concept))
        first = cmentions[cmentions["concept"] == concept].merge(docs, on="doc_id")
        first = first.sort_values("published_at").head(1)
        now = float(s.get(latest, 0))
        sentence = f"{zh} ({en}) was mentioned in {now:.0%} of documents in {latest}"
        earlier = s[s.index < latest]
        if len(earlier):
            sentence += f", {_change(now, float(earlier.iloc[-1]))} {earlier.iloc[-1]:.0%} in {earlier.index[-1]}"
            sentence += f" (at most {earlier.max():.0%} before, in {earlier.idxmax()})"
        if len(first):
            row = first.iloc[0]
            sentence += (
                f"; first seen on {row['published_at']} in {row['outlet']}: “{row['title']}”"
            )
        out.append(sentence + ".")
    return out


def _label(concept: str, labels: dict[str, tuple[str, str]]) -> str:
    zh, en = labels.get(concept, (concept, concept))
    return f"{zh} {en}"


@dataclass
class _Section:
    title: str
    chart: charts.Chart | None = None
    tables: list[pd.DataFrame] = field(default_factory=list)
    empty: str = "Nothing yet."
    extra: str = ""
    tables_in_page: bool = True  # False: the tables are for the exports only

    def html(self) -> str:
        parts = [f"<h2>{E(self.title)}</h2>"]
        if self.chart is not None:
            parts.append(
                f"<figure class='chart' id='chart-{self.chart.name}' "
                f"data-png='charts/{self.chart.name}.png'>{self.chart.svg}"
                f"<figcaption>{E(self.chart.title)}</figcaption></figure>"
            )
        if self.tables_in_page:
            parts += [_table(t) for t in self.tables if not t.empty]
        if self.chart is None and all(t.empty for t in self.tables) and not self.extra:
            parts.append(f"<p>{E(self.empty)}</p>")
        return "".join(parts) + self.extra


def _read(data_dir: Path) -> dict[str, pd.DataFrame]:
    docs = store.read(
        documents.SPEC,
        data_dir,
        columns=["doc_id", "outlet", "title", "url", "published_at", "lang", "duplicate_of"],
    ).to_pandas()
    return {
        "docs": docs,
        "trend": store.read(trends.SPEC, data_dir).to_pandas(),
        "cm": store.read(
            mentions.CONCEPT_SPEC, data_dir, columns=["doc_id", "concept", "sentence"]
        ).to_pandas(),
        "om": store.read(
            mentions.ORG_SPEC, data_dir, columns=["doc_id", "org_id", "canonical", "type"]
        ).to_pandas(),
        "fund": store.read(mentions.FUNDING_SPEC, data_dir).to_pandas(),
        "ptrend": store.read(trends.PARTNERSHIP_SPEC, data_dir).to_pandas(),
        "grant": store.read(trends.GRANT_INDEX_SPEC, data_dir).to_pandas(),
        "spread": store.read(diffusion.DIFFUSION_SPEC, data_dir).to_pandas(),
        "backbone": store.read(network.BACKBONE_SPEC, data_dir).to_pandas(),
    }


def write_report(data_dir: Path, out: Path | None, labels: dict[str, tuple[str, str]]) -> Path:
    """Render `<data_dir>/report/index.html` (or `out`) from the datasets, with PNG charts in
    `charts/` and CSV/XLSX tables next to it; return the HTML path."""
    out = out or Path(data_dir) / "report" / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    d = _read(Path(data_dir))
    docs, trend, cm, om = d["docs"], d["trend"], d["cm"], d["om"]
    facts = findings(
        trend[
            (trend["granularity"] == "year")
            & (trend["outlet"] == trends.ALL)
            & (trend["lang"] == trends.ALL)
        ],
        docs,
        cm,
        labels,
    )
    sections = [
        _attention(trend, labels),
        _adoption(d["spread"], labels, facts),
        _partnerships(d["ptrend"], facts),
        _funders(d["fund"], d["grant"], facts),
        _backbone(d["backbone"], facts),
        _recent(docs, cm, d["fund"]),
        _organizations(om),
        _per_outlet(docs),
    ]
    drawn = [s.chart for s in sections if s.chart is not None]
    chart_dir = out.parent / "charts"
    chart_dir.mkdir(exist_ok=True)
    for old in chart_dir.glob("*.png"):
        old.unlink()
    for chart in drawn:
        (chart_dir / f"{chart.name}.png").write_bytes(chart.png)
    font = charts.cjk_font()
    font_note = (
        f"Charts drawn with matplotlib in the font {font}"
        if font
        else "No Chinese font was found when the charts were drawn: Chinese chart labels may "
        "show as empty boxes (install fonts-noto-cjk or fonts-wqy-zenhei)"
    )
    reprints = int(docs["duplicate_of"].notna().sum()) if len(docs) else 0
    body = [
        "<h1>qun — collective impact in Chinese philanthropy discourse / 集合影响力话语趋势</h1>",
        f"<p class='meta'>{len(docs)} documents ({reprints} reprints folded into their "
        "originals). Shares are of all documents of the year.</p>",
        "<h2>Findings / 主要发现</h2><ul class='findings'>"
        + "".join(f"<li>{E(f)}</li>" for f in facts)
        + "</ul>",
        *(s.html() for s in sections),
        f"<p class='meta'>{E(font_note)}; PNG copies in <a href='charts/'>charts/</a>. "
        "Tables as CSV and XLSX: <a href='tables/'>tables/</a>, "
        "<a href='qun-tables.xlsx'>qun-tables.xlsx</a>.</p>",
    ]
    meta = {"generator": "qun", "qun-chart-font": font or "none"}
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>qun trend report</title>
{"".join(f'<meta name="{k}" content="{E(v)}">' for k, v in meta.items())}
<style>
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em auto; max-width: 980px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
th {{ background: #f3f3f3; }} .meta {{ color: #666; }}
figure.chart {{ margin: 1em 0; }} figure.chart svg {{ max-width: 100%; height: auto; }}
figcaption {{ color: #666; font-size: 13px; }}
blockquote {{ margin: .3em 0 .8em 1.5em; color: #555; font-size: 14px; }}
</style></head><body>
{"".join(body)}
</body></html>
"""
    tables = {
        "concept_share_by_year": sections[0].tables[0],
        "concept_adopters": sections[1].tables[0],
        "partnerships_by_year": sections[2].tables[0],
        "top_funders": sections[3].tables[0],
        "grantmaking_index": sections[3].tables[1],
        "backbone_candidates": sections[4].tables[0],
        "organizations": sections[6].tables[0],
        "documents_per_outlet": sections[7].tables[0],
        "latest_documents": sections[5].tables[0],
    }
    export_tables(out.parent, tables)
    (out.parent / "report.json").write_text(
        json.dumps(
            {
                "chart_font": font,
                "charts": [f"charts/{c.name}.png" for c in drawn],
                "tables": [n for n, t in tables.items() if not t.empty],
            },
            ensure_ascii=False,
            indent=1,
        ),
        "utf-8",
    )
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(page, "utf-8")
    tmp.replace(out)
    return out


def _attention(trend: pd.DataFrame, labels: dict[str, tuple[str, str]]) -> _Section:
    section = _Section(
        "Concept attention by year / 概念关注度（年度文档占比）", empty="No concept mentions yet."
    )
    yearly = trend[
        (trend["granularity"] == "year")
        & (trend["outlet"] == trends.ALL)
        & (trend["lang"] == trends.ALL)
    ]
    ranked = yearly.groupby("concept")["docs_mentioning"].sum().sort_values(ascending=False)
    top = [c for c in ranked.index if ranked[c] > 0][:6]
    if not top:
        section.tables = [pd.DataFrame()]
        return section
    series = {
        _label(c, labels): yearly[yearly["concept"] == c].set_index("period")["share"] for c in top
    }
    section.chart = charts.render(
        "concept_attention",
        "Share of documents mentioning each concept, by year / 提及各概念的文档占比",
        charts.lines(series, percent=True, ylabel="share of documents 文档占比"),
    )
    pivot = yearly[yearly["concept"].isin(top)].pivot(
        index="period", columns="concept", values="share"
    )
    section.tables = [pivot.map(lambda v: f"{v:.0%}").reset_index()]
    return section


def _adoption(
    spread: pd.DataFrame, labels: dict[str, tuple[str, str]], facts: list[str]
) -> _Section:
    section = _Section(
        "Adoption curves / 概念采纳曲线（累计采纳者：媒体与机构）", empty="No adopters yet."
    )
    spread = spread[spread["documents"] > 0].sort_values("documents", ascending=False)
    if spread.empty:
        section.tables = [pd.DataFrame()]
        return section
    top = spread.head(6)
    series = {
        _label(r.concept, labels): pd.Series(
            {p["year"]: p["adopters"] for p in r.curve}, dtype=float
        )
        for r in top.itertuples(index=False)
        if r.curve is not None and len(r.curve)
    }
    if series:
        section.chart = charts.render(
            "adoption_curves",
            "Cumulative adopters (outlets and organizations) per concept / 各概念累计采纳者",
            charts.lines(series, percent=False, ylabel="adopters 采纳者"),
        )
    table = top[["concept", "first_date", "first_outlet", "documents", "outlets", "organizations"]]
    table = table.assign(bass_q=top["bass_q"].round(3), bass_p=top["bass_p"].round(4))
    section.tables = [table]
    lead = top.iloc[0]
    facts.append(
        f"{_label(lead['concept'], labels)} has spread furthest: {int(lead['outlets'])} outlets "
        f"and {int(lead['organizations'])} organizations have used it since "
        f"{lead['first_date']} ({lead['first_outlet']})."
    )
    return section


def _partnerships(ptrend: pd.DataFrame, facts: list[str]) -> _Section:
    section = _Section(
        "Horizontal and vertical partnerships / 横向与纵向合作", empty="No partnerships yet."
    )
    pyear = ptrend[(ptrend["granularity"] == "year") & (ptrend["sector_pair"] == trends.ALL)]
    if pyear.empty:
        section.tables = [pd.DataFrame()]
        return section
    pyear = pyear.sort_values("period")
    section.chart = charts.render(
        "partnerships",
        "Partnerships per year: horizontal (same sector) and vertical (across sectors) / 年度合作数",
        charts.partnerships(pyear),
    )
    section.tables = [pyear[["period", "partnerships", "horizontal", "vertical"]]]
    early = pyear[pyear["period"].astype(int) <= 2016]
    late = pyear[pyear["period"].astype(int) > 2016]
    if early["partnerships"].sum() and late["partnerships"].sum():

        def share(df: pd.DataFrame) -> float:
            return df["horizontal"].sum() / max(1, df[["horizontal", "vertical"]].sum().sum())

        facts.append(
            f"Horizontal partnerships (same sector) were {share(late):.0%} of partnerships "
            f"after 2016, against {share(early):.0%} up to 2016."
        )
    return section


def _funders(fund: pd.DataFrame, grant: pd.DataFrame, facts: list[str]) -> _Section:
    section = _Section(
        "Top funders and the grant-making index / 主要资助方与资助型指数 (amounts in CNY at fixed rates)",
        empty="No funding mentions yet.",
    )
    funders = pd.DataFrame()
    if not fund.empty:
        named = fund.dropna(subset=["funder"])
        funders = (
            named.groupby(["funder", "funder_type"])
            .agg(mentions=("doc_id", "count"), amount=("amount_cny", "sum"))
            .reset_index()
            .sort_values(["amount", "mentions"], ascending=False)
            .head(15)
        )
    index = grant.sort_values("year") if not grant.empty else pd.DataFrame()
    if not funders.empty or not index.empty:
        section.chart = charts.render(
            "funders",
            "Top funders by amount named, and the share of foundation mentions in a funder role "
            "/ 主要资助方与资助型指数",
            charts.funders(
                funders if not funders.empty else pd.DataFrame(columns=["funder", "amount"]), index
            ),
            size=(9, 3.8),
        )
    shown = (
        funders.assign(amount_cny=funders["amount"].map(lambda v: f"{v:,.0f}")).drop(
            columns="amount"
        )
        if not funders.empty
        else funders
    )
    grant_table = (
        index[["year", "foundations_funding", "foundations_mentioned", "funder_role_share"]].assign(
            funder_role_share=index["funder_role_share"].map(
                lambda v: "" if pd.isna(v) else f"{v:.0%}"
            )
        )
        if not index.empty
        else pd.DataFrame()
    )
    section.tables = [shown, grant_table]
    if len(index) >= 2:
        first, last = index.iloc[0], index.iloc[-1]
        facts.append(
            f"In {int(last['year'])}, {int(last['foundations_funding'])} foundations were named as "
            f"funders and {last['funder_role_share']:.0%} of foundation mentions cast them as "
            f"funders, against {first['funder_role_share']:.0%} in {int(first['year'])}."
        )
    return section


def _backbone(backbone: pd.DataFrame, facts: list[str]) -> _Section:
    section = _Section(
        "Backbone organization candidates / 骨干组织候选", empty="No backbone candidates yet."
    )
    ranked = (
        backbone[backbone["scope"] == "all"].sort_values("rank") if not backbone.empty else backbone
    )
    if ranked.empty:
        section.tables = [pd.DataFrame()]
        return section
    section.chart = charts.render(
        "backbone",
        "Organizations that convene partners across sectors around collective impact / 骨干组织候选",
        charts.backbone(ranked),
    )
    section.tables = [
        ranked.head(15)[
            [
                "rank",
                "org",
                "sector",
                "partners",
                "sectors_reached",
                "ci_documents",
                "score",
                "evidence",
            ]
        ].assign(score=lambda t: t["score"].round(2))
    ]
    best = ranked.iloc[0]
    facts.append(
        f"The strongest backbone candidate is {best['org']}: {int(best['partners'])} partners "
        f"across {int(best['sectors_reached'])} sectors, in {int(best['ci_documents'])} "
        "collective-impact documents."
    )
    return section


def _recent(docs: pd.DataFrame, cm: pd.DataFrame, fund: pd.DataFrame) -> _Section:
    section = _Section("Notable new documents / 最新文档（附引文）", empty="No documents yet.")
    recent = docs.dropna(subset=["published_at"]).sort_values("published_at", ascending=False)
    recent = recent[recent["duplicate_of"].isna()].head(15)
    if recent.empty:
        section.tables = [pd.DataFrame()]
        return section
    quotes = pd.concat(
        [cm[["doc_id", "sentence"]], fund[["doc_id", "sentence"]] if "sentence" in fund else None]
    ).dropna()
    first = quotes.drop_duplicates("doc_id").set_index("doc_id")["sentence"]
    recent = recent.assign(evidence=recent["doc_id"].map(first))
    section.extra = _links(recent)
    section.tables = [recent[["published_at", "outlet", "title", "url", "evidence"]]]
    section.tables_in_page = False
    return section


def _organizations(om: pd.DataFrame) -> _Section:
    section = _Section(
        "Organizations most often named / 最常提及的机构", empty="No organizations yet."
    )
    section.tables = [
        om.groupby(["canonical", "type"])["doc_id"]
        .nunique()
        .rename("documents")
        .reset_index()
        .sort_values("documents", ascending=False)
        .head(20)
        if not om.empty
        else pd.DataFrame()
    ]
    return section


def _per_outlet(docs: pd.DataFrame) -> _Section:
    section = _Section(
        "Documents per outlet and year / 各媒体年度文档数", empty="No documents yet."
    )
    if docs.empty:
        section.tables = [pd.DataFrame()]
        return section
    d = docs.dropna(subset=["published_at"]).copy()
    d["year"] = pd.to_datetime(d["published_at"]).dt.year
    section.tables = [
        d.pivot_table(
            index="year", columns="outlet", values="doc_id", aggfunc="count", fill_value=0
        ).reset_index()
    ]
    return section


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
    if not safe:  # a workbook needs one sheet
        safe = {"tables": pd.DataFrame({"note": ["no data yet: run a crawl first"]})}
    with pd.ExcelWriter(folder / "qun-tables.xlsx", engine="openpyxl") as xlsx:
        for name, df in safe.items():
            df.to_excel(xlsx, sheet_name=name[:31], index=False)
