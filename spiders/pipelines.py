"""Item pipelines, one concern each: parse a Page into a Document, label its language, check its
quality, fingerprint it. A page that cannot become a document turns into a CrawlError item that
says why, so nothing is lost silently."""

from __future__ import annotations

from typing import Any

from qun.models.textutil import detect_lang, simplify
from qun.spiders import decoding, fingerprint, template
from qun.spiders.extraction import Extracted, ExtractionError, extract_html, extract_pdf
from qun.spiders.items import CrawlError, Document, Page


def _error(page: Page, stage: str, reason: str) -> CrawlError:
    return CrawlError(
        url=page.url,
        source=page.source,
        stage=stage,
        reason=reason,
        status=page.status,
        fetched_at=page.fetched_at,
    )


def _is_pdf(page: Page) -> bool:
    return (
        "pdf" in page.content_type.lower()
        or page.body[:5] == b"%PDF-"
        or page.url.lower().split("?")[0].endswith(".pdf")
    )


class ParsePipeline:
    """Page -> Document: decode the bytes (or read the PDF) and extract main text and metadata."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, Page):
            return item
        page = item
        encoding = "binary"
        try:
            if _is_pdf(page):
                ext: Extracted = extract_pdf(page.body, page.url, page.hint_title, page.hint_date)
            else:
                declared = decoding.declared_charset(page.body, page.content_type)
                try:
                    decoded = decoding.decode(page.body, declared)
                except decoding.BinaryContent as exc:
                    return _error(page, "decode", str(exc))
                encoding = decoded.encoding
                ext = extract_html(decoded.text, page.url, page.outlet, page.content)
                if decoded.trimmed_bytes:
                    ext.flags.append("truncated_bytes")
                if ext.published is None and page.hint_date:
                    ext.published, ext.date_source = page.hint_date, "feed"
                    ext.flags.remove("no_date")
        except ExtractionError as exc:
            return _error(page, "pdf" if _is_pdf(page) else "extract", str(exc))
        canonical = ext.canonical_url or page.url
        return Document(
            doc_id=fingerprint.doc_id_for(page.url),
            url=page.url,
            canonical_url=fingerprint.normalize_url(canonical),
            source=page.source,
            outlet=page.outlet,
            doc_type=page.doc_type,
            title=ext.title or (page.hint_title or ""),
            author=ext.author,
            published_at=ext.published,
            date_source=ext.date_source,
            fetched_at=page.fetched_at,
            lang="",
            script="",
            text=ext.text,
            text_simplified="",
            encoding=encoding,
            content_hash="",
            simhash=0,
            n_pages=ext.n_pages,
            flags=ext.flags,
            etag=page.etag,
            last_modified=page.last_modified,
            warc_file=page.warc_file,
            warc_offset=page.warc_offset,
        )


_SCRIPTS = {"zh-Hans": "Hans", "zh-Hant": "Hant", "en": "Latn"}


class LanguagePipeline:
    """Record language and script; keep a simplified copy of traditional Chinese for the models."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, Document):
            item.lang = detect_lang(item.text)
            item.script = _SCRIPTS.get(item.lang, "Zyyy")
            item.text_simplified = simplify(item.text) if item.script == "Hant" else item.text
        return item


class QualityPipeline:
    """Flag what users should know: replacement characters, undetermined language."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, Document):
            if "\ufffd" in item.text:
                item.flags.append("replacement_chars")
            if item.lang == "und":
                item.flags.append("lang_undetermined")
        return item


class FingerprintPipeline:
    """Content hash for exact duplicates, SimHash for near-duplicate reprints."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, Document):
            item.content_hash = fingerprint.content_hash(item.text)
            item.simhash = fingerprint.simhash(template.comparable(item.text_simplified))
        return item
