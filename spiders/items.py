"""What the spiders yield: a fetched page, a parsed document, or a recorded failure."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Page:
    """A fetched response, before decoding: the spider's only output for content."""

    url: str
    source: str
    outlet: str
    doc_type: str  # article | report
    status: int
    content_type: str
    body: bytes
    fetched_at: str
    hint_date: str | None = None  # from a feed, sitemap or listing
    hint_title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    content: str = ""  # the source's CSS selector of the article's element (registry)


@dataclass
class Document:
    """One document with its main text and metadata; the row of the `documents` dataset."""

    doc_id: str
    url: str
    canonical_url: str
    source: str
    outlet: str
    doc_type: str
    title: str
    author: str | None
    published_at: str | None
    date_source: str | None
    fetched_at: str
    lang: str
    script: str
    text: str
    text_simplified: str
    encoding: str
    content_hash: str
    simhash: int
    n_pages: int | None = None
    flags: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None


@dataclass
class CrawlError:
    """A failure kept as data: where it happened and why."""

    url: str
    source: str
    stage: str  # fetch | robots | decode | extract | pdf
    reason: str
    status: int | None
    fetched_at: str
