"""Funding events: the gifts and grants behind the funding mentions. One gift reported by four
articles (and their reprints) is four mentions and one event; the report ranks funders by
events, so a gift counts once however often it is reported.

Mentions are one event when they have the same funder (name variants folded together), the same
amount in CNY (to the yuan) and dates within EVENT_DAYS of the event's first report (180 days:
news of a gift in December and the annual report that repeats it in April are one event; the
same amount from the same funder half a year later is another). Within such a set, every mention
is the same gift and the recipient is the one most often named (the others are kept in
`recipients_named`: a report that names another recipient does not make a second gift), unless
one document names two different recipients for that amount (a grant list: 10万元 to each of
five groups): then the set is split by recipient, and a mention without a recipient is an event
of its own. Mentions without a named funder, an amount in CNY or a publication date make no
event."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa

from qun.datasets import warehouse
from qun.datasets.store import DatasetSpec, list_of

EVENT_DAYS = 180

SCHEMA = pa.schema(
    [
        pa.field("year", pa.int32(), nullable=False),
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("funder_id", pa.string(), nullable=False),
        pa.field("funder", pa.string()),
        pa.field("funder_type", pa.string()),
        pa.field("recipient_id", pa.string()),
        pa.field("recipient", pa.string()),
        pa.field("recipient_type", pa.string()),
        pa.field("recipients_named", list_of(pa.string())),
        pa.field("amount_cny", pa.float64(), nullable=False),
        pa.field("amount_text", pa.string()),
        pa.field("first_reported", pa.date32(), nullable=False),
        pa.field("last_reported", pa.date32(), nullable=False),
        pa.field("mentions", pa.int32(), nullable=False),
        pa.field("documents", pa.int32(), nullable=False),
        pa.field("outlets", pa.int32(), nullable=False),
        pa.field("doc_ids", list_of(pa.string())),
        pa.field("evidence", pa.string()),
    ]
)
SPEC = DatasetSpec(
    name="funding_events",
    schema=SCHEMA,
    partition="year",
    key=("event_id",),
    description="Gifts and grants, each counted once however many articles report it.",
)


def _chunks(dates: list[Any], days: int) -> list[list[int]]:
    """Positions of sorted `dates` cut where one is more than `days` after its chunk's first."""
    out: list[list[int]] = []
    first = None
    for k, d in enumerate(dates):
        if first is None or (d - first).days > days:
            out.append([])
            first = d
        out[-1].append(k)
    return out


def _event(rows: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    """One event from its mentions (sorted by date, doc_id and offset)."""
    named = [r for r in rows if r["recipient_key"] is not None]
    votes = Counter(r["recipient_key"] for r in named)
    recipient = None
    if votes:
        # most often named; a tie goes to the one named first
        top = max(votes.values())
        recipient = next(r["recipient_key"] for r in named if votes[r["recipient_key"]] == top)
    first = rows[0]
    pick = next(r for r in named if r["recipient_key"] == recipient) if recipient else first
    funder = first["funder_key"]
    when = first["published_at"]
    alone = f"{first['doc_id']}:{first['amount_start']}"  # a mention that is an event alone
    key = f"{funder}|{first['amount_key']}|{when.isoformat()}|{recipient or alone}"
    return {
        "year": int(when.year),
        "event_id": hashlib.sha256(key.encode()).hexdigest()[:16],
        "funder_id": funder,
        "funder": names.get(funder, first["funder"]),
        "funder_type": first["funder_type"],
        "recipient_id": recipient,
        "recipient": names.get(recipient, pick["recipient"]) if recipient else None,
        "recipient_type": pick["recipient_type"] if recipient else None,
        "recipients_named": sorted(
            {
                names.get(r["recipient_key"]) or r["recipient"] or r["recipient_key"]
                for r in named
                if r["recipient_key"] != recipient
            }
        ),
        "amount_cny": float(first["amount_cny"]),
        "amount_text": first["amount_text"],
        "first_reported": when,
        "last_reported": max(r["published_at"] for r in rows),
        "mentions": len(rows),
        "documents": len({r["doc_id"] for r in rows}),
        "outlets": len({r["outlet"] for r in rows} - {None}),
        "doc_ids": sorted({r["doc_id"] for r in rows}),
        "evidence": pick["evidence"],
    }


def funding_events(
    con: duckdb.DuckDBPyConnection, groups: dict[str, str], names: dict[str, str]
) -> pa.Table:
    """The events behind the `funding` view's mentions. `groups`: {org_id: group id} folding
    name variants (ids not in it are their own group); `names`: {group id: display name}.
    Mentions stream from SQL ordered by funder and amount, and each funder-and-amount set is
    read whole and then dropped, so memory grows with the largest set, not the corpus."""
    con.register(
        "_groups",
        pa.table({"org_id": list(groups), "group_id": list(groups.values())}, schema=_GROUPS),
    )
    try:
        stream = warehouse.batches(
            con,
            """
            select f.doc_id, f.published_at, f.funder_id, f.funder, f.funder_type,
                   f.recipient_id, f.recipient, f.recipient_type, f.amount_start,
                   f.amount_text, f.amount_cny, f.evidence, d.outlet,
                   coalesce(gf.group_id, f.funder_id) as funder_key,
                   case when f.recipient_id is not null
                        then coalesce(gr.group_id, f.recipient_id) end as recipient_key,
                   round_even(f.amount_cny, 0)::bigint as amount_key
            from funding f
            left join (select doc_id, outlet from documents) d using (doc_id)
            left join _groups gf on gf.org_id = f.funder_id
            left join _groups gr on gr.org_id = f.recipient_id
            where f.funder_id is not null and f.amount_cny is not null
              and f.published_at is not null
            order by funder_key, amount_key, f.published_at, f.doc_id, f.amount_start
            """,
            rows=4096,
        )
        events: list[dict[str, Any]] = []
        for same in _sets(stream):
            events += _events(same, names)
    finally:
        con.unregister("_groups")
    return pa.Table.from_pylist(events, schema=SCHEMA)


_GROUPS = pa.schema([("org_id", pa.string()), ("group_id", pa.string())])


def _sets(stream: Iterator[pa.RecordBatch]) -> Iterator[list[dict[str, Any]]]:
    """The mentions of each (funder, amount) in turn, from batches sorted by them."""
    rows = (row for batch in stream for row in batch.to_pylist())
    for _, same in itertools.groupby(rows, key=lambda r: (r["funder_key"], r["amount_key"])):
        yield list(same)


def _events(same: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """The events of one funder-and-amount set (rows sorted by date, doc_id, offset)."""
    events = []
    for part in _chunks([r["published_at"] for r in same], EVENT_DAYS):
        chunk = [same[k] for k in part]
        per_doc: dict[str, set[str]] = {}
        for r in chunk:
            if r["recipient_key"] is not None:
                per_doc.setdefault(r["doc_id"], set()).add(r["recipient_key"])
        if all(len(v) <= 1 for v in per_doc.values()):  # no document names two recipients
            events.append(_event(chunk, names))
            continue
        by_recipient: dict[str, list[dict[str, Any]]] = {}
        for r in chunk:
            by_recipient.setdefault(r["recipient_key"] or "", []).append(r)
        for recipient, rows in by_recipient.items():
            if recipient:
                events.append(_event(rows, names))
            else:
                events += [_event([r], names) for r in rows]
    return events
