"""Main text and metadata from decoded HTML and from PDF bytes (pypdf).

HTML: readability-lxml scores the page's blocks (text length, commas, link density, class names)
and picks the article's container; trafilatura reads the text of that container (paragraphs,
tables, lists of links told from text). A page where the container holds no main text is read
whole and flagged `main_text_whole_page`. A footer's notices (copyright, licence and filing lines,
spiders/data/site_notices.yaml) that close the text are cut off, and a container that holds only
such a footer is no article."""

from __future__ import annotations

import functools
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura
import yaml
from lxml import etree
from lxml import html as lxml_html
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from readability import Document
from readability.readability import Unparseable
from trafilatura.xml import xmltotxt

from qun.spiders.dates import TITLE_PARTS, find_published, parse_date

log = logging.getLogger(__name__)
logging.getLogger("pypdf").setLevel(logging.ERROR)
logging.getLogger("trafilatura").setLevel(logging.ERROR)

_BYLINE = re.compile(
    r"(?:作者|作\s*者|撰文|记者|記者|通讯员|通訊員|文\s*[/／]|編輯|编辑)[ \t]*[:：]?[ \t]*"
    r"(?:(?:本报|本報|特约|特約)?(?:记者|記者|通讯员|通訊員)[ \t]*)?"
    r"([\u4e00-\u9fff·]{2,4}(?:[、，,][ \t]*[\u4e00-\u9fff·]{2,4}){0,2})(?![\u4e00-\u9fff])"
)
_BYLINE_EN = re.compile(r"\bBy[ \t]+([A-Z][\w'.-]+(?:[ \t]+(?:[A-Z][\w'.-]+|de|van|von)){0,3})")
_LEAD_NOISE = re.compile(
    r"^(?:\s*(?:发布时间|發佈時間|發布時間|发布日期|时间|時間|日期|来源|來源|作者|记者|記者)[:：].{0,60}|"
    # a date line, not a sentence that starts with a date (2012年7月8日，…举办。)
    r"\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[^。！？!?]{0,40}|"
    r"\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+(?:[A-Z]{2,4}\s+)?\d{1,2}:\d{2}(?::\d{2})?)?\s*)$"
)
_TITLE_SEP = r"\s*(?:[-_|｜丨·:：]|\s[–—]\s)\s*"
_REPORT_YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年度?|年|annual)", re.I)


class ExtractionError(ValueError):
    """A page or file has no usable main text; the message says why."""


@dataclass
class Extracted:
    title: str
    text: str
    author: str | None
    canonical_url: str | None
    published: str | None
    date_source: str | None
    n_pages: int | None = None
    flags: list[str] = field(default_factory=list)


def _clean_title(title: str, site_names: list[str]) -> str:
    """Drop a leading or trailing site name ("Headline - 公益观察") and nothing else."""
    title = title.strip()
    for name in filter(None, site_names):
        name = re.escape(name.strip())
        stripped = re.sub(rf"{_TITLE_SEP}{name}$", "", title)
        stripped = re.sub(rf"^{name}{_TITLE_SEP}", "", stripped)
        if stripped and stripped != title:
            return stripped.strip()
    return title


def lead_noise(line: str) -> bool:
    """Whether a line is a date, source or byline line of a page's header."""
    return bool(_LEAD_NOISE.match(line))


def _strip_lead(text: str, tree: lxml_html.HtmlElement) -> str:
    """Drop a leading headline and date/byline lines that the main-text extractor kept."""
    heads = {h.text_content().strip() for h in tree.xpath("//h1|//h2")}
    # the headline as the page's metadata gives it, wherever the page sets it
    titles = tree.xpath("//head/title/text()|//meta[@property='og:title']/@content")
    heads |= {" ".join(part.split()) for t in titles for part in [t, *TITLE_PARTS.split(t)]}
    heads.discard("")
    lines = text.split("\n")
    while len(lines) > 1 and (" ".join(lines[0].split()) in heads or _LEAD_NOISE.match(lines[0])):
        lines.pop(0)
    return "\n".join(lines).strip()


def _byline(tree: lxml_html.HtmlElement, header_text: str) -> str | None:
    for meta in tree.iter("meta"):
        if (meta.get("name") or "").lower() in ("author", "byl", "dc.creator") and meta.get(
            "content"
        ):
            return meta.get("content", "").strip()
    m = _BYLINE.search(header_text) or _BYLINE_EN.search(header_text)
    return m.group(1).strip() if m else None


