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
from collections import Counter
from typing import Any

import pandas as pd
import pyarrow as pa

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


def _v(value: Any) -> Any:
    """A pandas cell as a Python value, None for a missing one."""
    return None if value is None or (not isinstance(value, list) and pd.isna(value)) else value


def _event(rows: pd.DataFrame, names: dict[str, str]) -> dict[str, Any]:
    named = rows.dropna(subset=["recipient_key"])
    votes = Counter(named["recipient_key"])
    recipient = None
    if votes:
        # most often named; a tie goes to the one named first
        top = max(votes.values())
        recipient = next(k for k in named["recipient_key"] if votes[k] == top)
    first = rows.iloc[0]
    pick = named[named["recipient_key"] == recipient].iloc[0] if recipient else first
    funder = first["funder_key"]
    when = first["published_at"]
    alone = f"{first['doc_id']}:{first['amount_start']}"  # a mention that is an event alone
    key = f"{funder}|{first['amount_key']}|{when.isoformat()}|{recipient or alone}"
    return {
        "year": int(when.year),
        "event_id": hashlib.sha256(key.encode()).hexdigest()[:16],
        "funder_id": funder,
        "funder": names.get(funder, _v(first["funder"])),
        "funder_type": _v(first["funder_type"]),
        "recipient_id": recipient,
        "recipient": names.get(recipient, _v(pick["recipient"])) if recipient else None,
        "recipient_type": _v(pick["recipient_type"]) if recipient else None,
        "recipients_named": sorted(
            {
                names.get(k) or _v(r["recipient"]) or k
                for k, (_, r) in zip(named["recipient_key"], named.iterrows(), strict=True)
                if k != recipient
            }
        ),
        "amount_cny": float(first["amount_cny"]),
        "amount_text": _v(first["amount_text"]),
        "first_reported": when,
        "last_reported": rows["published_at"].max(),
        "mentions": len(rows),
        "documents": int(rows["doc_id"].nunique()),
        "outlets": int(rows["outlet"].nunique()),
        "doc_ids": sorted(set(rows["doc_id"])),
        "evidence": _v(pick["evidence"]),
    }


def funding_events(
    documents: pa.Table, funding: pa.Table, groups: dict[str, str], names: dict[str, str]
) -> pa.Table:
    """The events behind `funding` mentions. `groups`: {org_id: group id} folding name variants
    (ids not in it are their own group); `names`: {group id: display name}."""
    f = funding.to_pandas()
    f = f.dropna(subset=["funder_id", "amount_cny", "published_at"])
    if f.empty:
        return SCHEMA.empty_table()
    outlets = documents.select(["doc_id", "outlet"]).to_pandas()
    f = f.merge(outlets, on="doc_id", how="left")
    f["funder_key"] = f["funder_id"].map(lambda i: groups.get(i, i))
    f["recipient_key"] = f["recipient_id"].map(
        lambda i: groups.get(i, i) if isinstance(i, str) else None
    )
    f["amount_key"] = f["amount_cny"].round().astype("int64")
    f = f.sort_values(["published_at", "doc_id", "amount_start"], kind="stable")
    events = []
    for _, same in f.groupby(["funder_key", "amount_key"], sort=True):
        for part in _chunks(list(same["published_at"]), EVENT_DAYS):
            chunk = same.iloc[part]
            per_doc = chunk.dropna(subset=["recipient_key"]).groupby("doc_id")["recipient_key"]
            if per_doc.nunique().max() <= 1 or per_doc.ngroups == 0:
                events.append(_event(chunk, names))
                continue
            for recipient, rows in chunk.groupby(chunk["recipient_key"].fillna(""), sort=False):
                if recipient:
                    events.append(_event(rows, names))
                else:
                    events += [_event(rows.iloc[[k]], names) for k in range(len(rows))]
    return pa.Table.from_pylist(events, schema=SCHEMA)
