"""Trend tables: the sample site's story shows in them, and the Bass fit recovers known curves."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from qun.datasets.diffusion import bass_cumulative, fit_bass
from qun.datasets.read import load


def test_bass_fit_recovers_a_known_curve():
    years = list(range(2010, 2025))
    t = np.arange(1, len(years) + 1, dtype=float)
    cumulative = [int(round(v)) for v in bass_cumulative(t, 0.03, 0.5, 400.0)]
    fit = fit_bass(years, cumulative)
    assert fit["bass_status"] == "fitted"
    assert fit["bass_p"] == pytest.approx(0.03, rel=0.25)
    assert fit["bass_q"] == pytest.approx(0.5, rel=0.15)
    assert fit["bass_m"] == pytest.approx(400, rel=0.1)
    assert all(fit[k] is not None and fit[k] > 0 for k in ("bass_p_se", "bass_q_se", "bass_m_se"))


def test_bass_fit_says_why_it_did_not_fit():
    assert fit_bass([2020, 2021], [1, 2])["bass_status"].startswith("too few points")


def test_first_mention_and_adopters_follow_the_manifest(demo_dir: Path, manifest: dict):
    gold_first = min(
        d["date"]
        for d in manifest["documents"]
        if d["allowed"] and "collective_impact" in d["concepts"]
    )
    row = load(
        "concept_diffusion", demo_dir, as_="pandas", filter=("concept", "==", "collective_impact")
    ).iloc[0]
    assert str(row["first_date"])[:4] == gold_first[:4]
    curve = [point["adopters"] for point in row["curve"]]
    assert curve == sorted(curve) and curve[-1] == row["outlets"] + row["organizations"]
    adopters = load(
        "concept_adopters",
        demo_dir,
        as_="pandas",
        filter=[("concept", "==", "collective_impact"), ("adopter_kind", "==", "outlet")],
    )
    assert sorted(adopters["rank"]) == list(range(1, len(adopters) + 1))
    assert adopters.sort_values("rank")["first_seen"].is_monotonic_increasing


def test_grantmaking_index_and_flows_have_rows(demo_dir: Path):
    index = load("grantmaking_index", demo_dir, as_="pandas")
    assert len(index) > 0 and index["year"].is_unique
    # the index again, from its inputs (reprints folded into their originals), in SQL
    con = duckdb.connect()
    for name in ("documents", "org_mentions", "funding"):
        con.register(name, load(name, demo_dir))
    mentioned = con.execute("""
        select year(published_at), count(distinct org_id), count(*)
        from org_mentions
        where type = 'foundation' and published_at is not null
          and doc_id in (select doc_id from documents where duplicate_of is null)
        group by 1""").fetchall()
    funding = dict.fromkeys((year for year, _, _ in mentioned), (0, 0, 0.0))
    funding |= {
        year: (funders, records, amount)
        for year, funders, records, amount in con.execute("""
            select year(published_at), count(distinct funder_id),
                   count(distinct (doc_id, funder_id, amount_start)),
                   sum(coalesce(amount_cny, 0))
            from funding
            where funder_type = 'foundation' and published_at is not null
              and doc_id in (select doc_id from documents where duplicate_of is null)
            group by 1""").fetchall()
    }
    expected = {
        year: {
            "foundations_mentioned": orgs,
            "foundation_mentions": mentions,
            "foundations_funding": funding[year][0],
            "foundation_funder_mentions": funding[year][1],
            "funder_role_share": pytest.approx(funding[year][1] / mentions),
            "grant_amount_cny": pytest.approx(funding[year][2]),
        }
        for year, orgs, mentions in mentioned
    }
    got = {row.pop("year"): row for row in index.to_dict("records")}
    assert got == expected
    assert index["foundations_funding"].sum() > 0 and index["grant_amount_cny"].sum() > 0
    flows = load("funding_flows", demo_dir, as_="pandas")
    assert len(flows) > 0 and flows["funder_id"].notna().all()


def test_backbone_candidates_put_the_convening_foundations_first(demo_dir: Path):
    top = load("backbone_candidates", demo_dir, as_="pandas").sort_values("rank").head(3)
    assert {"明德公益基金会", "恒信慈善基金会"} & set(top["org"])
    assert (top["sectors_reached"] >= 2).all() and (top["ci_documents"] > 0).all()
    assert top["evidence"].str.len().gt(0).all()
    network = load("org_network", demo_dir, as_="pandas")
    assert "all" in set(network["window"]) and network["degree"].ge(1).all()


def test_emerging_terms_are_suggestions_outside_the_lexicon(demo_dir: Path):
    from qun.models.concepts import load_lexicon

    terms = load("emerging_terms", demo_dir, as_="pandas")
    assert len(terms) > 0 and (terms["growth"] > 0).all()
    known = {f.lower() for c in load_lexicon() for f in c.forms}
    assert not set(terms["term"]) & known