_BLOCKS = "p|div|h1|h2|h3|h4|h5|h6|ul|ol|table|article|section|blockquote"
# a cell of the table (directly, or under its tbody) that holds a block element
_BLOCK_IN_CELL = etree.XPath(
    "(./tr|./tbody/tr)/td/*[" + " or ".join(f"self::{b}" for b in _BLOCKS.split("|")) + "]"
)
_TABLE_PARTS = {"table", "thead", "tbody", "tfoot", "tr", "td", "th"}


def _unwrap_layout_tables(tree: lxml_html.HtmlElement) -> bool:
    """Turn tables used for page layout (a cell holds paragraphs, headings or other blocks) into
    plain blocks, so the main-text extractor reads their paragraphs one by one instead of one
    table row with the headline, the date line and the article run together; tables of data
    (short cells) stay tables. Whether any table was unwrapped."""
    layout = [t for t in tree.iter("table") if _BLOCK_IN_CELL(t)]
    for table in layout:
        for el in table.iter():
            if isinstance(el.tag, str) and el.tag in _TABLE_PARTS and not _inner_data(el, table):
                el.tag = "div"
                for attr in ("colspan", "rowspan", "width", "valign", "align"):
                    el.attrib.pop(attr, None)
    return bool(layout)


def _inner_data(el: lxml_html.HtmlElement, layout: lxml_html.HtmlElement) -> bool:
    """Whether `el` belongs to a table nested inside the layout table (left as it is)."""
    parent = el if el.tag == "table" and el is not layout else el.getparent()
    while parent is not None and parent is not layout:
        if parent.tag == "table":
            return True
        parent = parent.getparent()
    return False


# A list is a list of links, not text, when at least LINKED_ITEMS of its items (and at least
# MIN_LINK_ITEMS items) are links for LINKED_TEXT or more of their text: a ranking, a related-
# headlines or "recommended" block inside the article's container, which no template catches
# because its headlines change from page to page.
MIN_LINK_ITEMS = 3
LINKED_ITEMS = 0.8
LINKED_TEXT = 0.7


def _drop_link_lists(body: etree._Element) -> int:
    """Remove the lists of links (and a short heading right before one) from the main-text
    tree; how many were removed."""
    dropped = 0
    for lst in list(body.iter("list")):
        items = lst.findall("item")
        if len(items) < MIN_LINK_ITEMS:
            continue
        linked = 0
        for item in items:
            whole = len("".join(item.itertext()).strip())
            in_links = sum(len("".join(r.itertext()).strip()) for r in item.iter("ref"))
            linked += bool(whole) and in_links / whole >= LINKED_TEXT
        if linked / len(items) < LINKED_ITEMS:
            continue
        parent = lst.getparent()
        if parent is None:
            continue
        before = lst.getprevious()
        if before is not None and before.tag == "head" and len("".join(before.itertext())) <= 12:
            parent.remove(before)
        parent.remove(lst)
        dropped += 1
    return dropped


MIN_TEXT = 40  # characters: less is no main text
NOTICES_FILE = Path(__file__).with_name("data") / "site_notices.yaml"
NOTICE_TAIL_LINE = 80  # characters: a shorter line may stand among a footer's notices


def _notices_file(path: Path) -> dict:
    """The notices file's contents (each cached reader of it reads it once per process)."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


@functools.cache
def notice_patterns(path: Path = NOTICES_FILE) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(id, pattern) of each site notice in `path`; a ValueError naming the entry when one is
    malformed or does not match its own examples."""
    data = _notices_file(path)
    out = []
    for n, entry in enumerate(data.get("notices") or []):
        nid = entry.get("id") if isinstance(entry, dict) else None
        if not nid or not isinstance(entry.get("pattern"), str):
            raise ValueError(f"{path}: notice #{n + 1} needs an id and a pattern")
        try:
            pattern = re.compile(entry["pattern"], re.I)
        except re.error as exc:
            raise ValueError(f"{path}: notice {nid}: bad pattern: {exc}") from exc
        examples = entry.get("examples") or []
        if not examples:
            raise ValueError(f"{path}: notice {nid} has no examples")
        for example in examples:
            if not pattern.search(example):
                raise ValueError(f"{path}: notice {nid} does not match its example {example!r}")
        out.append((nid, pattern))
    return tuple(out)


@functools.cache
def ad_labels(path: Path = NOTICES_FILE) -> frozenset[str]:
    """Lines that are only an ad slot's label (casefolded)."""
    labels = _notices_file(path).get("ad_labels") or []
    if not all(isinstance(x, str) and x.strip() for x in labels):
        raise ValueError(f"{path}: ad_labels must be non-empty strings")
    return frozenset(x.strip().casefold() for x in labels)


