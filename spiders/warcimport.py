"""Pages other crawlers archived (wget --warc-file, Heritrix, Browsertrix, Common Crawl
extracts), read from their WARC files into the same decoding, main-text, date and reprint path
as crawled pages. The WARC files stay where they are: documents point to them by path.

A response record becomes a page when it is HTTP 200 and HTML or PDF (by its Content-Type, or
by its first bytes when the type is missing or generic); every other record is counted by kind
and skipped. A page's source is the one given (`--source`), else the registry source whose
domains hold the URL's host, else the host itself; its outlet is the one given (`--outlet`),
else its source's, else the host."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from qun.spiders.archive import write_output
from qun.spiders.items import Page
from qun.spiders.registry import Source

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_GENERIC = ("", "application/octet-stream", "binary/octet-stream", "text/plain")


def _kind(content_type: str, head: bytes) -> str | None:
    """ "report" for a PDF, "article" for HTML, None for anything else."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/pdf" or (ctype in _GENERIC and head.startswith(b"%PDF")):
        return "report"
    start = head.lstrip()[:200].lower()
    if ctype in _HTML_TYPES or (
        ctype in _GENERIC and (start.startswith((b"<!doctype html", b"<html")) or b"<body" in start)
    ):
        return "article"
    return None


def _source_of(url: str, sources: dict[str, Source], given: str | None) -> tuple[str, str, str]:
    """The page's source id, its outlet and its content selector (registry `content`)."""
    if given:
        src = sources.get(given)
        return given, src.outlet if src else given, src.content if src else ""
    host = (urlsplit(url).hostname or "unknown").lower()
    for src in sources.values():
        if src.allows(url):
            return src.id, src.outlet, src.content
    return host, host, ""


def _check_warc(path: Path) -> None:
    """Refuse a file that is not a WARC (plain or gzip): warcio reads some as ARC records."""
    with path.open("rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        start = gzip.GzipFile(fileobj=fh).read(5) if head == b"\x1f\x8b" else fh.read(5)
    if start != b"WARC/":
        raise ValueError(f"{path} is not a WARC file qun can read: it does not start with WARC/")


def pages(
    warc_files: Iterable[Path],
    sources: dict[str, Source],
    counts: Counter[str],
    source: str | None = None,
    outlet: str | None = None,
) -> Iterator[Page]:
    """The HTML and PDF responses of the WARC files as pages, oldest file first; what is
    skipped is counted in `counts` by kind."""
    for path in warc_files:
        path = Path(path).resolve()
        try:
            _check_warc(path)
            with path.open("rb") as fh:
                records = ArchiveIterator(fh)
                for record in records:
                    counts["records"] += 1
                    if record.rec_type != "response":
                        counts[f"skipped: {record.rec_type} record"] += 1
                        continue
                    if record.http_headers is None:
                        counts["skipped: response without HTTP headers"] += 1
                        continue
                    status = record.http_headers.get_statuscode()
                    if status != "200":
                        counts[f"skipped: HTTP {status}"] += 1
                        continue
                    body = record.content_stream().read()
                    ctype = record.http_headers.get_header("Content-Type") or ""
                    doc_type = _kind(ctype, body[:1024])
                    if doc_type is None:
                        label = ctype.split(";")[0].strip() or "no type"
                        counts[f"skipped: not HTML or PDF ({label})"] += 1
                        continue
                    url = record.rec_headers.get_header("WARC-Target-URI") or ""
                    source_id, source_outlet, content = _source_of(url, sources, source)
                    counts["pages"] += 1
                    yield Page(
                        url=url,
                        source=source_id,
                        outlet=outlet or source_outlet,
                        content=content,
                        doc_type=doc_type,
                        status=200,
                        content_type=ctype,
                        body=body,
                        fetched_at=record.rec_headers.get_header("WARC-Date") or "",
                        etag=record.http_headers.get_header("ETag"),
                        last_modified=record.http_headers.get_header("Last-Modified"),
                        warc_file=str(path),
                        warc_offset=records.get_record_offset(),
                    )
        except (ArchiveLoadFailed, OSError, EOFError) as exc:
            raise ValueError(f"{path} is not a WARC file qun can read: {exc}") from None


def import_warcs(
    warc_files: Iterable[Path],
    sources: dict[str, Source],
    out_dir: Path,
    source: str | None = None,
    outlet: str | None = None,
) -> Counter[str]:
    """The pages of the WARC files through the crawl's item pipelines, written as a spider's
    output folder (`documents.jsonl`, `errors.jsonl`, taken in by qun.datasets.ingest); the
    counts of records, pages, documents, errors and skipped records by kind."""
    counts: Counter[str] = Counter()
    latest: dict[str, Page] = {}
    for page in pages(warc_files, sources, counts, source, outlet):
        latest[page.url] = page  # a URL archived twice: the later copy
    counts["duplicate URLs"] = counts["pages"] - len(latest)
    counts["documents"], counts["errors"] = write_output(latest.values(), out_dir)
    return counts
