"""Publication dates from meta tags, JSON-LD, Chinese and English page text, and URLs.

Each finder returns the date and where it came from, so users can weigh a date by its source.
htmldate is not used: it misreads `2017年11月26日` as 2017-01-01.
"""

from __future__ import annotations

import json
import re
from datetime import date
from email.utils import parsedate_to_datetime

from lxml import html as lxml_html

MIN_YEAR, MAX_YEAR = 1990, 2100
META_KEYS = (
    "article:published_time",
    "og:published_time",
    "publishdate",
    "pubdate",
    "publish_date",
    "datepublished",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "citation_publication_date",
    "sailthru.date",
    "parsely-pub-date",
    "firstpublishedtime",  # the TRS publishing system of many Chinese government sites
    "date",
)
_MONTHS = {
    m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)
}
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_ZH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]")
_ZH_NUM = "〇零一二三四五六七八九"
_ZH_FULL = re.compile(
    r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日"
)
_EN = re.compile(
    r"\b(?:(\d{1,2})\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+"
    r"(?:(\d{1,2}),?\s+)?(\d{4})\b",
    re.I,
)
# a Chinese month name with an English day and year, as WordPress's Chinese locale prints
# dates ("十一月 6th, 2009")
_ZH_MONTH_EN = re.compile(
    r"(?<![一二三四五六七八九十])(十[一二]|[一二三四五六七八九十])月\s*(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b"
)
_LABEL = re.compile(
    r"(?:发布时间|發佈時間|發布時間|发布日期|發佈日期|發布日期|发表时间|發表時間|更新时间|时间|時間|日期|"
    r"Published|Posted|Date)\s*[:：]?\s*"
)
# a newspaper's issue label: 国际日报20140318期, 第20140318期
_ISSUE = re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])期")
# a numeric date with the year last (05-19-2013, 19/05/2013): read only where the order is
# plain, one of the first two numbers being over 12
_YEAR_LAST = re.compile(r"(?<![\d/.-])(\d{1,2})[-/.](\d{1,2})[-/.]((?:19|20)\d{2})(?![\d/.-])")
_URL = re.compile(
    r"/((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?=[/_.-]|\d|$)"
)
_URL_YM = re.compile(r"/((?:19|20)\d{2})[/_-](0[1-9]|1[0-2])/")


def _make(y: int, m: int, d: int) -> date | None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _year_last(m: re.Match[str]) -> date | None:
    """05-19-2013 (month first) or 19/05/2013 (day first); None where either could be."""
    a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if a > 12 >= b:
        return _make(year, b, a)
    if b > 12 >= a:
        return _make(year, a, b)
    return None


def _zh_small(s: str) -> int:
    """一 .. 三十一 to an int."""
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    if "十" not in s:
        return digits.get(s, 0)
    tens, _, ones = s.partition("十")
    return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)


def parse_date(value: str) -> date | None:
    """Parse one date string in any format qun meets; None when it is not a date."""
    value = value.strip()
    if not value:
        return None
    for rx in (_ISO, _ZH):
        m = rx.search(value)
        if m:
            return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _ZH_FULL.search(value)
    if m:
        year = int("".join(str(max(_ZH_NUM.index(c) - 1, 0)) for c in m.group(1)))
        return _make(year, _zh_small(m.group(2)), _zh_small(m.group(3)))
    m = _ZH_MONTH_EN.search(value)
    if m:
        return _make(int(m.group(3)), _zh_small(m.group(1)), int(m.group(2)))
    m = _EN.search(value)
    if m:
        day = m.group(1) or m.group(3)
        if day:
            return _make(int(m.group(4)), _MONTHS[m.group(2).lower()[:3]], int(day))
    m = _YEAR_LAST.search(value)
    if m:
        return _year_last(m)
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        return None


def date_from_meta(tree: lxml_html.HtmlElement) -> date | None:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in META_KEYS and meta.get("content"):
            found.setdefault(key, meta.get("content", ""))
    for el in tree.iter("time"):
        if el.get("datetime"):
            found.setdefault("time", el.get("datetime", ""))
    # microdata on any element: <div itemprop="datePublished">2020年8月8日星期六</div>
    for el in tree.xpath("//*[@itemprop='datePublished' or @itemprop='dateCreated']"):
        value = el.get("content") or el.get("datetime") or el.text_content()
        found.setdefault("datepublished", value or "")
    for key in (*META_KEYS, "time"):
        if key in found:
            parsed = parse_date(found[key])
            if parsed:
                return parsed
    return None


def date_from_jsonld(tree: lxml_html.HtmlElement) -> date | None:
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content())
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                for key in ("datePublished", "dateCreated"):
                    if isinstance(item.get(key), str) and (parsed := parse_date(item[key])):
                        return parsed
                stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
    return None


# labels of dates that are not the publication: an update, edit, crawl or access stamp
_NOT_PUBLISHED = re.compile(
    r"(?:更新|修改|编辑于|編輯於|抓取|采集|訪問|访问|Updated|Modified|Retrieved|Accessed|"
    r"Last\s+edited)\s*(?:时间|時間|日期|于|於|on)?\s*[:：]?\s*$",
    re.I,
)
# what separates a page title's parts ("Headline - Section - Outlet")
TITLE_PARTS = re.compile(r"\s+[-|–—_]\s+|\s*[|｜]\s*|_")
HEADER_CHARS = 300  # how far past the headline the header and byline block reaches
HELD_CHARS = 40  # the most text a headline's element may hold besides the headline


