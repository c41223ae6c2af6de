"""The trend report: one self-contained HTML file (inline SVG charts, no network needed to open
it), the same charts as PNG files in `charts/`, and its tables as CSV and XLSX.

Every string that comes from crawled pages is HTML-escaped, and only http(s) addresses become
links; exported cells that a spreadsheet would run as formulas are neutralised. Shares are shown
with their counts and a 95% Wilson score interval (qun.datasets.intervals), and the tables are
exported with numbers as numbers.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from qun.datasets import (
    charts,
    diffusion,
    documents,
    events,
    mentions,
    network,
    remote,
    store,
    trends,
    warehouse,
)
from qun.datasets.intervals import (
    CHANGE_RULE,
    clear_change,
    share_text,
    share_with_interval,
    wilson,
)
from qun.datasets.publish import Publication
from qun.datasets.tables import export_tables, for_page, missing, neutralise

__all__ = ["export_tables", "findings", "neutralise", "provenance", "web_link", "write_report"]

E = html.escape


def _table(df: pd.DataFrame) -> str:
    shown = for_page(df)
    head = "".join(f"<th>{E(str(c))}</th>" for c in shown.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{E(str(v))}</td>" for v in row) + "</tr>"
        for row in shown.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


_WEB_ADDRESS = re.compile(r"https?://[^\s\x00-\x1f\x7f]+\Z", re.IGNORECASE)


def web_link(url: object) -> str | None:
    """`url` if it is an http(s) address a link may point to, else None (javascript:, data:,
    anything with a leading space or a control character stays plain text)."""
    if not isinstance(url, str) or not _WEB_ADDRESS.match(url):
        return None
    try:
        return url if urlsplit(url).hostname else None
    except ValueError:
        return None


def _links(df: pd.DataFrame) -> str:
    """Documents with their link (http and https only) and, where one was found, a quote."""
    items = []
    for r in df.itertuples(index=False):
        quote = getattr(r, "evidence", None)
        quote_html = f"<blockquote>{E(str(quote))}</blockquote>" if isinstance(quote, str) else ""
        href = web_link(r.url)
        title = (
            f'<a href="{E(href)}">{E(str(r.title))}</a>'
            if href
            else f"{E(str(r.title))} <span class='url'>{E(str(r.url))}</span>"
        )
        items.append(
            f"<li>{E(str(r.published_at))} · {E(str(r.outlet))} · {title}{quote_html}</li>"
        )
    return f"<ul class='documents'>{''.join(items)}</ul>"


def _versus(k1: int, n1: int, k0: int, n0: int, when: str) -> str:
    """`, up from 10% (5 of 50; 95% interval 4–21%) in 2024`, or `, against … (the 95% intervals
    overlap: no clear change)` when they overlap."""
    earlier = f"{share_with_interval(k0, n0)} {when}"
    direction = clear_change(k1, n1, k0, n0)
    if direction:
        return f", {'up' if direction > 0 else 'down'} from {earlier}"
    return f", against {earlier} (the 95% intervals overlap: no clear change)"


def findings(
    yearly: pd.DataFrame, firsts: pd.DataFrame, labels: dict[str, tuple[str, str]]
) -> list[str]:
    """Plain-language sentences about the concepts with the most attention: each share with its
    counts and 95% interval, and "up" or "down" only where the intervals do not overlap.
    `firsts`: each concept's first document (concept, published_at, outlet, title)."""
    out: list[str] = []
    totals = yearly.groupby("period")["docs_total"].max().sort_index()
    totals = totals[totals > 0]
    if totals.empty:
        return ["No dated documents yet: run a crawl first."]
    latest = totals.index.max()
    ranked = yearly.groupby("concept")["docs_mentioning"].sum().sort_values(ascending=False)
    for concept in [c for c in ranked.index if ranked[c] > 0][:4]:
        hits = yearly[yearly["concept"] == concept].groupby("period")["docs_mentioning"].sum()
        k = hits.reindex(totals.index, fill_value=0).astype(int)
        n = totals.astype(int)
        zh, en = labels.get(concept, (concept, concept))
        first = firsts[firsts["concept"] == concept].head(1)
        sentence = (
            f"{zh} ({en}) was mentioned in {share_with_interval(k[latest], n[latest])} "
            f"of documents in {latest}"
        )
        earlier = (k / n)[k.index < latest]
        if len(earlier):
            prev, peak = earlier.index[-1], earlier.idxmax()
            sentence += _versus(k[latest], n[latest], k[prev], n[prev], f"in {prev}")
            sentence += f"; at most {share_with_interval(k[peak], n[peak])} before, in {peak}"
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
    page_tables: list[pd.DataFrame] | None = None  # what the page shows instead of `tables`

    def html(self) -> str:
        parts = [f"<h2>{E(self.title)}</h2>"]
        if self.chart is not None:
            parts.append(
                f"<figure class='chart' id='chart-{self.chart.name}' "
                f"data-png='charts/{self.chart.name}.png'>{self.chart.svg}"
                f"<figcaption>{E(self.chart.title)}</figcaption></figure>"
            )
        if self.tables_in_page:
            shown = self.tables if self.page_tables is None else self.page_tables
            parts += [_table(t) for t in shown if not t.empty]
        if self.chart is None and all(t.empty for t in self.tables) and not self.extra:
            parts.append(f"<p>{E(self.empty)}</p>")
        return "".join(parts) + self.extra


