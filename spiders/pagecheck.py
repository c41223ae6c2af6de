"""Main text and dates scored on real pages that the project did not write.

Checks are short strings kept in the project (spiders/data/page_checks/*.jsonl; never the pages):
for each page, strings of its article that must be in `text`, strings of its template (nav,
related headlines, footer) that must not, and its publication date. The pages themselves are
read from a folder of saved pages (`<pages>/<site>/<file>`, e.g. ../shared/data/real_pages/gne).
Each check file is one split: the outlets of one file appear in no other, so a file that no rule
was fitted on is a held-out measure.

qun is scored as the pipeline reads a page (extract_html, then the site's template learnt from
its pages in the set), beside trafilatura and readability-lxml run on the same decoded HTML."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qun.spiders.decoding import decode
from qun.spiders.extraction import ExtractionError, extract_html
from qun.spiders.template import clean, repeated_lines

CHECKS = Path(__file__).with_name("data") / "page_checks"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Check:
    split: str  # the check file's name: one group of outlets
    site: str
    file: str
    title: str
    date: str | None
    must: tuple[str, ...]
    must_not: tuple[str, ...]


def load_checks(folder: Path = CHECKS) -> list[Check]:
    checks = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                checks.append(
                    Check(
                        path.stem,
                        r["site"],
                        r["file"],
                        r.get("title") or "",
                        r.get("date"),
                        tuple(r["must"]),
                        tuple(r.get("must_not") or ()),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a page check: {exc}") from None
    return checks


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@dataclass
class Read:
    """What one extractor made of one page."""

    text: str = ""
    date: str | None = None
    failed: str | None = None


def _qun(html: str, url: str) -> Read:
    try:
        got = extract_html(html, url)
    except ExtractionError as exc:
        return Read(failed=str(exc))
    return Read(got.text, got.published)


def _trafilatura(html: str, url: str) -> Read:
    import trafilatura

    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True) or ""
    meta = trafilatura.extract_metadata(html)
    return Read(text, getattr(meta, "date", None) if meta else None)


def _readability(html: str, url: str) -> Read:
    from lxml import html as lxml_html
    from readability import Document

    summary = Document(html).summary(html_partial=True)
    tree = lxml_html.fromstring(summary)
    blocks = [
        _norm(el.text_content()) for el in tree.iter("p", "div", "li", "h1", "h2", "h3", "td")
    ]
    return Read("\n".join(b for b in blocks if b))


DATELESS = {"readability-lxml"}  # finds no dates: its date column is left empty
EXTRACTORS: dict[str, Callable[[str, str], Read]] = {
    "qun": _qun,
    "trafilatura": _trafilatura,
    "readability-lxml": _readability,
}


@dataclass
class Score:
    pages: int = 0
    must: int = 0
    must_found: int = 0
    pages_all_must: int = 0
    with_boilerplate_checks: int = 0
    pages_clean: int = 0
    dated: int = 0
    dates_right: int = 0
    failed: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, check: Check, read: Read) -> None:
        text = _norm(read.text)
        self.pages += 1
        self.failed += read.failed is not None
        found = [s for s in check.must if _norm(s) in text]
        if len(found) < len(check.must):
            lost = next(s for s in check.must if s not in found)
            self.misses.append(f"{check.site}/{check.file}: lost {lost!r}")
        self.must += len(check.must)
        self.must_found += len(found)
        self.pages_all_must += len(found) == len(check.must)
        if check.must_not:
            self.with_boilerplate_checks += 1
            left = [s for s in check.must_not if _norm(s) in text]
            self.pages_clean += not left
            if left:
                self.misses.append(f"{check.site}/{check.file}: kept {left[0]!r}")
        if check.date:
            self.dated += 1
            right = (read.date or "")[:10] == check.date
            self.dates_right += right
            if not right:
                self.misses.append(f"{check.site}/{check.file}: date {read.date} for {check.date}")

    def summary(self) -> dict[str, Any]:
        def share(k: int, n: int) -> float | None:
            return round(k / n, 3) if n else None

        return {
            "pages": self.pages,
            "must_strings_found": share(self.must_found, self.must),
            "pages_with_all_must": share(self.pages_all_must, self.pages),
            "pages_without_boilerplate": share(self.pages_clean, self.with_boilerplate_checks),
            "dates_right": share(self.dates_right, self.dated),
            "dated_pages": self.dated,
            "failed": self.failed,
        }


def evaluate(
    checks: Iterable[Check], pages: Path, extractors: Iterable[str] = tuple(EXTRACTORS)
) -> dict[str, Any]:
    """Scores per split and extractor (and over all splits), with qun's misses."""
    checks = list(checks)
    htmls: dict[Check, str] = {}
    for c in checks:
        path = Path(pages) / c.site / c.file
        if not path.is_file():
            raise FileNotFoundError(f"page {path} not found (set --pages or QUN_SHARED_DATA)")
        htmls[c] = decode(path.read_bytes()).text
    reads: dict[str, dict[Check, Read]] = {}
    for name in extractors:
        fn = EXTRACTORS[name]
        reads[name] = {c: fn(htmls[c], f"http://{c.site}/{c.file}") for c in checks}
    # qun as the pipeline runs it: the template of each site, learnt from its pages here
    by_site: dict[str, list[Check]] = defaultdict(list)
    for c in checks:
        by_site[c.site].append(c)
    if "qun" in reads:
        plain = reads["qun"]
        learnt: dict[Check, Read] = {}
        for members in by_site.values():
            template = frozenset(repeated_lines(plain[c].text for c in members))
            for c in members:
                r = plain[c]
                learnt[c] = Read(clean(r.text, template, c.title), r.date, r.failed)
        reads = {
            "qun": learnt,
            "qun without site templates": plain,
            **{k: v for k, v in reads.items() if k != "qun"},
        }
    out: dict[str, Any] = {}
    splits = sorted({c.split for c in checks})
    for split in [*splits, "all"]:
        members = [c for c in checks if split in ("all", c.split)]
        out[split] = {}
        for name, got in reads.items():
            score = Score()
            for c in members:
                score.add(c, got[c])
            out[split][name] = score.summary()
            if name in DATELESS:
                out[split][name]["dates_right"] = None
            if name == "qun":
                out[split][name]["misses"] = score.misses
    return out
