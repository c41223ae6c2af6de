"""Re-extraction from the raw archive: read the gzip WARC files the crawls wrote and run the
same item pipelines again, without touching the network."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from warcio.archiveiterator import ArchiveIterator

from qun.spiders.items import Document, Page
from qun.spiders.pipelines import (
    FingerprintPipeline,
    LanguagePipeline,
    ParsePipeline,
    QualityPipeline,
)
from qun.spiders.registry import Source

PIPELINES = (ParsePipeline(), LanguagePipeline(), QualityPipeline(), FingerprintPipeline())


def iter_pages(warc_files: Iterable[Path], sources: dict[str, Source]) -> Iterator[Page]:
    """Document responses of the archive (HTTP 200 with a source and doc type), oldest first."""
    for path in sorted(warc_files):
        with path.open("rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                head = record.rec_headers
                source = unquote(head.get_header("Qun-Source") or "")
                doc_type = unquote(head.get_header("Qun-Doc-Type") or "")
                if not doc_type or record.http_headers.get_statuscode() != "200":
                    continue
                hint_date = head.get_header("Qun-Hint-Date")
                hint_title = head.get_header("Qun-Hint-Title")
                src = sources.get(source)
                yield Page(
                    url=head.get_header("WARC-Target-URI"),
                    source=source,
                    outlet=src.outlet if src else source,
                    content=src.content if src else "",
                    doc_type=doc_type,
                    status=200,
                    content_type=record.http_headers.get_header("Content-Type") or "",
                    body=record.content_stream().read(),
                    fetched_at=head.get_header("WARC-Date"),
                    hint_date=unquote(hint_date) if hint_date else None,
                    hint_title=unquote(hint_title) if hint_title else None,
                    etag=record.http_headers.get_header("ETag"),
                    last_modified=record.http_headers.get_header("Last-Modified"),
                    warc_file=path.name,
                    warc_offset=records.get_record_offset(),
                )


def process(page: Page) -> Any:
    """Run one page through the crawl's item pipelines: a Document or a CrawlError."""
    item: Any = page
    for pipeline in PIPELINES:
        item = pipeline.process_item(item)
    return item


def write_output(pages: Iterable[Page], out_dir: Path) -> tuple[int, int]:
    """Pages through the item pipelines, written as a spider's output folder
    (`documents.jsonl`, `errors.jsonl`, taken in by qun.datasets.ingest); (documents, errors)."""
    done = [0, 0]
    out_dir.mkdir(parents=True, exist_ok=True)
    with (
        (out_dir / "documents.jsonl").open("w", encoding="utf-8") as docs_fh,
        (out_dir / "errors.jsonl").open("w", encoding="utf-8") as errs_fh,
    ):
        for page in pages:
            item = process(page)
            is_doc = isinstance(item, Document)
            done[0 if is_doc else 1] += 1
            (docs_fh if is_doc else errs_fh).write(
                json.dumps(dataclasses.asdict(item), ensure_ascii=False) + "\n"
            )
    return done[0], done[1]


def rebuild(warc_files: Iterable[Path], sources: dict[str, Source], out_dir: Path) -> int:
    """The latest archived response of each URL through the item pipelines again, written as a
    spider's output folder; the number of pages read."""
    latest: dict[str, Page] = {}
    for page in iter_pages(warc_files, sources):
        latest[page.url] = page  # later runs win
    write_output(latest.values(), out_dir)
    return len(latest)
