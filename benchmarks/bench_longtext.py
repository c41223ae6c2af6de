"""Extraction time of one long document against its length: realistic text (the sample site's
articles run together) and dense sector text (funding, partnership and concept sentences full of
organizations and amounts) at 100 KB, 1 MB and 5 MB of characters, and the pathological inputs
(an amount repeated with no sentence end, a 2,000-entry grant list in one sentence, English over
spaCy's 1,000,000-character limit). Linear cost shows as a flat characters-per-second figure:
`linearity` is the speed at the largest size over the speed at the smallest (1.0 = linear,
0.02 would be quadratic from 100 KB to 5 MB)."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus  # noqa: E402
from benchmarks.common import median, save  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"100KB": 100_000, "1MB": 1_000_000, "5MB": 5_000_000}


def realistic(chars: int) -> str:
    manifest = json.loads((ROOT / "spiders/sample_site/manifest.json").read_text("utf-8"))
    texts = [d["text"] for d in manifest["documents"] if d["lang"] != "en" and d["text"]]
    out, total = [], 0
    while total < chars:
        for t in texts:
            out.append(t)
            total += len(t) + 1
    return "\n".join(out)[:chars]


def dense(chars: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    out, total = [], 0
    while total < chars:
        part = corpus.document_text(rng, "zh", 40)
        out.append(part)
        total += len(part) + 1
    return "\n".join(out)[:chars]


def grant_list(entries: int = 2000) -> str:
    orgs = corpus.pools().zh_orgs
    items = [f"{orgs[i % len(orgs)]}获资助{(i % 50 + 1) * 2}万元" for i in range(entries)]
    return "本年度资助名单如下：" + "；".join(items) + "。"


def english(chars: int = 1_200_000) -> str:
    para = (
        "The Ford Foundation gave 2 million dollars to the Asia Foundation for community "
        "health programs in Yunnan. Local partners met in Kunming to plan shared measurement. "
    )
    return para * (chars // len(para) + 1)


def timed(text: str, repeat: int) -> float:
    from qun.models.extract import document_rows

    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        document_rows(text)
        runs.append(time.perf_counter() - began)
    return median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default=",".join(SIZES), help="of 100KB, 1MB, 5MB")
    args = ap.parse_args()
    from qun.models.extract import WINDOW_CHARS, document_rows

    document_rows("热身：恒信慈善基金会向明德公益基金会捐赠100万元。")  # load models first
    result: dict[str, object] = {"window_chars": WINDOW_CHARS}
    for kind, make in (("realistic", realistic), ("dense", dense)):
        rows = {}
        for label in args.sizes.split(","):
            chars = SIZES[label]
            text = make(chars)
            seconds = timed(text, 3 if chars <= 100_000 else 1)
            rows[label] = {
                "chars": len(text),
                "seconds": seconds,
                "chars_per_second": round(len(text) / seconds),
            }
            print(kind, label, rows[label], flush=True)
        speeds = [r["chars_per_second"] for r in rows.values()]
        result[kind] = {**rows, "linearity": round(speeds[-1] / speeds[0], 2)}
    patho = {
        "amount_x4000": "100万元" * 4000,
        "amount_x10000": "100万元" * 10_000,
        "grant_list_2000": grant_list(2000),
        "english_1_2M": english(),
    }
    result["pathological"] = {}
    for name, text in patho.items():
        result["pathological"][name] = {"chars": len(text), "seconds": timed(text, 1)}
        print(name, result["pathological"][name], flush=True)
    print(save("longtext", result))


if __name__ == "__main__":
    main()