def without_ad_labels(text: str) -> str:
    """`text` without lines that are only an ad slot's label (广告, Advertisement)."""
    labels = ad_labels()
    return "\n".join(line for line in text.split("\n") if line.strip().casefold() not in labels)


def notice_of(line: str) -> str | None:
    """The id of the site notice a line is (a copyright, licence or filing line), or None."""
    return next((nid for nid, p in notice_patterns() if p.search(line)), None)


def without_notice_tail(text: str) -> str:
    """`text` without its footer: from the first notice line on, when only notices and short
    lines follow it (a long line after a notice is the article's, and stays)."""
    lines = text.split("\n")
    cut = None
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i].strip()
        if line and notice_of(line):
            cut = i
        elif len(line) >= NOTICE_TAIL_LINE:
            break
    return text if cut is None else "\n".join(lines[:cut]).rstrip()


_CLOSERS = re.compile(r"</(?:body|html)\s*>", re.I)


def _without_stray_closers(html: str) -> str:
    """The page without `</body>` and `</html>` tags found before its end: the HTML parser stops
    at the first `</html>`, so a template that closes one early hid the whole article."""
    found = list(_CLOSERS.finditer(html))
    if len(found) <= 2:
        return html
    keep = {m.start() for m in found[-2:]}  # the page's own closing tags, at its end
    return _CLOSERS.sub(lambda m: m.group(0) if m.start() in keep else "", html)


def _page_of(tree: lxml_html.HtmlElement, elements: list) -> str:
    """A page with `tree`'s head and only `elements` in its body."""
    head = tree.find("head")
    parts = [lxml_html.tostring(head, encoding="unicode")] if head is not None else []
    parts += ["<body>", *(lxml_html.tostring(el, encoding="unicode") for el in elements)]
    return "<html>" + "".join(parts) + "</body></html>"


def _article_only(tree: lxml_html.HtmlElement, selector: str) -> str | None:
    """The page with only the elements `selector` matches in its body (head kept), for the
    main-text extractor; None when nothing matches."""
    found = tree.cssselect(selector)
    return _page_of(tree, found) if found else None


_INLINE_HOLDERS = ("section",)
_BLOCK_TAGS = frozenset(_BLOCKS.split("|")) | {"li", "dl", "pre", "form", "nav", "aside"}


def _inline_sections_as_paragraphs(tree: lxml_html.HtmlElement) -> bool:
    """Turn `<section>` elements that hold only inline content (text, spans, images) into
    paragraphs: editors that style every paragraph as a section (WeChat articles and pages
    copied from them) otherwise leave no paragraph for the extractors to score or keep.
    Whether any was turned."""
    turned = False
    holding = _holding_blocks(tree)
    for el in list(tree.iter(*_INLINE_HOLDERS)):
        if el not in holding:
            el.tag = "p"
            turned = True
    return turned


def _holding_blocks(tree: lxml_html.HtmlElement) -> set[lxml_html.HtmlElement]:
    """The elements with a block element (_BLOCK_TAGS) among their descendants, in one pass
    from the leaves up (a descendant comes after its ancestors in document order)."""
    holding: set[lxml_html.HtmlElement] = set()
    for el in reversed(list(tree.iter(tag=etree.Element))):
        parent = el.getparent()
        if parent is not None and (el.tag in _BLOCK_TAGS or el in holding):
            holding.add(parent)
    return holding


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LOOSE_TEXT = 20  # the fewest characters of its own text that make a div a paragraph


def _text_divs_as_paragraphs(tree: lxml_html.HtmlElement) -> bool:
    """Turn a `<div>` of inline content only (text, spans, fonts, line breaks, images) whose own
    text, not counting its links', runs to LOOSE_TEXT characters into a paragraph: the
    extractors read paragraphs and drop a lead paragraph typed into a styled div
    (`<div style="text-align: left"><font><br></font>　　2012年7月8日至9日，…</div>`). Whether
    any was turned."""
    turned = False
    holding = _holding_blocks(tree)
    for el in list(tree.iter("div")):
        if el in holding:
            continue
        own = (el.text or "") + "".join(
            (c.tail or "") + ("" if c.tag == "a" else "".join(c.itertext()))
            for c in el
            if isinstance(c.tag, str)
        )
        if len(own.strip()) >= LOOSE_TEXT:
            el.tag = "p"
            turned = True
    # an article's first paragraph written before the <p> tags that separate the rest
    # (<font>旺角發生…案。<p>凌晨約3時…<p>涉案男子…</font>)
    for el in list(tree.iter("font", "span", "td", "div")):
        first = next((c for c in el if isinstance(c.tag, str)), None)
        if first is not None and first.tag == "p" and len((el.text or "").strip()) >= LOOSE_TEXT:
            para = lxml_html.Element("p")
            # lxml takes no control characters in text set from Python, though it parses them
            para.text, el.text = _CONTROL.sub("", el.text or ""), None
            el.insert(0, para)
            turned = True
    return turned


