"""Fuzz the HTML and PDF to text path: pages built by mutating the sample site's saved pages and
PDF reports (truncation, byte flips, spliced bytes, deleted and repeated tags, lying charsets,
deep nesting, huge attributes, control and odd Unicode characters, corrupted PDF objects) go
through the crawl's item pipelines (decode, main text, dates, language, fingerprints), as the
media and reports spiders run them. Every input must end as a Document or a recorded
CrawlError; anything raised is a crash. The same seed and count give the same inputs.

    .venv/bin/python benchmarks/fuzz_extract.py               # 10,000 inputs, results/fuzz.json
    .venv/bin/python benchmarks/fuzz_extract.py --inputs 500 --seed 3
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qun.spiders import archive  # noqa: E402
from qun.spiders.items import CrawlError, Document, Page  # noqa: E402

SITE = Path(__file__).resolve().parents[1] / "spiders" / "sample_site" / "site"
ODD = [
    "\x00",
    "\x0b",
    "\x1b",
    "\u200b",
    "\u200e",
    "\u202e",
    "\u2028",
    "\ufeff",
    "\ufffd",
    "\U0001f600",
    "\u0301\u0301\u0301",
    "𠀀",
    "０１２３",
    "]]>",
    "<!--",
    "-->",
    "<![CDATA[",
    "&#0;",
    "&#xD800;",
    "&nbsp;",
    "&unknown;",
    "<",
    ">",
    "\r",
]
TAGS = ["div", "p", "span", "table", "tr", "td", "article", "section", "h1", "script", "style"]
CHARSETS = ["utf-8", "gbk", "big5", "gb2312", "latin-1", "utf-16", "shift_jis", "x-bogus", ""]


@dataclass(frozen=True)
class FuzzInput:
    kind: str  # html | pdf
    mutation: str
    url: str
    content_type: str
    body: bytes


@cache
def seeds() -> tuple[tuple[str, str, bytes], ...]:
    """The sample site's pages and PDFs: (kind, url, bytes)."""
    out = []
    for path in sorted(SITE.rglob("*")):
        if path.suffix not in (".html", ".pdf") or not path.is_file():
            continue
        url = "https://" + str(path.relative_to(SITE))
        out.append(("pdf" if path.suffix == ".pdf" else "html", url, path.read_bytes()))
    return tuple(out)


def _flip(rng: random.Random, body: bytes) -> bytes:
    data = bytearray(body)
    for _ in range(rng.randint(1, 40)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _splice(rng: random.Random, body: bytes) -> bytes:
    if len(body) < 2:
        return body
    a, b = sorted(rng.sample(range(len(body)), 2))
    other = rng.choice(seeds())[2]
    c = rng.randrange(max(len(other) - 1, 1))
    return body[:a] + other[c : c + rng.randint(1, 4000)] + body[b:]


def _html_text(rng: random.Random, body: bytes) -> str:
    return body.decode("utf-8", "replace") if rng.random() < 0.9 else body.decode("latin-1")


def _byte_mutation(rng: random.Random, kind: str, body: bytes) -> bytes:
    """The byte-level mutations shared by pages and PDFs."""
    if kind == "truncate":
        return body[: rng.randrange(len(body) + 1)]
    if kind == "flip":
        return _flip(rng, body)
    return _splice(rng, body)


def _mutate_html(rng: random.Random, body: bytes) -> tuple[str, bytes]:
    kind = rng.choice(
        [
            "truncate",
            "flip",
            "splice",
            "odd_chars",
            "drop_tags",
            "repeat",
            "nest",
            "attr",
            "charset",
            "reencode",
            "empty_ish",
            "random_bytes",
            "mixed",
        ]
    )
    text = _html_text(rng, body)
    if kind in ("truncate", "flip", "splice"):
        return kind, _byte_mutation(rng, kind, body)
    if kind == "odd_chars":
        chars = list(text)
        for _ in range(rng.randint(1, 60)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(ODD))
        return kind, "".join(chars).encode("utf-8", "surrogatepass")
    if kind == "drop_tags":
        parts = text.split("<")
        keep = [p for p in parts if rng.random() > 0.3]
        return kind, "<".join(keep).encode("utf-8")
    if kind == "repeat":
        i = rng.randrange(len(text) + 1)
        chunk = text[i : i + rng.randint(1, 2000)]
        return kind, (text[:i] + chunk * rng.randint(2, 60) + text[i:]).encode("utf-8")
    if kind == "nest":
        tag = rng.choice(TAGS[:8])
        depth = rng.choice([50, 300, 3000])
        closing = f"</{tag}>" * rng.randint(0, depth)
        inner = f"<{tag}>" * depth + "公益" * rng.randint(0, 200) + closing
        i = text.find("<body")
        i = i if i >= 0 else rng.randrange(len(text) + 1)
        return kind, (text[:i] + inner + text[i:]).encode("utf-8")
    if kind == "attr":
        attr = f' data-x="{"x" * rng.choice([10, 10_000, 200_000])}" title=\'"<>\''
        return kind, text.replace("<p", "<p" + attr, rng.randint(1, 5)).encode("utf-8")
    if kind == "charset":
        meta = f'<meta charset="{rng.choice(CHARSETS)}">'
        return kind, (meta + text).encode("utf-8")
    if kind == "reencode":
        enc = rng.choice(["gb18030", "big5", "utf-16", "utf-16-le", "latin-1", "cp1252"])
        return kind, text.encode(enc, "replace")
    if kind == "empty_ish":
        return kind, rng.choice([b"", b" ", b"<html></html>", b"<", b"\xef\xbb\xbf", b"\x00" * 9])
    if kind == "random_bytes":
        return kind, bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000)))
    return kind, _flip(rng, _splice(rng, body[: rng.randrange(len(body) + 1)]))


