"""Name variants of one organization grouped together: 恒信慈善基金会, 恒信基金会 and Hengxin
Charitable Foundation; 明德公益基金会, Mingde Foundation and a stray 者明德公益基金会. The name
parts (heads, qualifiers that may be left out, particles a span may take in by mistake) are data,
in models/data/variants.yaml, with examples; see its header for how names are read."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pypinyin import lazy_pinyin

from qun.models.textutil import simplify

RULES = Path(__file__).with_name("data") / "variants.yaml"


class VariantRulesError(ValueError):
    """variants.yaml is malformed; the message says where."""


@dataclass(frozen=True)
class Rules:
    zh_heads: tuple[tuple[str, str], ...]  # (suffix, head id), longest first
    en_heads: tuple[tuple[tuple[str, ...], str], ...]  # (tokens, head id), longest first
    zh_qualifiers: tuple[str, ...]
    en_qualifiers: frozenset[str]
    particles: frozenset[str]
    same: tuple[tuple[str, str], ...]
    different: tuple[tuple[str, str], ...]


@functools.cache
def load_rules(path: Path = RULES) -> Rules:
    data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    zh_heads, en_heads, ids = [], [], set()
    for i, head in enumerate(data.get("heads") or []):
        hid = head.get("id") if isinstance(head, dict) else None
        if not hid or hid in ids:
            raise VariantRulesError(f"{path}: head #{i + 1} needs a unique id")
        ids.add(hid)
        zh_heads += [(str(s), hid) for s in head.get("zh") or []]
        en_heads += [(tuple(str(s).lower().split()), hid) for s in head.get("en") or []]
        if not head.get("zh") and not head.get("en"):
            raise VariantRulesError(f"{path}: head {hid!r} has no zh or en forms")
    examples = data.get("examples") or {}
    pairs = {}
    for kind in ("same", "different"):
        rows = examples.get(kind) or []
        if not all(isinstance(r, list) and len(r) == 2 for r in rows):
            raise VariantRulesError(f"{path}: examples.{kind} must be pairs of names")
        pairs[kind] = tuple((str(a), str(b)) for a, b in rows)
    qualifiers = data.get("qualifiers") or {}
    return Rules(
        tuple(sorted(zh_heads, key=lambda h: -len(h[0]))),
        tuple(sorted(en_heads, key=lambda h: -len(h[0]))),
        tuple(sorted((str(q) for q in qualifiers.get("zh") or []), key=len, reverse=True)),
        frozenset(str(q).lower() for q in qualifiers.get("en") or []),
        frozenset(str(p) for p in data.get("particles") or []),
        pairs["same"],
        pairs["different"],
    )


_CJK = re.compile(r"[\u3400-\u9fff]")
_NOISE = re.compile(r"[\s\"'“”‘’「」『』《》()（）·・.,，]+")


@dataclass(frozen=True)
class Parsed:
    script: str  # "zh" or "en"
    head: str | None  # head id, None when the name has no head
    core: str  # characters (zh) or letters (en) that tell this body apart
    qualifier: str  # the qualifier between core and head (慈善, charitable), or ""
    particle: str  # a particle character before the core (者), kept in `core` too

    @property
    def sound(self) -> str:
        """The core as it reads: lowercase pinyin (zh) or letters (en)."""
        return "".join(lazy_pinyin(self.core)).lower() if self.script == "zh" else self.core


def parse(name: str, rules: Rules | None = None) -> Parsed | None:
    """The parts of one name, or None when nothing distinctive is left."""
    rules = rules or load_rules()
    text = simplify(name).strip()
    if _CJK.search(text):
        text = _NOISE.sub("", text)
        head = None
        for suffix, hid in rules.zh_heads:
            if text.endswith(suffix) and len(text) > len(suffix):
                text, head = text[: -len(suffix)], hid
                break
        qualifier = ""
        for q in rules.zh_qualifiers:
            if text.endswith(q) and len(text) - len(q) >= 2:
                text, qualifier = text[: -len(q)], q
                break
        if not text:
            return None
        particle = text[0] if len(text) >= 3 and text[0] in rules.particles else ""
        return Parsed("zh", head, text, qualifier, particle)
    words = [w for w in re.split(r"[^a-z0-9&]+", text.lower()) if w]
    if words and words[0] == "the":
        words = words[1:]
    head = None
    for tokens, hid in rules.en_heads:
        if len(words) > len(tokens) and tuple(words[-len(tokens) :]) == tokens:
            words, head = words[: -len(tokens)], hid
            break
    qualifier = ""
    if len(words) > 1 and words[-1] in rules.en_qualifiers:
        words, qualifier = words[:-1], words[-1]
    if not words:
        return None
    return Parsed("en", head, "".join(words), qualifier, "")


class _Groups:
    """Union-find over ids; two groups that each hold a `fixed` id are never joined."""

    def __init__(self, ids: Iterable[str], fixed: Iterable[str] = ()) -> None:
        self.parent = {i: i for i in ids}
        self.fixed = set(fixed) & set(self.parent)

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb or (ra in self.fixed and rb in self.fixed):
            return
        self.parent[rb] = ra
        if rb in self.fixed:
            self.fixed.add(ra)


def group(
    names: Iterable[tuple[str, str, int]],
    rules: Rules | None = None,
    distinct: Iterable[str] = (),
) -> dict[str, str]:
    """{id: group id} for (id, name, weight) items: the ids of one organization's variants
    share the group id of their heaviest member (ties: the first given). Ids in `distinct` are
    known to be different organizations (the gazetteer's): no group holds two of them."""
    rules = rules or load_rules()
    items = list(names)
    distinct = list(distinct)
    groups = _Groups((i for i, _, _ in items), distinct)
    parsed = {i: p for i, n, _ in items if (p := parse(n, rules)) is not None}
    Key = tuple[str, str | None, str]
    # a particle before the core is a span error when the rest is the core of another name
    cores = {(p.script, p.head, p.core) for p in parsed.values()}
    for i, p in parsed.items():
        if p.particle and (p.script, p.head, p.core[1:]) in cores:
            parsed[i] = Parsed(p.script, p.head, p.core[1:], p.qualifier, "")
    # one name, one key: same kind, core and qualifier
    exact: dict[tuple[Key, str], list[str]] = defaultdict(list)
    for i, p in parsed.items():
        exact[(p.script, p.head, p.core), p.qualifier].append(i)
    for members in exact.values():
        for other in members[1:]:
            groups.union(members[0], other)
    # a qualifier left out: the bare name joins the one qualified form seen with its core
    qualified: dict[Key, list[str]] = defaultdict(list)
    for (key, qualifier), members in exact.items():
        if qualifier:
            qualified[key].append(members[0])
    for (key, qualifier), members in exact.items():
        if not qualifier and len(qualified.get(key, ())) == 1:
            groups.union(qualified[key][0], members[0])
    # an English name joins the one Chinese group of its kind whose core sounds the same; a
    # name without a head joins the one headed group whose core it is (in either script)
    sounds: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    for i, p in parsed.items():
        if p.script == "zh" and p.head is not None:
            sounds[p.head, p.sound].add(groups.find(i))
    for i, p in parsed.items():
        if p.script == "en" and p.head is not None:
            found = {groups.find(g) for g in sounds.get((p.head, p.core), ())}
            if len(found) == 1:
                groups.union(found.pop(), i)
    headed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for i, p in parsed.items():
        if p.head is not None:
            headed[p.script, p.core].add(i)
            if p.script == "zh":
                headed["en", p.sound].add(i)
    for i, p in parsed.items():
        if p.head is None:
            found = {groups.find(g) for g in headed.get((p.script, p.core), ())}
            if len(found) == 1:
                groups.union(found.pop(), i)
    known = set(distinct)
    rank = {i: (i in known, w, -k) for k, (i, _, w) in enumerate(items)}
    best: dict[str, str] = {}
    for i in groups.parent:
        root = groups.find(i)
        held = best.get(root)
        if held is None or rank[i] > rank[held]:
            best[root] = i
    return {i: best[groups.find(i)] for i in groups.parent}


def name_groups(rows: list[dict[str, Any]]) -> dict[str, str]:
    """{org_id: group org_id} for organization rows (`org_id`, `canonical`, `mentions`,
    `in_gazetteer`): what the pipeline gives the datasets layer to fold name variants together.
    Gazetteer organizations are told apart already, so no two share a group."""
    return group(
        ((r["org_id"], r["canonical"] or r["org_id"], int(r["mentions"] or 0)) for r in rows),
        distinct=[r["org_id"] for r in rows if r.get("in_gazetteer")],
    )