_MARK = "data-qun-el"


def _container(tree: lxml_html.HtmlElement) -> str | None:
    """The page with only the article's container in its body: the elements readability-lxml
    keeps (its best-scored block by text length, commas and link density, with the siblings
    that score near it), taken whole from the page as it was, since readability's own clean-up
    drops data tables and other blocks inside the article. None when it finds no container."""
    elements = list(tree.iter(tag=etree.Element))
    for i, el in enumerate(elements):
        el.set(_MARK, str(i))
    try:
        marked = lxml_html.tostring(tree, encoding="unicode")
        summary = Document(marked).summary(html_partial=True)
        kept = lxml_html.document_fromstring(summary) if summary.strip() else None
    except (Unparseable, etree.ParserError, ValueError):
        kept = None
    finally:
        for el in elements:
            el.attrib.pop(_MARK, None)
    if kept is None:
        return None
    found, skip = [], set()
    for el in kept.iter(tag=etree.Element):
        mark = el.get(_MARK)
        if mark is None or el in skip:
            continue
        original = elements[int(mark)]
        if original.tag in ("html", "head", "body"):
            return None  # the whole page: nothing to narrow
        found.append(original)
        skip.update(el.iterdescendants())
    return _page_of(tree, _widened(found)) if found else None


_SENTENCE_END = re.compile(r"[。！？!?]|\.(?=\s|$)")
WIDEN_LEVELS = 3  # how far up from readability's container the article may reach
WIDEN_LINKS = 0.3  # the most of the added text that may be link text
WIDEN_SENTENCES = 1.0  # the fewest sentence ends per 100 characters of added text


def _own_text(el: lxml_html.HtmlElement) -> tuple[int, int, int]:
    """(characters, characters in links, sentence ends) of an element's visible text."""
    chars = links = ends = 0
    visible = ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]"
    for node in el.xpath(visible):
        text = str(node).strip()
        if not text:
            continue
        chars += len(text)
        ends += len(_SENTENCE_END.findall(text))
        if node.getparent() is not None and node.getparent().xpath("ancestor-or-self::a"):
            links += len(text)
    return chars, links, ends


def _widened(found: list[lxml_html.HtmlElement]) -> list[lxml_html.HtmlElement]:
    """readability's container grown to the ancestor that holds the whole article: an article
    cut into blocks between ad slots (each block a container of its own) or with its lead
    paragraph in an element of its own. A level up is taken while what it adds is prose (at
    least WIDEN_SENTENCES sentence ends per 100 characters, at most WIDEN_LINKS of it link
    text): a headline and byline, related links or a list of headlines stop it."""
    out: list[lxml_html.HtmlElement] = []
    for el in found:
        chars, links, ends = _own_text(el)
        for _ in range(WIDEN_LEVELS):
            up = el.getparent()
            if up is None or up.tag in ("body", "html"):
                break
            up_chars, up_links, up_ends = _own_text(up)
            added, added_links, added_ends = up_chars - chars, up_links - links, up_ends - ends
            if added and (
                added_links > WIDEN_LINKS * added or added_ends * 100 < WIDEN_SENTENCES * added
            ):
                break
            el, chars, links, ends = up, up_chars, up_links, up_ends
        out.append(el)
    kept = []
    for el in out:  # an element inside another one kept is read with it
        if not any(o is not el and el in o.iterdescendants() for o in out) and el not in kept:
            kept.append(el)
    return kept


def _main_text(html: str, url: str) -> str:
    """trafilatura's main text of `html`, with lists of links left out; '' when it finds none."""
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=False,  # dates, bylines and titles are ours (htmldate is slow here)
        include_comments=False,
        include_tables=True,
        include_links=True,  # to tell lists of links (rankings, related headlines) from text
        deduplicate=False,
    )
    if doc is None:
        return ""
    body = getattr(doc, "body", None)
    if body is not None:
        _drop_link_lists(body)
        etree.strip_tags(body, "ref")  # the links' text stays, run into its paragraph
        return (xmltotxt(body, False) or "").strip()
    return (getattr(doc, "text", None) or "").strip()