def _mutate_pdf(rng: random.Random, body: bytes) -> tuple[str, bytes]:
    kind = rng.choice(
        ["truncate", "flip", "splice", "xref", "objects", "streams", "header", "mixed"]
    )
    if kind in ("truncate", "flip", "splice"):
        return kind, _byte_mutation(rng, kind, body)
    if kind == "xref":
        i = body.rfind(b"startxref")
        return kind, body[:i] + b"startxref\n" + str(rng.randrange(10**7)).encode() + b"\n%%EOF"
    if kind == "objects":
        data = body
        for _ in range(rng.randint(1, 10)):
            tok = rng.choice([b" 0 R", b"/Length", b"/Type", b"/Pages", b"/Kids", b"obj"])
            repl = rng.choice([b" 99999 0 R", b"/Length -1", b"", b"/Kids [1 0 R 1 0 R]", b"<<"])
            data = data.replace(tok, repl, 1)
        return kind, data
    if kind == "streams":
        i = body.find(b"stream")
        j = body.find(b"endstream", i)
        if i < 0 or j < 0:
            return kind, body
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(0, j - i)))
        return kind, body[: i + 7] + junk + body[j:]
    if kind == "header":
        return kind, rng.choice([b"%PDF-1.4\n", b"%PDF-", b"%PDF-9.9\n%%EOF"]) + body[
            rng.randrange(len(body)) :
        ]
    return kind, _flip(rng, _splice(rng, body))


def inputs(n: int, seed: int = 0) -> Iterator[FuzzInput]:
    """`n` mutated pages and PDFs (about a quarter PDFs); deterministic for a seed."""
    rng = random.Random(seed)
    pool = seeds()
    pdfs = [s for s in pool if s[0] == "pdf"]
    htmls = [s for s in pool if s[0] == "html"]
    for i in range(n):
        kind, url, body = rng.choice(pdfs) if rng.random() < 0.25 else rng.choice(htmls)
        if kind == "pdf":
            mutation, data = _mutate_pdf(rng, body)
            ctype = rng.choice(["application/pdf", "application/octet-stream"])
        else:
            mutation, data = _mutate_html(rng, body)
            ctype = rng.choice(["text/html", "text/html; charset=gbk", "text/html; charset=x"])
        yield FuzzInput(kind, mutation, f"{url}?fuzz={i}", ctype, data)


def run_one(item: FuzzInput) -> Any:
    """The crawl's item pipelines on one input: a Document or a CrawlError, or it raises."""
    page = Page(
        url=item.url,
        source="fuzz",
        outlet="Fuzz",
        doc_type="report" if item.kind == "pdf" else "article",
        status=200,
        content_type=item.content_type,
        body=item.body,
        fetched_at="2024-01-01T00:00:00+00:00",
        hint_date=None,
        hint_title=None,
    )
    return archive.process(page)


def fuzz(n: int, seed: int = 0) -> dict[str, Any]:
    """Run `n` inputs; counts of outcomes per kind, and every crash with its traceback."""
    outcomes: Counter[str] = Counter()
    crashes: list[dict[str, str]] = []
    slowest = (0.0, "")
    started = time.perf_counter()
    for i, item in enumerate(inputs(n, seed)):
        t = time.perf_counter()
        try:
            result = run_one(item)
        except Exception as exc:  # noqa: BLE001 - a crash is what we are looking for
            crashes.append(
                {
                    "index": str(i),
                    "kind": item.kind,
                    "mutation": item.mutation,
                    "error": f"{type(exc).__name__}: {exc}"[:300],
                    "traceback": traceback.format_exc(limit=-4),
                }
            )
            outcomes[f"{item.kind}:crash"] += 1
            continue
        took = time.perf_counter() - t
        if took > slowest[0]:
            slowest = (took, f"{i} {item.kind}/{item.mutation}")
        if isinstance(result, Document):
            outcomes[f"{item.kind}:document"] += 1
        elif isinstance(result, CrawlError):
            outcomes[f"{item.kind}:error:{result.stage}"] += 1
        else:
            crashes.append({"index": str(i), "error": f"unexpected result {type(result)}"})
    return {
        "inputs": n,
        "seed": seed,
        "crashes": len(crashes),
        "outcomes": dict(sorted(outcomes.items())),
        "slowest_input_s": round(slowest[0], 3),
        "slowest_input": slowest[1],
        "elapsed_s": round(time.perf_counter() - started, 1),
        "crash_details": crashes[:20],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from benchmarks.common import save

    result = fuzz(args.inputs, args.seed)
    path = save("fuzz", result)
    print(f"{path}: {result['inputs']} inputs, {result['crashes']} crashes, {result['outcomes']}")
    if result["crashes"]:
        for crash in result["crash_details"][:5]:
            print(crash.get("traceback") or crash["error"], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
