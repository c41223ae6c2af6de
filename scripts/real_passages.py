"""Gather annotated passages written from real pages into models/data/relations_real/.

    python scripts/real_passages.py IN.jsonl [IN.jsonl ...]

Each input line is one passage (text, organizations, funding, partnerships, concepts, and its
source page: outlet, domain, title, url). Passages are checked (qun.models.evaluate.
check_passage), duplicates of a text dropped, and each outlet is put whole into one split. An
outlet is a group of passages linked by their host's registrable domain or by the outlet name
(so an article reprinted on a mirror host stays with its outlet); the group goes to
real-heldout when the first byte of md5 of its smallest key is below 102 (about 40% of
outlets), else to real-train, so no held-out outlet is seen in training. Passages are
renumbered per language and written to <lang>.jsonl, replacing what was there.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qun.models.concepts import load_lexicon  # noqa: E402
from qun.models.evaluate import RELATIONS_REAL, check_passage, outlet_of  # noqa: E402

HELDOUT_BELOW = 102  # of 256: the share of outlets held out


def split_of(outlet: str) -> str:
    first = hashlib.md5(outlet.encode("utf-8")).digest()[0]
    return "real-heldout" if first < HELDOUT_BELOW else "real-train"


def _outlet_name(name: str) -> str:
    return re.sub(r"[\s《》“”\"'（）()]|网站$|官网$", "", name).casefold()


def assign_splits(rows: list[dict]) -> None:
    """Set each passage's split: linked domains and outlet names share one."""
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    keys = []
    for r in rows:
        ks = [f"d:{r['source']['domain']}"]
        name = _outlet_name(r["source"].get("outlet") or "")
        if name:
            ks.append(f"o:{name}")
        for k in ks[1:]:
            a, b = find(ks[0]), find(k)
            if a != b:
                parent[max(a, b)] = min(a, b)
        keys.append(ks[0])
    for r, k in zip(rows, keys, strict=True):
        r["split"] = split_of(find(k))


def main(paths: list[str]) -> int:
    concept_ids = {c.id for c in load_lexicon()}
    by_lang: dict[str, list[dict]] = defaultdict(list)
    seen: set[str] = set()
    dropped: Counter[str] = Counter()
    for path in paths:
        for n, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except ValueError:
                dropped["not JSON"] += 1
                continue
            src = r.get("source") or {}
            domain = src.get("domain") or src.get("url") or ""
            r["source"] = {**src, "domain": outlet_of(domain)}
            r["split"] = "real-train"  # set by assign_splits once every passage is read
            problems = check_passage(r, concept_ids)
            if problems:
                print(f"{path}:{n}: dropped: {'; '.join(problems)}", file=sys.stderr)
                dropped["failed a check"] += 1
                continue
            if r["text"] in seen:
                dropped["duplicate text"] += 1
                continue
            seen.add(r["text"])
            by_lang[r.get("lang") or "zh_hans"].append(r)
    assign_splits([r for rows in by_lang.values() for r in rows])
    RELATIONS_REAL.mkdir(parents=True, exist_ok=True)
    keys = ["id", "split", "lang", "style", "text", "organizations", "funding", "partnerships"]
    keys += ["concepts", "source"]
    for lang, rows in sorted(by_lang.items()):
        rows.sort(key=lambda r: (r["source"]["domain"], r["source"]["url"], r["text"]))
        with (RELATIONS_REAL / f"{lang}.jsonl").open("w", encoding="utf-8") as fh:
            for i, r in enumerate(rows, 1):
                r = {**r, "id": f"real-{lang}-{i:04d}", "lang": lang}
                fh.write(json.dumps({k: r.get(k) for k in keys}, ensure_ascii=False) + "\n")
    rows = [r for rs in by_lang.values() for r in rs]
    outlets = {
        s: {r["source"]["domain"] for r in rows if r["split"] == s}
        for s in ("real-train", "real-heldout")
    }
    for s, found in outlets.items():
        n = sum(r["split"] == s for r in rows)
        print(f"{s}: {n} passages from {len(found)} outlets")
    print(f"dropped: {dict(dropped)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