def default_out(data_dir: Path | str) -> Path:
    """Where the report goes without --out: `<data-dir>/report/index.html`, or for a data
    directory given as a URL, `report/index.html` in its local work folder (datasets.remote)."""
    return Path(remote.work_dir(data_dir)) / "report" / "index.html"


def _read(data_dir: Path | str) -> dict[str, pd.DataFrame]:
    """The tables the report shows. The mention datasets are aggregated in DuckDB (each
    concept's first document, the quotes of the newest documents, organizations by documents),
    never read whole, so the report's memory does not grow with the mentions."""
    docs = store.read(
        documents.SPEC,
        data_dir,
        columns=[
            "doc_id",
            "source",
            "outlet",
            "title",
            "url",
            "published_at",
            "lang",
            "duplicate_of",
        ],
    ).to_pandas()
    groups = store.read(
        mentions.ORGANIZATIONS_SPEC, data_dir, columns=["org_id", "group_id", "group_name"]
    )
    recent = docs.dropna(subset=["published_at"]).sort_values("published_at", ascending=False)
    recent = recent[recent["duplicate_of"].isna()].head(RECENT)
    specs = [documents.SPEC, mentions.CONCEPT_SPEC, mentions.ORG_SPEC]
    with warehouse.connect(data_dir, specs, tables={"groups": groups}) as con:
        firsts = warehouse.arrow(con, _FIRSTS).to_pandas()
        quotes = warehouse.arrow(con, _QUOTES, ids=[str(i) for i in recent["doc_id"]]).to_pandas()
        organizations = warehouse.arrow(con, _ORGANIZATIONS).to_pandas()
    return {
        "docs": docs,
        "firsts": firsts,
        "recent": recent.assign(evidence=recent["doc_id"].map(quotes.set_index("doc_id")["q"])),
        "organizations": organizations,
        "trend": store.read(trends.SPEC, data_dir).to_pandas(),
        "events": store.read(events.SPEC, data_dir).to_pandas(),
        "ptrend": store.read(trends.PARTNERSHIP_SPEC, data_dir).to_pandas(),
        "grant": store.read(trends.GRANT_INDEX_SPEC, data_dir).to_pandas(),
        "spread": store.read(diffusion.DIFFUSION_SPEC, data_dir).to_pandas(),
        "backbone": store.read(network.BACKBONE_SPEC, data_dir).to_pandas(),
    }


