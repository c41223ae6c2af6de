"""Funding events and name variants: a gift reported by several articles counts once, a grant
list of equal amounts stays several gifts, and the names of one organization are one funder in
the report."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from qun.datasets import documents, events, mentions, warehouse
from qun.datasets.read import load
from qun.models import variants
from qun.models.gazetteer import canonical_table

RULES = variants.load_rules()


@pytest.mark.parametrize(("a", "b"), RULES.same, ids=lambda x: x)
def test_variants_of_one_organization_are_one_group(a: str, b: str) -> None:
    grouped = variants.group([("a", a, 2), ("b", b, 1)])
    assert grouped["a"] == grouped["b"] == "a"


@pytest.mark.parametrize(("a", "b"), RULES.different, ids=lambda x: x)
def test_different_organizations_stay_apart(a: str, b: str) -> None:
    grouped = variants.group([("a", a, 2), ("b", b, 1)])
    assert grouped["a"] != grouped["b"]


def _events(docs: pa.Table, fund: pa.Table, groups: dict, names: dict) -> pa.Table:
    """funding_events over these tables as the `documents` and `funding` views."""
    with warehouse.connect(tables={"documents": docs, "funding": fund}) as con:
        return events.funding_events(con, groups, names)


def test_the_sample_variants_fold_under_the_most_named() -> None:
    rows = [
        ("r1", "恒信慈善基金会", 82),
        ("r2", "恒信基金会", 20),
        ("r3", "Hengxin Charitable Foundation", 6),
        ("r4", "恒信集团", 42),
        ("r5", "Hengxin Group", 1),
        ("r6", "明德公益基金会", 88),
        ("r7", "者明德公益基金会", 1),
        ("r8", "Mingde Foundation", 7),
        ("r9", "明德", 3),
    ]
    grouped = variants.group(rows)
    assert {grouped[i] for i in ("r1", "r2", "r3")} == {"r1"}
    assert {grouped[i] for i in ("r4", "r5")} == {"r4"}
    assert {grouped[i] for i in ("r6", "r7", "r8", "r9")} == {"r6"}


def test_gazetteer_organizations_are_never_grouped_together() -> None:
    """908 organizations known to be different: any group of two would be a false merge."""
    rows = [{**r, "mentions": 1} for r in canonical_table()]
    grouped = variants.name_groups(rows)
    assert len(rows) > 900 and all(k == v for k, v in grouped.items())
    # a name found outside the gazetteer still joins its gazetteer organization
    extra = {"org_id": "r:x", "canonical": "Mingde Foundation", "mentions": 1}
    mingde = {
        "org_id": "mingde",
        "canonical": "明德公益基金会",
        "mentions": 5,
        "in_gazetteer": True,
    }
    assert variants.name_groups([mingde, extra]) == {"mingde": "mingde", "r:x": "mingde"}


def test_malformed_rules_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "variants.yaml"
    bad.write_text("heads:\n  - zh: [基金会]\n", "utf-8")
    with pytest.raises(variants.VariantRulesError, match="head #1 needs a unique id"):
        variants.load_rules(bad)


def _docs(rows: list[tuple[str, str]]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"doc_id": d, "url": f"http://x/{d}", "source": "s", "outlet": o} for d, o in rows],
        schema=documents.SCHEMA,
    )


def _fund(rows: list[dict]) -> pa.Table:
    base = {"source": "s", "evidence_start": 0, "evidence_end": 1, "evidence": "…"}
    full = []
    for k, r in enumerate(rows):
        row = {**base, "amount_start": k, **r}
        row["published_at"] = dt.date.fromisoformat(row["published_at"])
        full.append(row)
    return pa.Table.from_pylist(full, schema=mentions.FUNDING_SCHEMA)


def test_one_gift_in_several_reports_is_one_event() -> None:
    """A 150-million gift counted four times, once with the wrong recipient."""
    gift = {"funder_id": "g", "funder": "恒信集团", "amount_cny": 1.5e8, "amount_text": "1.5亿元"}
    fund = _fund(
        [
            {
                **gift,
                "doc_id": "news",
                "published_at": "2021-12-21",
                "recipient_id": "n",
                "recipient": "南都",
            },
            {
                **gift,
                "doc_id": "talk",
                "published_at": "2022-04-20",
                "recipient_id": "f",
                "recipient": "恒信慈善基金会",
            },
            {
                **gift,
                "doc_id": "report",
                "published_at": "2022-04-29",
                "recipient_id": "f",
                "recipient": "恒信慈善基金会",
            },
            {
                **gift,
                "doc_id": "report",
                "published_at": "2022-04-29",
                "recipient_id": "f",
                "recipient": "恒信基金会",
            },
            {
                **gift,
                "doc_id": "reprint",
                "published_at": "2022-04-30",
                "recipient_id": None,
                "recipient": None,
            },
            # the same amount a year later is another gift
            {
                **gift,
                "doc_id": "later",
                "published_at": "2023-05-01",
                "recipient_id": "f",
                "recipient": "恒信慈善基金会",
            },
        ]
    )
    docs = _docs([("news", "A"), ("talk", "A"), ("report", "B"), ("reprint", "C"), ("later", "B")])
    table = _events(docs, fund, {"f": "f"}, {"f": "恒信慈善基金会", "g": "恒信集团"})
    got = sorted(table.to_pylist(), key=lambda e: e["first_reported"])
    assert len(got) == 2
    first = got[0]
    assert (first["recipient_id"], first["mentions"], first["documents"], first["outlets"]) == (
        "f",
        5,
        4,
        3,
    )
    assert first["recipients_named"] == ["南都"] and first["year"] == 2021
    assert first["amount_cny"] == 1.5e8 and first["funder"] == "恒信集团"
    assert got[1]["first_reported"] == dt.date(2023, 5, 1) and got[1]["mentions"] == 1
    assert len({e["event_id"] for e in got}) == 2


def test_a_grant_list_of_equal_amounts_stays_several_gifts() -> None:
    each = {"funder_id": "m", "funder": "明德", "amount_cny": 1e5, "published_at": "2020-03-01"}
    fund = _fund(
        [
            {**each, "doc_id": "list", "recipient_id": "a", "recipient": "A"},
            {**each, "doc_id": "list", "recipient_id": "b", "recipient": "B"},
            {**each, "doc_id": "list", "recipient_id": "c", "recipient": "C"},
            {**each, "doc_id": "list", "recipient_id": None, "recipient": None},
            {
                **each,
                "doc_id": "news",
                "recipient_id": "b",
                "recipient": "B",
                "published_at": "2020-03-05",
            },
        ]
    )
    table = _events(_docs([("list", "X"), ("news", "Y")]), fund, {}, {})
    by_recipient = {e["recipient_id"]: e for e in table.to_pylist()}
    assert table.num_rows == 4 and set(by_recipient) == {"a", "b", "c", None}
    assert by_recipient["b"]["mentions"] == 2 and by_recipient["b"]["documents"] == 2
    assert len(table.column("event_id").unique()) == 4


def test_name_variants_of_a_funder_are_one_funder() -> None:
    gift = {"amount_cny": 5e6, "published_at": "2019-06-01", "recipient_id": None}
    fund = _fund(
        [
            {**gift, "doc_id": "zh", "funder_id": "f1", "funder": "恒信慈善基金会"},
            {**gift, "doc_id": "en", "funder_id": "f2", "funder": "Hengxin Charitable Foundation"},
        ]
    )
    table = _events(_docs([("zh", "A"), ("en", "B")]), fund, {"f2": "f1"}, {"f1": "恒信慈善基金会"})
    assert table.num_rows == 1
    assert table.to_pylist()[0]["funder"] == "恒信慈善基金会"


def test_no_funder_amount_or_date_makes_no_event() -> None:
    fund = _fund(
        [{"doc_id": "d", "funder_id": None, "amount_cny": 1e4, "published_at": "2020-01-01"}]
    )
    assert _events(_docs([("d", "A")]), fund, {}, {}).num_rows == 0


def test_the_report_ranks_funders_by_events(demo_dir: Path) -> None:
    """On the demo the 1.5亿 gift of 恒信集团 is reported four times; it counts once."""
    gifts = load("funding_events", demo_dir, as_="pandas")
    big = gifts[(gifts["funder"] == "恒信集团") & (gifts["amount_cny"] == 1.5e8)]
    assert len(big) == 1 and big.iloc[0]["mentions"] >= 4
    assert big.iloc[0]["recipient"] == "恒信慈善基金会"
    mentioned = load("funding", demo_dir, as_="pandas")
    assert (mentioned["amount_cny"] == 1.5e8).sum() >= 4
    with open(demo_dir / "report" / "tables" / "top_funders.csv", encoding="utf-8-sig") as fh:
        top = {r["funder"]: r for r in csv.DictReader(fh)}
    assert (
        float(top["恒信集团"]["amount_cny"])
        == gifts[gifts["funder"] == "恒信集团"]["amount_cny"].sum()
    )
    assert int(top["恒信集团"]["events"]) == (gifts["funder"] == "恒信集团").sum()
    # one funder under one name: no English or short variant of it ranks on its own
    assert not {"恒信基金会", "Hengxin Charitable Foundation", "Mingde Foundation"} & set(top)
    with open(demo_dir / "report" / "tables" / "organizations.csv", encoding="utf-8-sig") as fh:
        named = {r["organization"]: r for r in csv.DictReader(fh)}
    assert "者明德公益基金会" not in named and "明德基金会" not in named
    assert "Mingde Foundation" in named["明德公益基金会"]["names_seen"]
