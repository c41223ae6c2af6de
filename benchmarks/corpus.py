"""A large synthetic corpus for the scale benchmarks, written as the `documents` dataset.

Documents are built from varied sentence templates (simplified and traditional Chinese and
English: funding, partnerships, collective-impact concepts, budgets that are not funding, and
filler) filled with organizations of the gazetteer, mixed with sentences of the sample site's
written content (`spiders/sample_site/src/*.json`). The same size and seed always give the same
corpus. `qun extract --documents`, `qun trends` and the flows run on it unchanged:

    .venv/bin/python benchmarks/corpus.py --docs 10000 --data-dir /tmp/corpus
    .venv/bin/qun extract --documents --data-dir /tmp/corpus
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import random
import re
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa  # noqa: E402

from qun.datasets import documents, store  # noqa: E402
from qun.models.textutil import simplify, traditional  # noqa: E402
from qun.spiders import fingerprint  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SRC = ROOT / "spiders" / "sample_site" / "src"
GAZETTEER = ROOT / "models" / "data" / "gazetteer.tsv"

# source id -> (outlet, language of its documents, doc type, share of the corpus)
SOURCES: dict[str, tuple[str, str, str, float]] = {
    "bench-observer": ("公益观察", "zh-Hans", "article", 0.40),
    "bench-foundation": ("明德公益基金会", "zh-Hans", "report", 0.15),
    "bench-civic": ("公民社會報", "zh-Hant", "article", 0.20),
    "bench-review": ("China Philanthropy Review", "en", "article", 0.25),
}
REPRINT_SHARE = 0.03  # documents that reprint an earlier one word for word (转载)

ZH_TEMPLATES: dict[str, list[str]] = {
    "funding": [
        "{a}向{b}捐赠{amount}，用于{cause}。",
        "{a}宣布出资{amount}支持{b}开展{cause}项目。",
        "{b}获得{a}资助{amount}，将在三年内用于{cause}。",
        "记者从{a}获悉，该会已向{b}拨付善款{amount}。",
        "{a}与{b}签约，承诺在五年内投入{amount}用于{cause}。",
        "据悉，{a}本年度共向{b}等机构提供资助{amount}。",
    ],
    "partnership": [
        "{a}与{b}签署战略合作协议，共同推进{cause}。",
        "{a}和{b}联合主办了{place}{cause}论坛。",
        "由{a}发起、{b}参与的{cause}联盟在{place}成立。",
        "{a}携手{b}在{place}开展{cause}试点。",
        "{a}委托{b}承接{place}的{cause}服务。",
    ],
    "concept": [
        "与会者认为，{concept}的关键在于各方形成{concept2}。",
        "{a}负责人表示，{place}的{cause}实践借鉴了{concept}的思路。",
        "报告指出，{concept}需要一个{concept2}来协调各方。",
        "{a}在年度报告中把{concept}列为下一阶段的工作重点。",
        "专家提醒，{concept}并不是简单的项目合作，而是需要{concept2}。",
    ],
    "budget": [
        "{a}今年的运营预算约为{amount}，其中人员开支占三成。",
        "{place}去年公益支出总额达{amount}，同比增长一成。",
        "{a}表示，{cause}项目的资金缺口仍有{amount}。",
        "据统计，{place}社会组织的平均年收入不足{amount}。",
    ],
    "filler": [
        "活动当天，来自{place}的数十家社会组织代表参加了交流。",
        "{a}相关负责人介绍了过去一年的工作进展。",
        "不少一线工作者坦言，{cause}仍面临人手不足的问题。",
        "业内人士指出，行业透明度近年有明显提升。",
        "会议还讨论了志愿者激励和项目评估等议题。",
        "{place}民政部门表示将继续优化社会组织登记服务。",
        "受访者普遍认为，公众对公益行业的信任正在恢复。",
        "项目团队计划在明年扩大服务范围，覆盖更多社区。",
    ],
}
EN_TEMPLATES: dict[str, list[str]] = {
    "funding": [
        "{a} donated {amount} to {b} for {cause}.",
        "{b} received a grant of {amount} from {a} to expand its work on {cause}.",
        "{a} has committed {amount} over five years to {b}.",
        "The {amount} gift from {a} will allow {b} to hire staff for {cause}.",
    ],
    "partnership": [
        "{a} and {b} signed a memorandum of understanding on {cause}.",
        "{a} partnered with {b} to launch a {cause} pilot in {place}.",
        "{a} co-organized a forum on {cause} with {b} in {place}.",
        "{a} commissioned {b} to run community services in {place}.",
    ],
    "concept": [
        "Speakers argued that {concept} depends on a {concept2}.",
        "{a} said its work in {place} draws on the idea of {concept}.",
        "The report calls for {concept} and {concept2} among grantmakers.",
    ],
    "budget": [
        "{a} said its operating budget for the year is about {amount}.",
        "Total charitable spending in {place} reached {amount} last year.",
        "The funding gap for {cause} is still estimated at {amount}.",
    ],
    "filler": [
        "Dozens of community groups from {place} attended the meeting.",
        "Practitioners say that staff turnover remains a serious problem.",
        "Transparency in the sector has improved in recent years, observers note.",
        "The project team plans to reach more neighborhoods next year.",
        "Volunteers and local officials also took part in the discussion.",
    ],
}
ZH_CAUSES = ["乡村教育", "社区养老", "儿童保护", "环境保护", "救灾", "青少年发展", "残障融合"]
EN_CAUSES = ["rural education", "elderly care", "child protection", "disaster relief"]
ZH_PLACES = ["北京", "上海", "广州", "深圳", "成都", "云南", "甘肃", "杭州", "武汉"]
EN_PLACES = ["Beijing", "Shanghai", "Chengdu", "Yunnan", "Gansu", "Shenzhen"]
ZH_CONCEPTS = ["集合影响力", "共同议程", "共享测量", "持续沟通", "骨干组织", "枢纽型社会组织"]
EN_CONCEPTS = [
    "collective impact",
    "a common agenda",
    "shared measurement",
    "continuous communication",
    "backbone organization",
]
# share of sentences by kind, per document
MIX = (("filler", 0.40), ("sample", 0.22), ("funding", 0.12), ("partnership", 0.12))
MIX_REST = (("concept", 0.08), ("budget", 0.06))
SCRIPTS = {"zh-Hans": "Hans", "zh-Hant": "Hant", "en": "Latn"}


@dataclass(frozen=True)
class Pools:
    zh_orgs: list[str]
    en_orgs: list[str]
    zh_sample: list[str]
    en_sample: list[str]


@functools.cache
def pools() -> Pools:
    zh_orgs, en_orgs = [], []
    with GAZETTEER.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["name_zh"]:
                zh_orgs.append(row["name_zh"])
            if row["name_en"]:
                en_orgs.append(row["name_en"])
    zh_sample, en_sample = [], []
    for path in sorted(SAMPLE_SRC.glob("*.json")):
        for doc in json.loads(path.read_text("utf-8")):
            for para in doc.get("paragraphs", []):
                if doc.get("lang") == "en":
                    en_sample += [s for s in re.split(r"(?<=[.!?])\s+", para) if len(s) > 20]
                else:
                    zh_sample += [s for s in re.findall(r"[^。！？]+[。！？]", simplify(para))]
    return Pools(zh_orgs, en_orgs, zh_sample, en_sample)


def _amount(rng: random.Random, lang: str) -> str:
    n = rng.choice([5, 12, 30, 50, 80, 120, 300, 500, 1200, 3000])
    if lang == "en":
        return rng.choice([f"RMB {n} million", f"${n / 10:g} million", f"{n * 10:,} yuan"])
    unit = rng.choice(["万元", "万元", "亿元", "万美元", "万元人民币"])
    approx = rng.choice(["", "", "近", "逾", "约"])
    return f"{approx}{n if unit != '亿元' else n / 100:g}{unit}"


def _sentence(rng: random.Random, lang: str, kind: str, p: Pools) -> str:
    if kind == "sample":
        return rng.choice(p.en_sample if lang == "en" else p.zh_sample)
    en = lang == "en"
    orgs = p.en_orgs if en else p.zh_orgs
    a, b = rng.sample(orgs, 2)
    return rng.choice((EN_TEMPLATES if en else ZH_TEMPLATES)[kind]).format(
        a=a,
        b=b,
        amount=_amount(rng, lang),
        cause=rng.choice(EN_CAUSES if en else ZH_CAUSES),
        place=rng.choice(EN_PLACES if en else ZH_PLACES),
        concept=rng.choice(EN_CONCEPTS if en else ZH_CONCEPTS),
        concept2=rng.choice(EN_CONCEPTS if en else ZH_CONCEPTS),
    )


def document_text(rng: random.Random, lang: str, sentences: int) -> str:
    """One document: paragraphs of sentences drawn by kind (see MIX)."""
    p = pools()
    kinds, weights = zip(*(MIX + MIX_REST), strict=True)
    picked = [
        _sentence(rng, "en" if lang == "en" else "zh", k, p)
        for k in rng.choices(kinds, weights, k=sentences)
    ]
    sep = " " if lang == "en" else ""
    paras, i = [], 0
    while i < len(picked):
        n = rng.randint(2, 5)
        paras.append(sep.join(picked[i : i + n]))
        i += n
    text = "\n".join(paras)
    return traditional(text) if lang == "zh-Hant" else text


def _sources(n: int) -> list[str]:
    """Source of each document, in the shares of SOURCES (exact and deterministic)."""
    out: list[str] = []
    ids = list(SOURCES)
    for sid in ids[:-1]:
        out += [sid] * round(n * SOURCES[sid][3])
    out += [ids[-1]] * (n - len(out))
    return out


def _url(i: int, source: str) -> str:
    return f"https://{source}.bench.invalid/articles/{i:07d}.html"


def generate(n: int, seed: int = 0, mean_sentences: int = 20) -> Iterator[dict[str, Any]]:
    """`n` document rows of the `documents` schema, the same for the same `n` and `seed`.
    Sources come in blocks (see SOURCES); about REPRINT_SHARE of the documents reprint a recent
    one of the same language word for word and point to it with duplicate_of."""
    rng = random.Random(seed)
    first_day = date(2011, 1, 1)
    recent: dict[str, deque[tuple[str, str, str]]] = {}  # lang -> (doc_id, title, text)
    for i, source in enumerate(_sources(n)):
        outlet, lang, doc_type, _ = SOURCES[source]
        url = _url(i, source)
        doc_id = fingerprint.doc_id_for(url)
        published = first_day + timedelta(days=rng.randrange(15 * 365))
        pool = recent.setdefault(lang, deque(maxlen=200))
        duplicate_of = None
        if pool and rng.random() < REPRINT_SHARE:
            duplicate_of, title, text = rng.choice(pool)
        else:
            sentences = max(3, round(rng.gauss(mean_sentences, mean_sentences / 3)))
            text = document_text(rng, lang, sentences)
            title = re.split(r"[。，,.]", text, maxsplit=1)[0][:40]
            pool.append((doc_id, title, text))
        simplified = simplify(text) if lang == "zh-Hant" else text
        yield {
            "doc_id": doc_id,
            "url": url,
            "canonical_url": url,
            "source": source,
            "outlet": outlet,
            "doc_type": doc_type,
            "title": title,
            "author": None,
            "published_at": published,
            "date_source": "meta",
            "fetched_at": None,
            "lang": lang,
            "script": SCRIPTS[lang],
            "text": text,
            "text_simplified": simplified,
            "encoding": "utf-8",
            "content_hash": fingerprint.content_hash(text),
            "simhash": fingerprint.simhash(simplified),
            "duplicate_of": duplicate_of,
            "n_pages": None,
            "flags": [],
            "etag": None,
            "last_modified": None,
            "warc_file": None,
            "warc_offset": None,
        }


def build(data_dir: Path | str, n: int, seed: int = 0, batch: int = 2000) -> dict[str, Any]:
    """Write `n` generated documents as the `documents` dataset of `data_dir` (replacing it)."""
    started = time.perf_counter()
    parts: dict[str, list[pa.Table]] = {}
    rows: list[dict[str, Any]] = []
    chars = 0

    def flush() -> None:
        if rows:
            table = pa.Table.from_pylist(rows, schema=documents.SCHEMA)
            parts.setdefault(rows[0]["source"], []).append(table)
            rows.clear()

    current = None
    for row in generate(n, seed):
        if row["source"] != current or len(rows) >= batch:
            flush()
            if row["source"] != current and current is not None:
                store.write(documents.SPEC, data_dir, pa.concat_tables(parts.pop(current)))
            current = row["source"]
        rows.append(row)
        chars += len(row["text"])
    flush()
    if current is not None:
        store.write(documents.SPEC, data_dir, pa.concat_tables(parts.pop(current)))
    return {
        "documents": n,
        "seed": seed,
        "chars": chars,
        "build_s": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", required=True, help="where the documents dataset goes")
    args = parser.parse_args()
    info = build(args.data_dir, args.docs, args.seed)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