RECENT = 15  # newest documents listed, with a quote each
# each concept's first document: the earliest dated one (an undated one only when none is
# dated), ties to the smaller doc_id
_FIRSTS = """
    select m.concept,
           arg_min(d.published_at, k) as published_at, arg_min(d.outlet, k) as outlet,
           arg_min(d.title, k) as title
    from (select concept, doc_id from concept_mentions group by all) m
    join (select *, (coalesce(published_at, date '9999-12-31'), doc_id) as k from documents) d
        using (doc_id)
    group by m.concept
"""
# the first sentence quoted in each of the newest documents
_QUOTES = """
    select doc_id, arg_min(sentence, start) as q from concept_mentions
    where doc_id in (select unnest($ids::varchar[])) and sentence is not null
    group by doc_id
"""
# organizations by the documents naming them, name variants under one name (the group's),
# with their most frequent type (ties: the first alphabetically) and the names seen
_ORGANIZATIONS = """
    with named as (
        select coalesce(g.group_name, m.canonical) as organization, m.type, m.doc_id,
               m.canonical
        from org_mentions m left join groups g using (org_id)
    ),
    types as (
        select organization, type, count(*) as n from named where type is not null group by all
    ),
    typed as (select organization, arg_min(type, (-n, type)) as type from types group by all),
    docs as (select organization, doc_id from named group by all),
    counted as (select organization, count(*) as documents from docs group by all),
    names as (
        select organization, array_to_string(list_sort(list(distinct canonical)), ' / ')
            as names_seen
        from named where canonical is not null group by all
    )
    select c.organization, t.type, c.documents, n.names_seen
    from counted c left join typed t using (organization) left join names n using (organization)
    where c.organization is not null
    order by c.documents desc, c.organization
    limit 20
"""


