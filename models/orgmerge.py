"""Which Chinese organization candidates stand: a learned decision instead of a fixed order.

The gazetteer, the rules and the CRF (`models/crf_ner.py`) each propose spans; they agree on
most names and disagree on boundaries (a verb or place swallowed before a name, a name's head
lost) and on what is a name at all. Every distinct span is one candidate, scored by a logistic
regression from:

- where it came from (gazetteer, rule, CRF, and which of them agree on exactly this span);
- the CRF's confidence in it (the mean marginal of its tags) and in a different span that
  overlaps it (covering it or inside it);
- its characters: first, last, last two, the one before and after it, its length, whether it
  starts or ends inside a jieba word (教育部 out of 教育部门), and whether it is a gazetteer
  name, a generic kind (基金会, 地方政府) or holds punctuation.

Gazetteer and rule names stand, except where the CRF reads the same name without the words
before it (本地企业华兴科技有限公司 / 华兴科技有限公司) and scores higher; CRF names in the gaps
stand when they score at or above the threshold, best first, none overlapping. The weights,
bias and threshold are data, in `models/data/orgmerge.json`, written by `qun train org-merge`
(cross-fitted: the CRF that scores a training sentence was not trained on it).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qun.models.crf_ner import word_starts
from qun.models.gazetteer import Gazetteer, resolve

# The mentions are qun.models.orgs.OrgMention; orgs calls this module, so what it needs from
# orgs (making a mention of a span, telling a generic kind) is passed in.
OrgMention = Any

MODEL = Path(__file__).with_name("data") / "orgmerge.json.gz"
THRESHOLD = 0.3  # chosen on the training passages (F1 rises from 0.6 down to 0.3)
# a curated gazetteer name yields to a longer reading only when its own decision finds that
# reading more likely than not (chosen on the 462 waiting passages of real-train outlets)
EXTEND_THRESHOLD = 0.5
_PUNCT = re.compile(r"[\s，。、；：！？“”\"《》（）()「」]")
_BREAK = re.compile(r"[\s，。、；：！？|｜]")  # never inside a rival reading
_LENGTHS = (2, 3, 4, 6, 9, 14)


@dataclass
class Candidate:
    start: int
    end: int
    sources: set[str] = field(default_factory=set)
    probability: float = 0.0  # the CRF's, when it proposed this span
    mention: OrgMention | None = None  # the gazetteer's or the rules' mention of it
    # the gazetteer name this CRF reading starts with and runs past (上海市慈善基金会 of
    # 上海市慈善基金会徐汇区代表处, 民政部 of 民政部社会工作司): it replaces that name if it scores
    extends: OrgMention | None = None


def candidates(
    mentions: Iterable[OrgMention],
    scored: Iterable[tuple[int, int, float | None]],
    starts: set[int] | None = None,
    norm: str | None = None,
) -> tuple[list[OrgMention], list[Candidate]]:
    """The gazetteer's names, which stand as they are (curated names, the same in every text)
    unless they start or end inside a jieba word (`starts`: word_starts; 教育部 in 教育部门),
    and one candidate per other distinct span that overlaps none of them, with every source
    that proposed it. Given the text (`norm`), also each CRF reading that starts with a
    gazetteer name and runs on past it, through no punctuation and no other name (a unit,
    office or fund of that organization), as a candidate that `extends` it."""
    mentions = list(mentions)
    fixed = [
        m
        for m in mentions
        if m.method == "gazetteer" and (starts is None or {m.start, m.end} <= starts)
    ]
    # a unit written right after a known name (招商银行 + 深圳分行) stands with it: the two
    # are read as one name afterwards
    ends = {m.end for m in fixed}
    fixed += [m for m in mentions if m.method == "rule" and m.start in ends]
    scored = list(scored)
    known = bytearray(max([m.end for m in mentions] + [e for _, e, _ in scored] + [0]))
    for m in fixed:
        known[m.start : m.end] = b"\x01" * (m.end - m.start)
    by_span: dict[tuple[int, int], Candidate] = {}
    for m in mentions:
        if not any(known[m.start : m.end]):
            c = by_span.setdefault((m.start, m.end), Candidate(m.start, m.end))
            c.sources.add(m.method)
            c.mention = c.mention or m
    for s, e, p in scored:
        if not any(known[s:e]):
            c = by_span.setdefault((s, e), Candidate(s, e))
            c.sources.add("crf")
            c.probability = max(c.probability, p or 0.0)
    if norm is not None:
        named = bytearray(len(known))  # where a gazetteer or rule candidate stands
        for c in by_span.values():
            if c.mention is not None:
                named[c.start : c.end] = b"\x01" * (c.end - c.start)
        heads = {m.start: m for m in fixed if m.method == "gazetteer"}
        for s, e, p in scored:
            head = heads.get(s)
            if (
                head is None
                or e <= head.end
                or any(known[head.end : e])
                or any(named[head.end : e])
                or _BREAK.search(norm, head.end, e)
            ):
                continue
            c = by_span.setdefault((s, e), Candidate(s, e, extends=head))
            c.sources.add("crf")
            c.probability = max(c.probability, p or 0.0)
    return fixed, sorted(by_span.values(), key=lambda c: (c.start, c.end))


def _length(n: int) -> str:
    return str(next((x for x in _LENGTHS if n <= x), 99))


def features(
    norm: str,
    cand: Candidate,
    others: list[Candidate],
    gaz: Gazetteer,
    starts: set[int],
    generic: Callable[[str], bool],
) -> dict:
    """The candidate's features (name -> value); `starts`: word_starts(norm); `generic`: whether
    a name is a kind of organization rather than a named one."""
    name = norm[cand.start : cand.end]
    f: dict[str, float] = {f"src:{s}": 1.0 for s in cand.sources}
    f["srcs:" + "+".join(sorted(cand.sources))] = 1.0
    if "crf" in cand.sources:
        f["crf_p"] = cand.probability
        f[f"crf_pb:{min(int(cand.probability * 5), 4)}"] = 1.0
    if cand.extends is not None:
        f["extends"] = 1.0
        f["ext_len:" + _length(cand.end - cand.extends.end)] = 1.0
        f["ext_type:" + str(cand.extends.type)] = 1.0
    for o in others:
        if o is cand or o.end <= cand.start or cand.end <= o.start or "crf" not in o.sources:
            continue
        if o.extends is not None:
            continue  # a reading across a gazetteer name is no rival of the names beside it
        if o.start <= cand.start and cand.end <= o.end:
            where = "covers"  # a CRF span around this one
        elif cand.start <= o.start and o.end <= cand.end:
            where = "inside"  # a CRF span within this one
        else:
            where = "crosses"
        if where != "crosses":  # which edge they share: a name extended right or left
            where += "_start" if o.start == cand.start else "_end" if o.end == cand.end else ""
        key = f"crf_other_{where}"
        f[key] = max(f.get(key, 0.0), o.probability)
    if cand.start not in starts:
        f["cut_start"] = 1.0  # 教育部 taken out of 教育部门
    if cand.end not in starts:
        f["cut_end"] = 1.0
    f["len:" + _length(len(name))] = 1.0
    f["first:" + name[:1]] = 1.0
    f["last:" + name[-1:]] = 1.0
    f["last2:" + name[-2:]] = 1.0
    f["prev:" + (norm[cand.start - 1] if cand.start else "^")] = 1.0
    f["next:" + (norm[cand.end] if cand.end < len(norm) else "$")] = 1.0
    hit = resolve(name, gaz)
    if hit is not None and hit[1] in ("exact", "normalized"):
        f["resolved"] = 1.0
    if generic(name):
        f["generic"] = 1.0
    if _PUNCT.search(name):
        f["punct"] = 1.0
    return f


@dataclass(frozen=True)
class Decider:
    weights: dict[str, float]
    bias: float
    threshold: float = THRESHOLD
    extend_threshold: float = EXTEND_THRESHOLD
    # a decision of its own for readings that extend a gazetteer name, fitted on those only
    # (weights, bias), so the decision over the other candidates is not moved by them; None:
    # no reading replaces a gazetteer name
    extend: tuple[dict[str, float], float] | None = None

    def probability(self, feats: dict[str, float]) -> float:
        return _logistic(self.bias, self.weights, feats)

    def extend_probability(self, feats: dict[str, float]) -> float:
        if self.extend is None:
            return 0.0
        return _logistic(self.extend[1], self.extend[0], feats)

    def _score(self, feats: dict[str, float]) -> float:
        return self.extend_probability(feats) if "extends" in feats else self.probability(feats)

    def select(
        self,
        text: str,
        norm: str,
        mentions: list[OrgMention],
        scored: list[tuple[int, int, float | None]],
        gaz: Gazetteer,
        make: Callable[[int, int], OrgMention],
        generic: Callable[[str], bool],
    ) -> list[OrgMention]:
        """The mentions that stand. Gazetteer and rule names stand, except where the CRF reads
        the same name without words before it (本地企业华兴科技有限公司 / 华兴科技有限公司) and
        scores higher, or reads it whole where the rule's name starts inside a word
        (谐社区发展促进会 of 成都市和谐社区发展促进会); CRF names in the gaps stand when they
        score at or above the threshold, best first, none overlapping. `make(start, end)`: a
        mention of a CRF-only span."""
        starts = word_starts(norm)
        fixed, cands = candidates(mentions, scored, starts, norm)
        prob = {id(c): self._score(features(norm, c, cands, gaz, starts, generic)) for c in cands}
        crf_only = [c for c in cands if c.mention is None and c.extends is None]
        taken = bytearray(len(norm))
        # a gazetteer name with its unit (民政部 + 社会工作司): the likeliest reading that scores
        longer: dict[int, Candidate] = {}
        for c in cands:
            if c.extends is not None and prob[id(c)] >= self.extend_threshold:
                held = longer.get(id(c.extends))
                if held is None or prob[id(c)] > prob[id(held)]:
                    longer[id(c.extends)] = c
        kept = []
        for m in fixed:
            ext = longer.get(id(m))
            if ext is None:
                kept.append(m)
            else:
                kept.append(make(ext.start, ext.end))
                taken[ext.start : ext.end] = b"\x01" * (ext.end - ext.start)
        for c in cands:
            if c.mention is None:
                continue
            trim = max(
                (t for t in crf_only if c.start < t.start and t.end == c.end),
                key=lambda t: prob[id(t)],
                default=None,
            )
            # 成都市和谐社区发展促进会: a rule that starts inside a word (谐 of 和谐, split at 和)
            # yields to the CRF's reading of the whole name, when it scores
            grow = max(
                (
                    t
                    for t in crf_only
                    if t.start < c.start
                    and t.end == c.end
                    and c.start not in starts
                    and not any(taken[t.start : c.start])
                ),
                key=lambda t: prob[id(t)],
                default=None,
            )
            # 汕头大学 of 汕头大学教育基金会: a name only the rules propose, scoring under the
            # threshold, yields to a CRF reading across it, without punctuation, that scores at
            # or above it
            rival = c.sources == {"rule"} and any(
                t.start < c.end
                and c.start < t.end
                and prob[id(t)] >= self.threshold
                and not _BREAK.search(norm, t.start, t.end)
                for t in crf_only
            )
            if rival and prob[id(c)] < self.threshold:
                continue
            if trim is not None and prob[id(trim)] > max(prob[id(c)], self.threshold):
                kept.append(make(trim.start, trim.end))
            elif grow is not None and prob[id(grow)] >= self.threshold:
                kept.append(make(grow.start, grow.end))
                taken[grow.start : grow.end] = b"\x01" * (grow.end - grow.start)
            elif c.sources != {"gazetteer"} or prob[id(c)] >= self.threshold:
                kept.append(c.mention)  # a gazetteer name cut out of a word must score
            taken[c.start : c.end] = b"\x01" * (c.end - c.start)
        for c in sorted(crf_only, key=lambda c: (-prob[id(c)], c.start, c.end)):
            if prob[id(c)] >= self.threshold and not any(taken[c.start : c.end]):
                taken[c.start : c.end] = b"\x01" * (c.end - c.start)
                kept.append(make(c.start, c.end))
        return sorted(kept, key=lambda m: m.start)


def _logistic(bias: float, weights: dict[str, float], feats: dict[str, float]) -> float:
    z = bias + sum(weights.get(k, 0.0) * v for k, v in feats.items())
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@functools.cache
def load(path: Path = MODEL) -> Decider | None:
    """The shipped decision, or None when it is not installed (the fixed order applies)."""
    if not Path(path).is_file():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return Decider(
        data["weights"],
        data["bias"],
        data.get("threshold", THRESHOLD),
        data.get("extend_threshold", EXTEND_THRESHOLD),
        (data["extend"]["weights"], data["extend"]["bias"]) if data.get("extend") else None,
    )


def write_gzip(path: Path, raw: bytes) -> None:
    """Compressed without a name or time in the header: the same bytes for the same model."""
    with open(path, "wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as fh:
        fh.write(raw)


# ---- training -----------------------------------------------------------------------------------
def fold(text: str) -> int:
    """Which half of the training sentences a text is in (cross-fitting)."""
    return hashlib.md5(text.encode("utf-8")).digest()[0] & 1


def training_rows(
    examples: Iterable[tuple[str, list[tuple[int, int]], float]],
    crf_paths: tuple[Path, Path],
    propose: Callable[[str, list[tuple[int, int]]], list[OrgMention]],
    generic: Callable[[str], bool],
) -> tuple[list[dict[str, float]], list[int], list[float]]:
    """Candidates of each (simplified text, gold spans, weight) with their features and whether
    they are a gold span; a text of fold k is tagged by the CRF trained on the other fold.
    `propose(text, crf_spans)`: the gazetteer's and the rules' mentions."""
    from qun.models import crf_ner
    from qun.models.gazetteer import load_gazetteer

    gaz = load_gazetteer()
    xs, ys, ws = [], [], []
    for text, gold, weight in examples:
        other = crf_paths[1 - fold(text)]
        scored = crf_ner.recognize(text, other)
        mentions = propose(text, [(s, e) for s, e, _ in scored])
        starts = word_starts(text)
        _, cands = candidates(mentions, scored, starts, text)
        gold_set = set(gold)
        for c in cands:
            xs.append(features(text, c, cands, gaz, starts, generic))
            ys.append(int((c.start, c.end) in gold_set))
            ws.append(weight)
    return xs, ys, ws


def fit(
    xs: list[dict[str, float]], ys: list[int], ws: list[float], path: Path = MODEL, **record: Any
) -> dict[str, Any]:
    """Logistic regressions on the rows, one on the readings that extend a gazetteer name and
    one on all others; writes their weights (features seen twice or more)."""
    rows = [i for i, x in enumerate(xs) if "extends" not in x]
    longer = [i for i, x in enumerate(xs) if "extends" in x]
    bias, weights = _fit([xs[i] for i in rows], [ys[i] for i in rows], [ws[i] for i in rows])
    data: dict[str, Any] = {
        "bias": bias,
        "threshold": THRESHOLD,
        "extend_threshold": EXTEND_THRESHOLD,
        "weights": weights,
        "trained": {"candidates": len(rows), "positives": sum(ys[i] for i in rows), **record},
    }
    if len({ys[i] for i in longer}) == 2:
        e_bias, e_weights = _fit(
            [xs[i] for i in longer], [ys[i] for i in longer], [ws[i] for i in longer]
        )
        data["extend"] = {"bias": e_bias, "weights": e_weights}
        data["trained"]["extending"] = len(longer)
        data["trained"]["extending_positives"] = sum(ys[i] for i in longer)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
    write_gzip(path, raw)
    load.cache_clear()
    return data["trained"]


def _fit(
    xs: list[dict[str, float]], ys: list[int], ws: list[float]
) -> tuple[float, dict[str, float]]:
    from collections import Counter

    from sklearn.feature_extraction import DictVectorizer

    from qun.models.fitting import logistic_regression

    seen = Counter(k for x in xs for k in x)
    xs = [{k: v for k, v in x.items() if seen[k] >= 2} for x in xs]
    vec = DictVectorizer()
    matrix = vec.fit_transform(xs)
    clf = logistic_regression(1.0)  # (bias −4.09 or −4.28 unconverged; the optimum −6.23)
    clf.fit(matrix, ys, sample_weight=ws)
    weights = {
        name: round(float(w), 5)
        for name, w in zip(vec.get_feature_names_out(), clf.coef_[0], strict=True)
        if abs(w) >= 1e-5
    }
    return round(float(clf.intercept_[0]), 5), weights
