"""Each source's template, learnt from its own documents and removed from their `text`: the
`template_lines` dataset and the step that applies it when documents are taken in.

The text functions come from the crawl's side (qun.spiders.template, given as a `Cleaner`);
here they are applied to a source's documents: lines on at least MIN_PAGES of its distinct
pages (reprints and exact copies counted once) are added to the source's template, and every
document of the source that holds one of its lines is cleaned and fingerprinted again (a cleaned
document is new content: it is extracted again)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import pyarrow as pa

from qun.datasets.store import DatasetSpec

SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("line", pa.string(), nullable=False),
        pa.field("pages", pa.int32(), nullable=False),
        pa.field("learnt_at", pa.timestamp("ms", tz="UTC"), nullable=False),
    ]
)
SPEC = DatasetSpec(
    name="template_lines",
    schema=SCHEMA,
    partition="source",
    key=("source", "line"),
    description="Lines of each source's page template, removed from its documents' text.",
)


class Prints(Protocol):
    text_simplified: str
    content_hash: str
    simhash: int


@dataclass(frozen=True)
class Cleaner:
    """The text side of template removal (qun.spiders.template): `repeated(texts)` the lines
    on enough pages with their page counts; `clean(text, lines, title)` the text without them;
    `key(line)` a line as it is counted; `prints(text, script)` a text's fingerprints;
    `comparable(text)` what reprints are compared on."""

    repeated: Callable[[Iterable[str]], dict[str, int]]
    clean: Callable[[str, frozenset[str], str | None], str]
    key: Callable[[str], str]
    prints: Callable[[str, str | None], Prints]
    comparable: Callable[[str], str]


def apply(
    docs: dict[str, dict[str, Any]], learnt: list[dict[str, Any]], cleaner: Cleaner
) -> tuple[set[str], list[dict[str, Any]]]:
    """Learn each source's template from `docs` (doc_id -> row, changed in place) on top of
    the `learnt` rows, and clean the documents that hold its lines; the doc_ids cleaned and the
    template rows (old and new)."""
    lines: dict[str, set[str]] = defaultdict(set)
    for row in learnt:
        lines[row["source"]].add(row["line"])
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in docs.values():
        by_source[row["source"]].append(row)
    now = datetime.now(UTC)
    rows = list(learnt)
    cleaned: set[str] = set()
    for source, members in by_source.items():
        distinct = {
            r["content_hash"]: r["text"] or "" for r in members if not r.get("duplicate_of")
        }
        for line, pages in sorted(cleaner.repeated(distinct.values()).items()):
            if line not in lines[source]:
                lines[source].add(line)
                rows.append({"source": source, "line": line, "pages": pages, "learnt_at": now})
        template = frozenset(lines[source])
        if not template:
            continue
        for row in members:
            text = row["text"] or ""
            if not any(cleaner.key(line) in template for line in text.split("\n")):
                continue
            new = cleaner.clean(text, template, row.get("title"))
            if new == text:
                continue
            p = cleaner.prints(new, row.get("script"))
            row.update(
                text=new,
                text_simplified=p.text_simplified,
                content_hash=p.content_hash,
                simhash=p.simhash,
            )
            cleaned.add(row["doc_id"])
    return cleaned, rows