def _installed_version() -> str:
    """qun's version, as `qun.__version__` reads it (this layer does not import `qun`)."""
    try:
        return metadata.version("qun")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def provenance(
    docs: pd.DataFrame, sample_sources: Collection[str], version: str, generated: datetime
) -> dict[str, Any]:
    """What the report is built from: its sources with their document counts and dates, the
    date range, the qun version, the generation time (UTC), and whether the documents come
    from the synthetic sample sources (`sample: true` in the source registry)."""
    dated = pd.to_datetime(docs["published_at"]) if len(docs) else pd.Series(dtype="datetime64[ns]")
    sample = set(sample_sources)
    sources: list[dict[str, Any]] = []
    for source, group in docs.groupby("source", sort=True) if len(docs) else []:
        days = pd.to_datetime(group["published_at"]).dropna()
        sources.append(
            {
                "source": str(source),
                "outlet": ", ".join(sorted({str(o) for o in group["outlet"].dropna()})),
                "documents": len(group),
                "first_date": days.min().date().isoformat() if len(days) else None,
                "last_date": days.max().date().isoformat() if len(days) else None,
                "sample": str(source) in sample,
            }
        )
    sample_docs = sum(s["documents"] for s in sources if s["sample"])
    return {
        "documents": len(docs),
        "reprints": int(docs["duplicate_of"].notna().sum()) if len(docs) else 0,
        "undated": int(dated.isna().sum()),
        "first_date": dated.min().date().isoformat() if dated.notna().any() else None,
        "last_date": dated.max().date().isoformat() if dated.notna().any() else None,
        "sources": sources,
        "sample_documents": sample_docs,
        "sample_data": "all"
        if sample_docs and sample_docs == len(docs)
        else ("some" if sample_docs else "none"),
        "qun_version": version,
        "generated_at": generated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _provenance_html(prov: dict[str, Any]) -> str:
    """The report's opening lines: synthetic-data warning first, then what it is built from."""
    sample = [s for s in prov["sources"] if s["sample"]]
    names = ", ".join(f"{s['outlet']} ({s['source']})" for s in sample)
    parts = []
    if prov["sample_data"] == "all":
        parts.append(
            "<p class='sample-data'><strong>Synthetic sample data / 合成示例数据.</strong> Every "
            f"document in this report comes from the bundled sample site ({E(names)}): its "
            "outlets, organizations and events are fictional. Do not cite these figures.</p>"
        )
    elif prov["sample_data"] == "some":
        parts.append(
            "<p class='sample-data'><strong>Part of this report is synthetic sample data / "
            f"部分为合成示例数据.</strong> {prov['sample_documents']} of {prov['documents']} "
            f"documents come from the bundled sample site ({E(names)}), whose outlets, "
            "organizations and events are fictional.</p>"
        )
    left_out = prov.get("damaged_files_left_out") or []
    if left_out:
        parts.append(
            "<p class='sample-data'><strong>Incomplete data.</strong> "
            f"{len(left_out)} damaged dataset file(s) were left out (--skip-damaged), so the "
            "figures below miss their rows: "
            + ", ".join(f"<code>{E(f)}</code>" for f in left_out)
            + ". `qun datasets repair` says how to rebuild them.</p>"
        )
    when = datetime.strptime(prov["generated_at"], "%Y-%m-%dT%H:%M:%SZ")
    dates = (
        f"dated {prov['first_date']} to {prov['last_date']}"
        + (f" ({prov['undated']} undated)" if prov["undated"] else "")
        if prov["first_date"]
        else "none dated"
    )
    parts.append(
        f"<p class='meta provenance'>Built from {prov['documents']} documents "
        f"({prov['reprints']} reprints folded into their originals) of "
        f"{len(prov['sources'])} sources, {E(dates)}; qun {E(prov['qun_version'])}, generated "
        f"{when:%Y-%m-%d %H:%M} UTC.</p>"
    )
    if prov["sources"]:
        table = pd.DataFrame(prov["sources"]).assign(
            sample=lambda t: t["sample"].map({True: "synthetic sample", False: ""})
        )
        parts.append(_table(table.rename(columns={"sample": "data"})))
    return "".join(parts)


def write_report(
    data_dir: Path,
    out: Path | None,
    labels: dict[str, tuple[str, str]],
    *,
    sample_sources: Collection[str] = (),
    version: str | None = None,
    generated: datetime | None = None,
) -> Path:
    """Render `<data_dir>/report/index.html` (or `out`) from the datasets, with PNG charts in
    `charts/` and CSV/XLSX tables next to it; return the HTML path. `sample_sources`: the ids
    of the registry's synthetic sample sources (the report says so when it is built from them);
    `version`: qun's version (the installed one by default); `generated`: now by default."""
    out = out or default_out(data_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    d = _read(remote.data_dir(data_dir))
    docs, trend = d["docs"], d["trend"]
    facts = findings(
        trend[
            (trend["granularity"] == "year")
            & (trend["outlet"] == trends.ALL)
            & (trend["lang"] == trends.ALL)
        ],
        d["firsts"],
        labels,
    )
    sections = [
        _attention(trend, labels),
        _adoption(d["spread"], labels, facts),
        _partnerships(d["ptrend"], facts),
        _funders(d["events"], d["grant"], facts),
        _backbone(d["backbone"], facts),
        _recent(d["recent"]),
        _organizations(d["organizations"]),
        _per_outlet(docs),
    ]
    drawn = [s.chart for s in sections if s.chart is not None]
    # every file is written under a temporary name and moved into place with the others only
    # when all are written (qun.datasets.publish): a kill or a full disk leaves the last report
    pub = Publication(out.parent)
    try:
        for chart in drawn:
            pub.write_bytes(Path("charts") / f"{chart.name}.png", chart.png)
        font = charts.cjk_font()
        font_file = charts.cjk_font_file()
        font_note = (
            f"Charts drawn with matplotlib in the font {font} ({font_file.name}"
            + (
                ", shipped with qun under the SIL Open Font License 1.1)"
                if font_file == charts.SHIPPED_FONT
                else ")"
            )
            if font and font_file
            else "No Chinese font was found when the charts were drawn: Chinese chart labels may "
            "show as empty boxes (install fonts-noto-cjk or fonts-wqy-zenhei)"
        )
        prov = provenance(
            docs, sample_sources, version or _installed_version(), generated or datetime.now(UTC)
        )
        # files this --skip-damaged run left out (its figures miss their rows: the report says so)
        prov["damaged_files_left_out"] = sorted(str(p) for p in store.skipped)
        body = [
            "<h1>qun — collective impact in Chinese philanthropy discourse / 集合影响力话语趋势</h1>",
            _provenance_html(prov),
            "<p class='meta'>Each share is given with its counts (k of n: documents of the year, "
            "or mentions, as the table says) and its 95% Wilson score interval (bands and error "
            f"bars on the charts); {E(CHANGE_RULE)}; otherwise the findings say there is no clear "
            "change.</p>",
            "<h2>Findings / 主要发现</h2><ul class='findings'>"
            + "".join(f"<li>{E(f)}</li>" for f in facts)
            + "</ul>",
            *(s.html() for s in sections),
            f"<p class='meta'>{E(font_note)}; PNG copies in <a href='charts/'>charts/</a>. "
            "Tables as CSV and XLSX: <a href='tables/'>tables/</a>, "
            "<a href='qun-tables.xlsx'>qun-tables.xlsx</a>.</p>",
        ]
        meta = {
            "generator": "qun",
            "qun-version": prov["qun_version"],
            "qun-generated": prov["generated_at"],
            "qun-sample-data": prov["sample_data"],
            "qun-chart-font": font or "none",
        }
        page = f"""<!DOCTYPE html>
    <html lang="zh-CN"><head><meta charset="utf-8"><title>qun trend report</title>
    {"".join(f'<meta name="{k}" content="{E(v)}">' for k, v in meta.items())}
    <style>
    body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em auto; max-width: 980px; color: #222; }}
    table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
    td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
    th {{ background: #f3f3f3; }} .meta {{ color: #666; }}
    .sample-data {{ background: #fff3cd; border: 1px solid #e0c36c; padding: .5em .8em; }}
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
        export_tables(out.parent, tables, pub)
        pub.write_text(
            "report.json",
            json.dumps(
                {
                    "chart_font": font,
                    "provenance": prov,
                    "charts": [f"charts/{c.name}.png" for c in drawn],
                    "tables": [n for n, t in tables.items() if not t.empty],
                },
                ensure_ascii=False,
                indent=1,
            ),
        )
        pub.write_text(out.name, page)
        stale = [*(out.parent / "charts").glob("*.png"), *(out.parent / "tables").glob("*.csv")]
        pub.commit(last=[out.name], stale=stale)
    except BaseException:
        pub.abort()  # the last report stays as it was
        raise
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
    rows = yearly[yearly["concept"].isin(top) & (yearly["docs_total"] > 0)].assign(
        period=lambda t: t["period"].astype(int)
    )
    series = []
    for c in top:
        r = rows[rows["concept"] == c].set_index("period").sort_index()
        series.append(charts.share_series(_label(c, labels), r["docs_mentioning"], r["docs_total"]))
    section.chart = charts.render(
        "concept_attention",
        "Share of documents mentioning each concept, by year, with 95% intervals "
        "/ 提及各概念的文档占比（95% 区间）",
        charts.share_panels(series, ylabel="share of documents 文档占比"),
        size=(9, 5.2),
    )
    table = (
        rows[["period", "concept", "docs_mentioning", "docs_total"]]
        .rename(columns={"docs_mentioning": "documents_mentioning", "docs_total": "documents"})
        .astype({"documents_mentioning": "int64", "documents": "int64"})
        .assign(order=lambda t: t["concept"].map({c: i for i, c in enumerate(top)}))
        .sort_values(["period", "order"])
        .drop(columns="order")
        .reset_index(drop=True)
    )
    table["share"] = table["documents_mentioning"] / table["documents"]
    bounds = [
        wilson(k, n) for k, n in zip(table["documents_mentioning"], table["documents"], strict=True)
    ]
    table["share_low"] = [b[0] for b in bounds]
    table["share_high"] = [b[1] for b in bounds]
    section.tables = [table]
    cells = table.assign(
        cell=[
            share_text(k, n)
            for k, n in zip(table["documents_mentioning"], table["documents"], strict=True)
        ]
    )
    page = cells.pivot(index="period", columns="concept", values="cell")[top]
    documents_per_year = table.groupby("period")["documents"].max()
    section.page_tables = [page.assign(documents=documents_per_year).reset_index()]
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
    series = []
    for r in top.itertuples(index=False):
        if r.curve is None or not len(r.curve):
            continue
        curve = pd.Series({p["year"]: p["adopters"] for p in r.curve}, dtype=float)
        label, fit = _label(r.concept, labels), None
        if _fitted(r):
            t = np.array(curve.index, dtype=float) - min(curve.index) + 1
            fit = pd.Series(diffusion.bass_cumulative(t, r.bass_p, r.bass_q, r.bass_m), curve.index)
            label += (
                f" (Bass q = {_estimate(r.bass_q, r.bass_q_se)}, "
                f"m = {_estimate(r.bass_m, r.bass_m_se)})"
            )
        series.append(charts.Line(label, curve, fit=fit))
    if series:
        section.chart = charts.render(
            "adoption_curves",
            "Cumulative adopters (outlets and organizations); dashed: Bass fit ± standard error "
            "/ 各概念累计采纳者",
            charts.lines(series, percent=False, ylabel="adopters 采纳者"),
        )
    columns = ["concept", "first_date", "first_outlet", "documents", "outlets", "organizations"]
    bass = ["bass_status", "bass_p", "bass_p_se", "bass_q", "bass_q_se", "bass_m", "bass_m_se"]
    section.tables = [top[columns + bass].reset_index(drop=True)]
    lead = top.iloc[0]
    fit_words = (
        f"; its Bass fit gives imitation q = {_estimate(lead['bass_q'], lead['bass_q_se'])} "
        f"and eventual adopters m = {_estimate(lead['bass_m'], lead['bass_m_se'])} "
        "(± one standard error)"
        if _fitted(lead)
        else f"; no Bass fit ({lead['bass_status']})"
    )
    facts.append(
        f"{_label(lead['concept'], labels)} has spread furthest: {int(lead['outlets'])} outlets "
        f"and {int(lead['organizations'])} organizations have used it since "
        f"{lead['first_date']} ({lead['first_outlet']}){fit_words}."
    )
    return section


def _fitted(row: object) -> bool:
    """Whether a concept_diffusion row (a tuple or a Series) has a reliable Bass fit."""
    params = [getattr(row, k, None) for k in ("bass_p", "bass_q", "bass_m")]
    return getattr(row, "bass_status", None) == "fitted" and not any(map(missing, params))


def _estimate(value: float, se: float | None) -> str:
    """`0.45 ± 0.12` (the standard error), or the value alone when it has none."""
    return f"{value:.3g}" + ("" if missing(se) else f" ± {se:.2g}")


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
    table = (
        pyear[["period", "partnerships", "horizontal", "vertical"]]
        .astype(
            {"period": "int64", "partnerships": "int64", "horizontal": "int64", "vertical": "int64"}
        )
        .reset_index(drop=True)
    )
    table["known_direction"] = table["horizontal"] + table["vertical"]
    table["horizontal_share"] = table["horizontal"] / table["known_direction"].where(
        table["known_direction"] > 0
    )
    bounds = [
        wilson(k, n) for k, n in zip(table["horizontal"], table["known_direction"], strict=True)
    ]
    table["horizontal_share_low"] = [b[0] for b in bounds]
    table["horizontal_share_high"] = [b[1] for b in bounds]
    section.tables = [table]
    early, late = table[table["period"] <= 2016], table[table["period"] > 2016]
    k0, n0 = int(early["horizontal"].sum()), int(early["known_direction"].sum())
    k1, n1 = int(late["horizontal"].sum()), int(late["known_direction"].sum())
    if n0 and n1:
        facts.append(
            f"Horizontal partnerships (same sector) were {share_with_interval(k1, n1)} of the "
            f"partnerships of known direction after 2016{_versus(k1, n1, k0, n0, 'up to 2016')}."
        )
    return section


def _funders(gifts: pd.DataFrame, grant: pd.DataFrame, facts: list[str]) -> _Section:
    """Funders ranked by the funding events they made (a gift reported by several articles
    counts once; name variants folded), beside the grant-making index."""
    section = _Section(
        "Top funders and the grant-making index / 主要资助方与资助型指数 (amounts in CNY at fixed rates)",
        empty="No funding mentions yet.",
    )
    funders = pd.DataFrame()
    if not gifts.empty:
        funders = (
            gifts.groupby(["funder", "funder_type"], dropna=False)
            .agg(
                events=("event_id", "count"),
                mentions=("mentions", "sum"),
                amount=("amount_cny", "sum"),
            )
            .reset_index()
            .sort_values(["amount", "events"], ascending=False)
            .head(15)
        )
    index = grant.sort_values("year") if not grant.empty else pd.DataFrame()
    if not funders.empty or not index.empty:
        section.chart = charts.render(
            "funders",
            "Top funders by amount given (each gift once, however often reported), and the "
            "share of foundation mentions in a funder role "
            "/ 主要资助方与资助型指数",
            charts.funders(
                funders if not funders.empty else pd.DataFrame(columns=["funder", "amount"]), index
            ),
            size=(9, 3.8),
        )
    shown = (
        funders.assign(amount_cny=funders["amount"]).drop(columns="amount")
        if not funders.empty
        else funders
    )
    grant_table = _grant_index_table(index) if not index.empty else pd.DataFrame()
    section.tables = [shown, grant_table]
    known = grant_table[grant_table["foundation_mentions"] > 0] if not index.empty else index
    if len(known) >= 2:
        first, last = known.iloc[0], known.iloc[-1]
        k1, n1 = int(last["foundation_funder_mentions"]), int(last["foundation_mentions"])
        k0, n0 = int(first["foundation_funder_mentions"]), int(first["foundation_mentions"])
        when = f"in {int(first['year'])}"
        facts.append(
            f"In {int(last['year'])}, {int(last['foundations_funding'])} foundations were named as "
            f"funders and {share_with_interval(k1, n1)} of foundation mentions cast them as "
            f"funders{_versus(k1, n1, k0, n0, when)}."
        )
    return section


def _grant_index_table(index: pd.DataFrame) -> pd.DataFrame:
    """The grant-making index per year with its counts and the share's 95% interval."""
    counts = ["foundations_funding", "foundations_mentioned", "foundation_funder_mentions"]
    table = (
        index[["year", *counts, "foundation_mentions", "funder_role_share"]]
        .astype({c: "int64" for c in ["year", *counts, "foundation_mentions"]})
        .reset_index(drop=True)
    )
    bounds = [
        wilson(k, n)
        for k, n in zip(
            table["foundation_funder_mentions"], table["foundation_mentions"], strict=True
        )
    ]
    table["funder_role_share_low"] = [b[0] for b in bounds]
    table["funder_role_share_high"] = [b[1] for b in bounds]
    return table


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


def _recent(recent: pd.DataFrame) -> _Section:
    """The newest documents (reprints left out), each with its first quoted sentence."""
    section = _Section("Notable new documents / 最新文档（附引文）", empty="No documents yet.")
    if recent.empty:
        section.tables = [pd.DataFrame()]
        return section
    section.extra = _links(recent)
    section.tables = [recent[["published_at", "outlet", "title", "url", "evidence"]]]
    section.tables_in_page = False
    return section


def _organizations(table: pd.DataFrame) -> _Section:
    """Organizations by the documents that name them, the name variants of one organization
    (恒信基金会, Hengxin Charitable Foundation) counted under one name, with the names seen."""
    section = _Section(
        "Organizations most often named / 最常提及的机构", empty="No organizations yet."
    )
    section.tables = [table if len(table) else pd.DataFrame()]
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
