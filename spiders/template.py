"""A site's template learnt from its own pages: lines of main text that repeat across pages of
one source (a nav bar, related-headline blocks, share bars, copyright and ICP lines, "上一篇 /
下一篇", editor lines) are the site's, not the article's, and are removed from `text` whatever the
page length (the repeated-line statistics used to clean web-scale corpora, kept per source).

The lines learnt are data (the `template_lines` dataset), refreshed with each crawl and only
ever added to, so a page cleaned once stays clean as the site changes. Lines that credit a
reprint (转自 / 转载 / 来源 …) stay in `text` but are left out of what reprints are compared on
(`comparable`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from qun.models.textutil import simplify
from qun.spiders import fingerprint
from qun.spiders.extraction import lead_noise

MIN_PAGES = 3  # a line on fewer distinct pages of one source is never the template's
_SPACE = re.compile(r"\s+")
_CREDIT = re.compile(
    r"^\s*[（(【\[]?\s*(?:转自|轉自|转载自|轉載自|转载|轉載|来源|來源|稿件来源|原标题|原標題|"
    r"原文链接|责任编辑|責任編輯|编辑|編輯|Source|Originally published)\s*[:：]?",
    re.I,
)


def line_key(line: str) -> str:
    """A line as it is counted: white space folded."""
    return _SPACE.sub(" ", line).strip()


def repeated_lines(texts: Iterable[str], min_pages: int = MIN_PAGES) -> Counter[str]:
    """Lines found on at least `min_pages` of `texts` (distinct pages of one source), with the
    number of pages each is on."""
    seen: Counter[str] = Counter()
    for text in texts:
        seen.update({k for line in text.split("\n") if (k := line_key(line))})
    return Counter({line: n for line, n in seen.items() if n >= min_pages})


def clean(text: str, template: set[str] | frozenset[str], title: str | None = None) -> str:
    """`text` without the template's lines, and without a headline or date line left leading
    once they are gone; the text as it was when nothing of the article would remain."""
    kept = [line for line in text.split("\n") if line_key(line) not in template]
    heads = {line_key(title)} if title else set()
    while len(kept) > 1 and (line_key(kept[0]) in heads or lead_noise(kept[0])):
        kept.pop(0)
    out = "\n".join(kept).strip()
    return out if out else text


def comparable(text: str) -> str:
    """The text reprints are compared on: without lines that credit a reprint's origin."""
    return "\n".join(line for line in text.split("\n") if not _CREDIT.match(line))


@dataclass(frozen=True)
class Prints:
    text_simplified: str
    content_hash: str
    simhash: int


def prints(text: str, script: str | None) -> Prints:
    """The fingerprints of a (cleaned) text, as the crawl computes them for a page."""
    simplified = simplify(text) if script == "Hant" else text
    return Prints(
        simplified, fingerprint.content_hash(text), fingerprint.simhash(comparable(simplified))
    )
