"""Gather annotated passages written from real pages into models/data/relations_real/.

    python scripts/real_passages.py [--add] IN.jsonl [IN.jsonl ...]
    python scripts/real_passages.py --wait NAME IN.jsonl [IN.jsonl ...]

Each input line is one passage (text, organizations, funding, partnerships, concepts, and its
source page: outlet, domain, title, url). Passages are checked (qun.models.evaluate.
check_passage), duplicates of a text dropped, and each outlet is put whole into one split. An
outlet is a group of passages linked by their host's registrable domain or by the outlet name
(so an article reprinted on a mirror host stays with its outlet); the group goes to
real-heldout when the first byte of md5 of its smallest key is below 102 (about 40% of
outlets), else to real-train, so no held-out outlet is seen in training. Passages are
renumbered per language and written to <lang>.jsonl, replacing what was there. With --add,
the passages there keep their ids and splits (models trained on real-train stay fair) and the
new ones are numbered after them; a new passage whose outlet already has a split takes it.
With --wait, the passages go to models/data/relations_real_pending/NAME.jsonl instead, each
with the split its outlet takes: the relation component trains on those of real-train outlets,
and those of held-out outlets are the waiting-heldout evaluation.
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
from qun.models.evaluate import (  # noqa: E402
    RELATIONS_REAL,
    RELATIONS_REAL_PENDING,
    check_passage,
    load_real_passages,
    outlet_of,
)

HELDOUT_BELOW = 102  # of 256: the share of outlets held out


def split_of(outlet: str) -> str:
    first = hashlib.md5(outlet.encode("utf-8")).digest()[0]
    return "real-heldout" if first < HELDOUT_BELOW else "real-train"


def _outlet_name(name: str) -> str:
    return re.sub(r"[\s《》“”\"'（）()]|网站$|官网$", "", name).casefold()


def _keys(r: dict) -> list[str]:
    keys = [f"d:{r['source']['domain']}"]
    name = _outlet_name(r["source"].get("outlet") or "")
    return keys + [f"o:{name}"] if name else keys


def assign_splits(rows: list[dict], existing: list[dict] = ()) -> list[dict]:
    """Set each new passage's split. Passages linked by a domain or an outlet name are one
    outlet; an outlet that `existing` passages (whose splits stay) already have keeps its
    split, a new one goes by the hash of its key. A new passage that would join outlets of both
    splits is returned (and left out)."""
    parent: dict[str, str] = {}
    split_of_root: dict[str, str] = {}

    def find(k: str) -> str:
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def join(keys: list[str]) -> str:
        root = find(keys[0])
        for k in keys[1:]:
            other = find(k)
            if other != root:
                low, high = min(root, other), max(root, other)
                parent[high] = low
                if high in split_of_root:
                    split_of_root.setdefault(low, split_of_root.pop(high))
                root = low
        return root

    for r in existing:
        split_of_root[join(_keys(r))] = r["split"]
    left_out, placed = [], []
    for r in rows:
        known = {split_of_root[find(k)] for k in _keys(r) if find(k) in split_of_root}
        if len(known) > 1:
            left_out.append(r)
            continue
        root = join(_keys(r))
        if known:
            split_of_root[root] = known.pop()
        placed.append((r, root))
    for r, root in placed:  # new outlets: by the hash of their final key
        root = find(root)
        r["split"] = split_of_root.get(root) or split_of(root)
    return left_out


def _read(paths: list[str], seen: set[str], dropped: Counter[str]) -> list[dict]:
    """The passages of the input files that pass the checks, each once, domains made outlets."""
    concept_ids = {c.id for c in load_lexicon()}
    rows = []
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
            rows.append(r)
    return rows


KEYS = ["id", "split", "lang", "style", "text", "organizations", "funding", "partnerships"]
KEYS += ["concepts", "source"]


def _line(r: dict) -> str:
    return json.dumps({k: r.get(k) for k in KEYS}, ensure_ascii=False) + "\n"


def _same_splits(existing: list[dict], waiting: list[dict], extra: dict | None = None) -> bool:
    """Whether assigning every waiting passage (and `extra`, with its split) at once, as the
    tests do, gives each the split it carries."""
    rows = waiting + ([extra] if extra is not None else [])
    again = [{k: v for k, v in r.items() if k != "split"} for r in rows]
    return not assign_splits(again, existing) and [r["split"] for r in again] == [
        r["split"] for r in rows
    ]


def wait(name: str, paths: list[str]) -> int:
    """Write the passages of `paths` to the waiting folder as NAME.jsonl, each with the split
    its outlet takes (assigned with the waiting passages already there, against the
    passages of RELATIONS_REAL), numbered NAME-0001 …"""
    existing = load_real_passages()
    waiting = load_real_passages(None, RELATIONS_REAL_PENDING)
    out = RELATIONS_REAL_PENDING / f"{name}.jsonl"
    if out.exists():
        raise SystemExit(f"{out} exists: choose another name")
    dropped: Counter[str] = Counter()
    new = _read(paths, {r["text"] for r in existing + waiting}, dropped)
    # a passage of an outlet that already waits takes its split, unless it would change the
    # outlet's key (and so perhaps its split): then it is left out
    waiting_keys = {k for r in waiting for k in _keys(r)}
    linked = [r for r in new if waiting_keys & set(_keys(r))]
    new = [r for r in new if not any(r is x for x in linked)]
    left_out = assign_splits(new, existing)
    new = [r for r in new if not any(r is x for x in left_out)]
    dropped["joins outlets of both splits"] += len(left_out)
    for r in linked:
        if not assign_splits([r], existing + waiting) and _same_splits(existing, waiting + new, r):
            new.append(r)
        else:
            dropped["would change a waiting outlet's key"] += 1
    if not _same_splits(existing, waiting + new):
        raise SystemExit("the new passages would move waiting passages to another split")
    new.sort(key=lambda r: (r["source"]["domain"], r["source"]["url"], r["text"]))
    with out.open("w", encoding="utf-8") as fh:
        for i, r in enumerate(new, 1):
            fh.write(_line({**r, "id": f"{name}-{i:04d}"}))
    for s in ("real-train", "real-heldout"):
        found = [r for r in new if r["split"] == s]
        outlets = {r["source"]["domain"] for r in found}
        print(f"{s}: {len(found)} passages from {len(outlets)} outlets")
    print(f"wrote {out}; dropped: {dict(dropped)}")
    return 0


def main(args: list[str]) -> int:
    if args[:1] == ["--wait"]:
        return wait(args[1], args[2:])
    add = "--add" in args  # keep the passages there (ids and splits), add these
    paths = [a for a in args if a != "--add"]
    existing = load_real_passages() if add else []
    by_lang: dict[str, list[dict]] = defaultdict(list)
    dropped: Counter[str] = Counter()
    for r in _read(paths, {r["text"] for r in existing}, dropped):
        by_lang[r.get("lang") or "zh_hans"].append(r)
    new = [r for rows in by_lang.values() for r in rows]
    left_out = assign_splits(new, existing)
    dropped["joins outlets of both splits"] += len(left_out)
    for lang in by_lang:
        by_lang[lang] = [r for r in by_lang[lang] if not any(r is x for x in left_out)]
    RELATIONS_REAL.mkdir(parents=True, exist_ok=True)
    for lang, rows in sorted(by_lang.items()):
        rows.sort(key=lambda r: (r["source"]["domain"], r["source"]["url"], r["text"]))
        kept = [r for r in existing if r["lang"] == lang]
        start = len(kept)
        path = RELATIONS_REAL / f"{lang}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for r in kept:
                fh.write(_line(r))
            for i, r in enumerate(rows, start + 1):
                r = {**r, "id": f"real-{lang}-{i:04d}", "lang": lang}
                fh.write(_line(r))
    rows = existing + [r for rs in by_lang.values() for r in rs]
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