def extract_html(html: str, url: str, site_name: str | None = None, content: str = "") -> Extracted:
    """Main text without boilerplate, title, byline, canonical URL and dated publication.
    `content`: the source's CSS selector of the article's element (registry `content`); the
    main text is read from what it matches (the dates, title and byline from the whole page).
    Without one, or flagged `content_selector_missed` when it matches nothing, the main text is
    read from the container readability-lxml finds, or from the whole page when that container
    holds no main text (flagged `main_text_whole_page`)."""
    if not html.strip():
        raise ExtractionError("empty page")
    html = _without_stray_closers(html)
    try:
        tree = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparseable HTML: {exc}") from exc
    if (
        _unwrap_layout_tables(tree)
        | _inline_sections_as_paragraphs(tree)
        | _text_divs_as_paragraphs(tree)
    ):
        html = lxml_html.tostring(tree, encoding="unicode")
        tree = lxml_html.document_fromstring(html)
    article = _article_only(tree, content) if content else None
    whole_page = False
    if article is not None:
        text = _strip_lead(_main_text(article, url), tree)
    else:
        container = _container(tree)
        text = _strip_lead(_main_text(container, url), tree) if container else ""
        # a container of footer notices only (copyright, licence lines) is no article
        if len(without_notice_tail(text)) < MIN_TEXT:
            text, whole_page = _strip_lead(_main_text(html, url), tree), True
    trimmed = without_notice_tail(text)
    text = without_ad_labels(trimmed if len(trimmed) >= MIN_TEXT else text)
    if len(text) < MIN_TEXT:
        raise ExtractionError("no main text")
    h1 = [h.text_content().strip() for h in tree.xpath("//body//h1")]
    page_title = " ".join(t.text_content() for t in tree.xpath("//head/title")).strip()
    title = h1[0] if h1 and h1[0] else page_title  # the headline, without <title>'s site name
    canonical = None
    for link in tree.xpath('//link[@rel="canonical"]'):
        canonical = link.get("href") or None
    body = tree.find("body")
    page_text = " ".join((body if body is not None else tree).itertext())
    head_text = page_text[: max(page_text.find(text[:20]), 0) + 200] if text else page_text[:600]
    published, source = find_published(tree, url, title)
    author = _byline(tree, head_text)
    flags = [] if published else ["no_date"]
    if content and article is None:
        flags.append("content_selector_missed")
    if whole_page:
        flags.append("main_text_whole_page")
    if not re.search(r"</html\s*>", html[-2000:], re.I):
        flags.append("truncated_html")
    og_site = tree.xpath('//meta[@property="og:site_name"]/@content')
    names = [site_name or "", *og_site]
    return Extracted(
        title=_clean_title(title, names),
        text=text,
        author=author,
        canonical_url=canonical,
        published=published.isoformat() if published else None,
        date_source=source,
        flags=flags,
    )


def extract_pdf(
    body: bytes, url: str, hint_title: str | None = None, hint_date: str | None = None
) -> Extracted:
    """Text per page (pages joined by form feeds), title, year and publisher from a PDF."""
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            raise ExtractionError("encrypted PDF")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        meta = reader.metadata or {}
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ExtractionError(f"corrupt PDF: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # pypdf raises many types on hostile files; keep the crawl alive
        raise ExtractionError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    text = "\f".join(pages).strip()
    if len(text.replace("\f", "").strip()) < 40:
        raise ExtractionError("PDF has no extractable text (scanned or empty)")
    title = str(meta.get("/Title") or hint_title or pages[0].splitlines()[0]).strip()
    author = str(meta.get("/Author") or "").strip() or None
    published, source = None, None
    if hint_date and (d := parse_date(hint_date)):
        published, source = d.isoformat(), "listing"
    else:
        created = str(meta.get("/CreationDate") or "")
        m = re.match(r"D:(\d{4})(\d{2})(\d{2})", created)
        if m and m.group(1) != "2000" and (d := parse_date("-".join(m.groups()))):
            published, source = d.isoformat(), "pdf-metadata"
    flags = [] if published else ["no_date"]
    if published is None and (m := _REPORT_YEAR.search(title)):
        flags.append(f"report_year={m.group(1)}")
    return Extracted(
        title=title,
        text=text,
        author=author,
        canonical_url=None,
        published=published,
        date_source=source,
        n_pages=len(pages),
        flags=flags,
    )