def _labelled(text: str) -> date | None:
    """The first date that a publication label (发布时间：…) introduces, never an update or
    crawl stamp's."""
    for m in _LABEL.finditer(text):
        if _NOT_PUBLISHED.search(text[max(0, m.start() - 12) : m.end()]):
            continue
        after = text[m.end() : m.end() + 40]
        found = (rx.search(after) for rx in (_ZH, _ISO, _ZH_FULL, _EN, _ZH_MONTH_EN, _YEAR_LAST))
        near = [x for x in found if x is not None and x.start() <= 2]
        parsed = parse_date(min(near, key=lambda x: x.start()).group(0)) if near else None
        if parsed:  # the date the label introduces, not one further on
            return parsed
    return None


def _first_date(text: str) -> date | None:
    """The first full date of `text` that no update or crawl label introduces."""
    found = []
    for rx in (_ZH, _ISO, _ZH_FULL, _EN, _ZH_MONTH_EN, _YEAR_LAST):
        for m in rx.finditer(text):
            if not _NOT_PUBLISHED.search(text[max(0, m.start() - 16) : m.start()]):
                parsed = parse_date(m.group(0))
                if parsed:
                    found.append((m.start(), parsed))
                    break
    return min(found)[1] if found else None


def header_text(tree: lxml_html.HtmlElement, title: str | None = None) -> str | None:
    """The text that follows the article's headline (its header and byline block), or None
    when no headline is found: the first <h1> of the body, else an element whose whole text is
    the title."""
    heads = tree.xpath("//body//h1")
    lead = ""  # text of the headline's element after the headline itself
    if not heads and title:
        # the title, else its longest part that an element holds whole ("Outlet - Section -
        # Headline - site.com": the headline)
        wants = [" ".join(title.split())]
        wants += sorted(
            (p for p in (" ".join(x.split()) for x in TITLE_PARTS.split(title)) if len(p) >= 6),
            key=len,
            reverse=True,
        )
        holders = tree.xpath(
            "//body//*[self::h2 or self::h3 or self::h4 or self::div or self::p or self::td "
            "or self::span or self::strong or self::b or self::font]"
        )
        texts = [(el, " ".join(el.text_content().split())) for el in holders]
        for want in wants:
            heads = [el for el, text in texts if text == want]
            if heads:
                break
        if not heads:
            # a headline holding its own date line (<h4>Headline<span>2014-12-08 06:49</span>)
            for want in wants:
                held = [
                    (el, text)
                    for el, text in texts
                    if text.startswith(want) and len(text) <= len(want) + HELD_CHARS
                ]
                if held:
                    heads, lead = [held[-1][0]], held[-1][1][len(want) :]
                    break
    if not heads:
        return None
    parts: list[str] = [lead]
    size = len(lead)
    for node in heads[0].xpath("following::text()"):
        parent = node.getparent()
        if parent is not None and parent.tag in ("script", "style", "noscript"):
            continue
        parts.append(str(node))
        size += len(node.strip())
        if size > HEADER_CHARS:
            break
    return " ".join(parts)


_SHORT = re.compile(
    r"(?:发布时间|發佈時間|發布時間|发布于|發佈於|发表于|發表於|时间|時間)\s*[:：]?\s*"
    r"(?:(\d{2})-(\d{1,2})-(\d{1,2})|(\d{1,2})-(\d{1,2})(?=\s*\d{1,2}:\d{2}))"
)


def _short_labelled(text: str, tree: lxml_html.HtmlElement) -> date | None:
    """A labelled date written short, as some platforms print it: `18-03-08` (a two-digit
    year), or `10-08 12:00` (no year: the year of a date elsewhere in the page's data, such as
    an update stamp, with the same month and day)."""
    for m in _SHORT.finditer(text):
        if m.group(1):
            return _make(2000 + int(m.group(1)), int(m.group(2)), int(m.group(3)))
        month, day = int(m.group(4)), int(m.group(5))
        for meta in tree.iter("meta"):
            known = parse_date(meta.get("content") or "")
            if known is not None and (known.month, known.day) == (month, day):
                return known
    return None


def date_from_text(text: str) -> tuple[date, str] | None:
    """A labelled date (发布时间：…) first, else the first full date in the page text."""
    if (d := _labelled(text)) is not None:
        return d, "page-label"
    if (d := _first_date(text)) is not None:
        return d, "page-text"
    return None


def date_from_url(url: str) -> date | None:
    m = _URL.search(url)
    return _make(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def find_published(
    tree: lxml_html.HtmlElement, url: str, title: str | None = None
) -> tuple[date | None, str | None]:
    """Publication date of a page and where it came from, in this order of trust: structured
    data (`meta`, `jsonld`), the article's header and byline block after its headline
    (`header`), the URL (`url`), then the page's text (`page-label`, `page-text`). Update,
    edit and crawl stamps are never taken."""
    if (d := date_from_meta(tree)) is not None:
        return d, "meta"
    if (d := date_from_jsonld(tree)) is not None:
        return d, "jsonld"
    header = header_text(tree, title)
    if header:
        d = _labelled(header) or _short_labelled(header, tree) or _first_date(header)
        if d is not None:
            return d, "header"
    if (d := date_from_url(url)) is not None:
        return d, "url"
    body = tree.find("body")
    text = " ".join((body if body is not None else tree).itertext())
    if (d := _labelled(text)) is not None:
        return d, "page-label"
    issue = _ISSUE.search(" ".join(tree.xpath("//head/title/text()")) + " " + text)
    if issue and (d := _make(*map(int, issue.groups()))) is not None:
        return d, "page-label"  # the issue of a paper's e-edition the page belongs to
    if (d := _first_date(text)) is not None:  # the least trusted: the page's first full date
        return d, "page-text"
    return None, None
