"""Funding mentions and partnerships between named organizations, read from single sentences
by rules over the organization and amount mentions they contain.

Funding: the rules accept an amount with a giving trigger (捐赠, 资助, 拨款, donated, granted …) in
its clause or sentence and no budget/total/price/salary cue in its clause; the learned component
(models/relation_model.py) may drop it, or keep one without a trigger when it is sure. Roles
come from the sentence shape: X向Y捐赠, X资助Y, Y获得X…资助, 由X资助, X出资…支持Y,
"X donated … to Y", "Y received … from X"; organizations joined by 与/和/、/and before the
trigger are co-funders.
Partnerships: agreements, co-organizing, joint initiatives, networks and commissioning; every
pair of the organizations taking part. Direction from the organizations' sectors. The cue words
(triggers, money-not-given cues, refusals, partnership words) are data with ids and examples:
models/data/relation_cues.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

from qun.models import cues
from qun.models.amounts import Amount, find_amounts, to_cny
from qun.models.orgs import OrgMention, find_orgs
from qun.models.relation_model import DEFAULT, in_aside, load_model
from qun.models.textutil import sentences, simplify

# the cue words are data (models/data/relation_cues.yaml, checked on load by models/cues.py)
FUNDING_TRIGGERS = [(c.id, c.pattern) for c in cues.shipped()["funding_triggers"]]
_TRIGGER = re.compile("|".join(f"(?P<{k}>{p})" for k, p in FUNDING_TRIGGERS), re.I)
# budget, price, money raised or needed, totals: no money given in that clause
_NEGATIVE = re.compile(cues.alternation("money_not_given"), re.I)
# Money asked for and not given: no funding in that sentence, whatever else it says.
_VETO = re.compile(cues.alternation("refused"), re.I)
# a price per person right after the amount ("paid US$1,500 each to attend", 每人200元)
_PER_HEAD = re.compile(cues.alternation("per_head"), re.I)
# totals (累计拨款, 总额), which count when the sentence names who gives or who receives
_SOFT_TOTAL = re.compile(
    "|".join(
        c.pattern for c in cues.shipped()["money_not_given"] if c.id in ("total_amount", "sum")
    )
)
_CLAUSE = re.compile(r"[，；;：:]|,(?!\d{3})")  # not the thousands comma of 450,000
_PASSIVE = re.compile(
    r"获得|获(?!胜|悉)|接受|接收|收到|得到|received|receives|receiving|won|secured", re.I
)
_JOIN = re.compile(
    r"^\s*(?:[（(][^）)]{0,30}[）)])?\s*[」”』》\"]?\s*(?:与|和|及|以及|同|、|,(?:\s*the)?|，|(?:,\s*)?(?:and|&)(?:\s+the)?)\s*"
    r"[「“『《\"]?\s*$",
    re.I,
)

PARTNERSHIP_TRIGGERS = [(c.id, c.pattern) for c in cues.shipped()["partnership_triggers"]]
_PARTNER = re.compile("|".join(f"(?P<{k}>{p})" for k, p in PARTNERSHIP_TRIGGERS), re.I)
_SECTOR = {"foundation": "nonprofit", "ngo": "nonprofit"}


@dataclass(frozen=True)
class Funding:
    funder: OrgMention | None
    recipient: OrgMention | None
    amount: Amount
    amount_cny: float | None
    kind: str
    evidence: tuple[int, int]
    # what read it: `list` (a grant list or its fields), `rules` (the rules' reading, which the
    # learned component, when installed, kept), `model` (the learned component kept an amount
    # the rules reject, or chose other parties than the rules)
    method: str = "rules"


@dataclass(frozen=True)
class Partnership:
    a: OrgMention
    b: OrgMention
    relation: str
    direction: str
    evidence: tuple[int, int]
    method: str = "rules"  # `rules`, or `model`: a pair only the learned component found


# Phrases that refer back to an organization named earlier (该基金会, 其, "the ministry"): data
# (the `anaphors` of models/data/relation_cues.yaml), each with the organizations it can stand
# for and how it picks among them. Within ANAPHORA_WINDOW characters of the same paragraph, the
# one it picks takes its place in relations.
@dataclass(frozen=True)
class _Anaphor:
    id: str
    pattern: re.Pattern[str]
    refers_to: tuple[tuple[str, tuple[str, ...]], ...]
    mode: str

    def fits(self, o: OrgMention) -> bool:
        if not self.refers_to:
            return True
        for field_name, values in self.refers_to:
            if field_name == "types" and o.type in values:
                return True
            if field_name == "sectors" and o.sector in values:
                return True
            if field_name == "endings" and simplify(o.text).endswith(values):
                return True
        return False


_ANAPHORS = [
    _Anaphor(c.id, re.compile(c.pattern), c.refers_to, c.mode) for c in cues.shipped()["anaphors"]
]
ANAPHORA_WINDOW = 300


def with_anaphora(norm: str, orgs: list[OrgMention]) -> list[OrgMention]:
    """`orgs` plus a mention for each phrase that refers back to one of them: it stands where
    the phrase is, with the earlier organization's name, id and type (method "anaphora", its
    `text` is the name referred to, not the phrase)."""
    out = list(orgs)
    for anaphor in _ANAPHORS:
        for m in anaphor.pattern.finditer(norm):
            if any(o.start < m.end() and m.start() < o.end for o in orgs):
                continue  # part of a name
            floor = max(m.start() - ANAPHORA_WINDOW, norm.rfind("\n\n", 0, m.start()) + 1)
            earlier = [
                o for o in orgs if floor <= o.start and o.end <= m.start() and anaphor.fits(o)
            ]
            if anaphor.mode == "former":
                # the former of the two named before: the one before the latest
                latest = earlier[-1].org_id if earlier else None
                earlier = [o for o in earlier if o.org_id != latest]
            elif anaphor.mode == "object":
                # 腾讯公益另向其配捐: not the clause's own subject
                clause_lo = max(
                    [
                        m.start() - 60,
                        *(
                            i + 1
                            for i in range(max(0, m.start() - 60), m.start())
                            if norm[i] in "，,；;。"
                        ),
                    ]
                )
                # the clause's subject may itself be a phrase read before ("the alliance gave it")
                subject_ids = {o.org_id for o in out if clause_lo <= o.start < m.start()}
                earlier = [
                    o for o in earlier if o.start < clause_lo and o.org_id not in subject_ids
                ] or earlier
            elif anaphor.mode == "clause_subject":
                # a clause opening with 其 (X收到…；同年，其向Y捐赠): the subject of the sentence
                # or clause group before, not the last name in it
                block = max(norm.rfind("。", 0, m.start()), norm.rfind("；", 0, m.start()))
                prev = max(norm.rfind("。", 0, max(block, 0)), norm.rfind("；", 0, max(block, 0)))
                subject = next((o for o in earlier if prev < o.start < block), None)
                if subject is not None:
                    earlier = [subject]
            elif anaphor.mode == "latter":
                # the latter of two: not the sentence's own subject (A…向后者: not A)
                lo = max((a for a, _ in sentences(norm) if a <= m.start()), default=0)
                subject = next((o for o in orgs if lo <= o.start < m.start()), None)
                earlier = [o for o in earlier if subject is None or o.org_id != subject.org_id]
            if earlier:
                ant = earlier[-1]
                out.append(
                    OrgMention(
                        ant.text,
                        m.start(),
                        m.end(),
                        ant.org_id,
                        ant.canonical,
                        ant.type,
                        ant.sector,
                        "anaphora",
                        ant.start,
                    )
                )
    owner = _owner(norm, orgs)
    if owner is not None:
        for m in _FIRST_PERSON_PARTY.finditer(norm):
            if any(o.start < m.end() and m.start() < o.end for o in orgs):
                continue
            out.append(
                replace(owner, start=m.start(), end=m.end(), method="anaphora", ref=owner.start)
            )
    out.sort(key=lambda o: o.start)
    return out


# The organization whose text it is, named in a title (X年报：, "X, Annual Report 2024.") or in a
# signature at the end (——X): "we" and 本会 in its text are that organization.
_TITLE = re.compile(
    r"[」”』\"]?\s*(?:\d{4}(?:/\d{2,4})?\s*年?度?(?:第[一二三四1-4]季度?|上半年|下半年)?)?\s*"
    rf"(?:{cues.pattern('text_owner', 'title')})",
    re.I,
)
_SIGNATURE = re.compile(r"[—-]{1,2}\s*$")
_INCOME = cues.regex("text_owner", "income")
_FIRST_PERSON_PARTY = cues.regex("text_owner", "we")
# the organization that thanks (X衷心感谢…, X谨致谢忱, "X thanks …") is the one writing
_THANKS = re.compile(rf"\s*(?:{cues.pattern('text_owner', 'thanks')})", re.I)


def _owner(norm: str, orgs: list[OrgMention]) -> OrgMention | None:
    if not orgs:
        return None
    first, last = orgs[0], orgs[-1]
    if first.start <= 2 and _TITLE.match(norm, first.end):
        return first
    thanking = [o for o in orgs if _THANKS.match(norm, o.end)]
    if len({o.org_id for o in thanking}) == 1:
        return thanking[0]
    tail = norm[last.end :].strip(" 。.!！\n")
    if not tail and _SIGNATURE.search(norm, max(0, last.start - 4), last.start):
        return last
    return None


def _evidence(lo: int, hi: int, *parties: OrgMention | None) -> tuple[int, int]:
    """The sentence, stretched to cover each party's name: where an anaphor stands, the name it
    refers to (back to 青禾公益基金会 for 该基金会, on to a closing signature for 我们); a list's
    header for its items."""
    for p in parties:
        if p is None:
            continue
        start = p.ref if p.ref is not None else p.start
        lo, hi = min(lo, start), max(hi, start + len(p.text))
    return lo, hi


def direction(a: OrgMention, b: OrgMention) -> str:
    """horizontal in one sector (foundations and NGOs are one: nonprofit), else vertical."""
    if "other" in (a.type, b.type):
        return "unknown"
    return (
        "horizontal" if _SECTOR.get(a.type, a.type) == _SECTOR.get(b.type, b.type) else "vertical"
    )


def _clause(norm: str, lo: int, hi: int, pos: int) -> tuple[int, int]:
    start = max([m.end() for m in _CLAUSE.finditer(norm, lo, pos)], default=lo)
    ends = [m.start() for m in _CLAUSE.finditer(norm, pos, hi)]
    return start, (ends[0] if ends else hi)


def _group(orgs: list[OrgMention], norm: str, anchor: OrgMention) -> list[OrgMention]:
    """The organizations listed together with `anchor` (X与Y, X、Y和Z, X and Y)."""
    idx = orgs.index(anchor)
    group = [anchor]
    i = idx
    while i > 0 and _JOIN.match(norm[orgs[i - 1].end : orgs[i].start]):
        group.insert(0, orgs[i - 1])
        i -= 1
    i = idx
    while i + 1 < len(orgs) and _JOIN.match(norm[orgs[i].end : orgs[i + 1].start]):
        group.append(orgs[i + 1])
        i += 1
    return group


_TO_GAP = cues.regex("sentence_roles", "to_gap")
_FROM = re.compile(r"\bfrom\s+(?:the\s+)?$", re.I)
_PRONOUN = re.compile(r"^\s*(?:向|给|为)?\s*(?:其|该|它们|他们)")


# What marks an organization as the one receiving: 向X, 给X, 支付X, "to (the) X", or 向/给/予
# a few words before it (向四川甘孜的“雪域援行”).
_RECEIVER_MARK = cues.regex("sentence_roles", "receiver_mark")


def _marked_receiver(norm: str, lo: int, o: OrgMention) -> bool:
    return _RECEIVER_MARK.search(norm, max(lo, o.start - 9), o.start) is not None


def _first_recipient(norm: str, after: list[OrgMention], start: int) -> OrgMention | None:
    """The first organization after `start` that the text marks as receiving (向/给/to) or that
    follows the verb directly (资助晨光社区发展中心)."""
    for o in (o for o in after if o.start >= start):
        gap = norm[start : o.start]
        if (
            _TO_GAP.match(gap)
            or (len(gap.strip()) <= 2 and not re.search(r"[，,；;。]", gap))
            or re.search(r"(?:向|给|为|予|to|for|into)\s*(?:the\s+)?$", gap, re.I)
        ):
            return o
    return None


def _receiver(
    norm: str, after: list[OrgMention], trig: re.Match[str], amount: Amount
) -> OrgMention | None:
    """The receiving organization after the trigger: first the one the amount leads to
    ("RMB 1.8 million to X"), else one right after the trigger (资助X300万元)."""
    return (
        _first_recipient(norm, after, max(trig.end(), amount.end))
        or _first_recipient(norm, after, trig.end())
        or next(
            (
                o
                for o in after
                if o.start > amount.end
                and _LATER_RECEIVER.search(norm, max(0, o.start - 8), o.start)
            ),
            None,
        )
    )


# a receiver named in a later clause of the sentence (…，善款全部用于支持Y; 款项将拨给Y)
_LATER_RECEIVER = cues.regex("sentence_roles", "later_receiver")


def _outside_asides(norm: str, orgs: list[OrgMention], until: int) -> list[OrgMention]:
    """`orgs` without those inside a relative or appositive clause of an earlier one ("X,
    which partners with Y, received …": not Y)."""
    kept = [o for i, o in enumerate(orgs) if not in_aside(norm, o, orgs[:i], until)]
    return kept or orgs


_WITNESSED = cues.regex("sentence_roles", "witnessed")
_HOSTS = cues.regex("sentence_roles", "hosts")
_BOTH = cues.regex("sentence_roles", "both")
_PASSIVE_AFTER = cues.regex("sentence_roles", "passive_after")
_WITH_BEFORE = cues.regex("sentence_roles", "with_before")


def _partners_not_both(norm: str, group: list[OrgMention], trig_at: int) -> bool:
    """Organizations listed together that partner before the giving (X与Y签署协议，向其捐赠):
    the first gives, unless the text then says both give (双方各出资, "both pledged")."""
    if len(group) < 2:
        return False
    signed = _PARTNER.search(norm, group[0].end, trig_at)
    return signed is not None and not _BOTH.search(norm, signed.end(), trig_at)


_RAISED = cues.regex("sentence_roles", "raised")
_PROJECT_OF = cues.regex("sentence_roles", "project_of")


def _project_owner(norm: str, orgs: list[OrgMention], lo: int) -> OrgMention | None:
    """The organization whose project the sentence funds (X的非遗进校园项目由Y资助; X乡村阅读项目
    获Y资助): named right before the project's name."""
    for o in reversed(orgs):
        if o.start >= lo and _PROJECT_OF.match(norm, o.end):
            return o
    return None


def _roles(
    norm: str, orgs: list[OrgMention], trig: re.Match[str], amount: Amount, lo: int
) -> tuple[list[OrgMention | None], OrgMention | None]:
    if trig.group(0).startswith("由"):  # 由X提供: X gives
        inside = [o for o in orgs if trig.start() <= o.start and o.end <= trig.end()]
        if inside:
            after = [o for o in orgs if o.start >= trig.end()]
            return [inside[0]], _receiver(norm, after, trig, amount)
    before = [o for o in orgs if o.end <= trig.start()]
    after = [o for o in orgs if o.start >= trig.end()]
    passive = _PASSIVE.search(norm, lo, trig.start())
    if passive and any(o.end <= passive.start() for o in orgs):
        # Y获得X…资助 / Y接受X捐赠 / Y received … from X
        funders = [o for o in orgs if passive.end() <= o.start and o.end <= trig.start()]
        frm = re.search(r"\bfrom\b", norm[passive.end() :], re.I)
        if frm:
            funders = [o for o in orgs if o.start >= passive.end() + frm.end()][:1] or funders
        giver = funders[0] if funders else None
        takers = _outside_asides(
            norm, [o for o in orgs if o.end <= passive.start()], passive.start()
        )
        # the receiver is the subject, not a partner named with 与 (A与B续签协议，并接受B捐赠)
        recipient = next(
            (
                o
                for o in reversed(takers)
                if (giver is None or o.org_id != giver.org_id)
                and not re.search(
                    r"(?:与|和|同|跟|with)\s*(?:the\s+)?$",
                    norm[max(lo, o.start - 6) : o.start],
                    re.I,
                )
            ),
            takers[-1],
        )
        return [giver], recipient
    source = next(
        (
            o
            for o in after
            if _FROM.search(norm[max(amount.end, trig.end()) : o.start])
            and o.start - amount.end < 40
        ),
        None,
    )
    if source is not None:  # "with funding of AMOUNT from X, Y …"
        rest = [o for o in orgs if o is not source and o.org_id != source.org_id]
        later = [o for o in rest if o.start > source.end]
        subject = _outside_asides(norm, before, trig.start())
        return [source], (later[0] if later else (subject[-1] if subject else None))
    by_en = next(
        (
            o
            for o in after
            if re.search(r"\bby\s+(?:the\s+)?$", norm[trig.end() : o.start], re.I)
            and o.start - trig.end() < 60
        ),
        None,
    )
    if by_en is not None:  # "Y was granted … by X", "… has been donated by X to Y"
        to = _first_recipient(norm, [o for o in after if o.start > by_en.end], by_en.end)
        return [by_en], to or (before[-1] if before else None)
    by = re.search(r"(?<!交)由\s*$", norm[lo : before[-1].start]) if before else None
    if by:  # 由X资助的Y; Y的…项目由X资助; Y完成A轮融资，由X领投
        return [before[-1]], (
            _first_recipient(norm, after, trig.end())
            or _project_owner(norm, before[:-1], lo)
            or next((o for o in before[:-1] if _RAISED.match(norm, o.end)), None)
        )
    commission = re.search(r"委托|交由|commissioned", norm[lo : trig.start()], re.I)
    if commission and before:
        pos = lo + commission.start()
        givers = [o for o in before if o.end <= pos]
        takers = [o for o in before if o.start >= lo + commission.end()]
        if givers and takers:
            return [givers[-1]], takers[0]
    funder = None
    recipient = None
    for o in reversed(_outside_asides(norm, before, trig.start())):
        if _marked_receiver(norm, lo, o):
            recipient = recipient or o
        else:
            funder = o
            break
    if funder is None:
        return [None], recipient or _receiver(norm, after, trig, amount)
    if _WITH_BEFORE.search(norm, max(lo, funder.start - 6), funder.start):
        # X signed an agreement with Y and awarded …: X gives, Y may receive
        subject = next(
            (o for o in before if o.end <= funder.start and o.org_id != funder.org_id), None
        )
        if subject is not None and _PARTNER.search(norm, subject.end, funder.start):
            recipient = recipient or _receiver(norm, after, trig, amount) or funder
            return [subject], recipient
    group = _group(orgs, norm, funder)
    partners = []
    if _partners_not_both(norm, group, trig.start()):
        # X与Y签署协议，向其捐赠… : X gives, Y is the partner that receives
        partners = group[1:]
        group = group[:1]
    if recipient is None:
        recipient = _receiver(norm, after, trig, amount)
    if (
        recipient is None
        and partners
        and _PRONOUN.search(norm[trig.start() - 3 : trig.end() + 4] + norm[trig.end() :])
    ):
        recipient = partners[0]
    if recipient is None and partners:
        recipient = partners[0]
    return list(group), recipient if recipient not in group else None


# Disclosure lists and grant tables: "捐赠方：X；受赠方：Y；金额：…", "主要捐款者：A 港幣…；
# B 港幣…", "Grants paid (2023): A, US$…; B, US$…", "向三家机构拨付资助款：A 42万元，B 28.5万元".
# An organization written right before an amount in an item after a colon takes its role from
# what the list is (donors give; grantees and a giving header receive).
_DONOR_LABEL = cues.regex("sentence_roles", "donor_label")
_GRANTEE_LABEL = cues.regex("sentence_roles", "grantee_label")
_DONOR_HEADER = cues.regex("sentence_roles", "donor_header")
_GRANTEE_HEADER = cues.regex("sentence_roles", "grantee_header")
_ITEM_GAP = re.compile(r"^[\s,，:：\u3000]{0,3}$")


def _list_roles(
    norm: str,
    orgs: list[OrgMention],
    amount: Amount,
    amounts: list[Amount],
    block_lo: int,
    lo: int,
    hi: int,
    owner: OrgMention | None = None,
) -> tuple[list[OrgMention | None], OrgMention | None, str] | None:
    """(funders, recipient, kind) when `amount` is an item of a disclosure list, else None.
    `owner`: the organization whose text it is (see `_owner`), the giver of a list of grants
    that names none."""
    start = min(block_lo, lo)
    # labelled fields: 捐赠方：X；受赠方：Y；金额：Z (the fields since the previous amount)
    since = max([start] + [a.end for a in amounts if a.end <= amount.start])
    giver = taker = None
    for o in orgs:
        if since <= o.start and o.end <= hi:
            before = re.sub(
                r"(?:[:：]|为|是)\s*[“「『\"]?\s*$|[“「『\"]\s*$",
                "",
                norm[max(start, o.start - 12) : o.start],
            )
            if before != norm[max(start, o.start - 12) : o.start]:
                if _GRANTEE_LABEL.search(before):  # 受资助方 before 资助方
                    taker = taker or o
                elif _DONOR_LABEL.search(before):
                    giver = giver or o
    if giver or taker:
        return [giver], taker, "donation"
    colon = max(
        norm.rfind("：", start, amount.start),
        norm.rfind(":", start, amount.start),
        norm.rfind("——", start, amount.start) + 1,
    )
    if colon <= 0:
        return None
    # an item ends at a semicolon ("A, US$120,000; B, US$95,500") or, in a list without
    # semicolons, at a comma (A 42万元，B 28.5万元)
    items: list[OrgMention] = []
    for seps in ("；;", "；;，,、"):
        item_lo = max([colon] + [norm.rfind(c, colon, amount.start) for c in seps])
        items = [o for o in orgs if item_lo < o.start and o.end <= amount.start]
        if len(items) == 1:
            break
    item_start = max([colon] + [norm.rfind(c, colon, amount.start) for c in "；;"])
    anonymous = not items and re.search(
        r"(?:匿名|不具名|anonymous)[^，,；;]{0,6}[，,:：\s]*$",
        norm[item_start : amount.start],
        re.I,
    )
    if anonymous and _DONOR_HEADER.search(norm[start:colon]):
        named = [o for o in orgs if start <= o.start and o.end <= colon] or (
            [owner] if owner is not None else []
        )
        return [None], (named[-1] if named else None), "donation"  # 匿名人士，港幣30萬元
    if len(items) != 1 or not _ITEM_GAP.match(norm[items[-1].end : amount.start]):
        return None  # not one organization and its amount ("A to B, RMB …" reads as a sentence)
    item = items[-1]
    header = norm[start:colon]
    named = [o for o in orgs if start <= o.start and o.end <= colon]
    if not named and owner is not None:
        named = [owner]  # "X, Annual Report 2024. Grants approved: …": X gives
    if _DONOR_HEADER.search(header):
        return [item], (named[-1] if named else None), "donation"
    if _GRANTEE_HEADER.search(header):
        return [named[-1] if named else None], item, "grant"
    return None


MAX_OTHERS = 12  # a longer list of amounts (a grant list) is read without its sums


@dataclass(frozen=True)
class FundingCandidate:
    """One amount of one sentence as the rules see it: its giving trigger (None when the
    sentence has none), whether a budget/total/price/salary cue rules it out, and the roles
    the sentence shape gives."""

    lo: int
    hi: int
    amount: Amount
    trigger: re.Match[str] | None
    negative: bool
    funders: list[OrgMention | None]
    recipient: OrgMention | None
    block_lo: int = 0  # start of the semicolon-joined list the sentence belongs to
    listed: str | None = None  # the kind, when the amount is an item of a disclosure list
    hard_negative: bool = False  # a cue other than a total (预算, 募集, price, salary …)
    clause: tuple[int, int] = (0, 0)  # the amount's clause (between commas, semicolons, colons)
    # the sentence's other amounts (value, currency); None when it has more than MAX_OTHERS
    others: tuple[tuple[float, str], ...] | None = ()
    # a list of organizations paired in order with a list of amounts (A和B分别拿出20万元和10万元),
    # when this amount is one of them: the organization in its place, whether it gives or
    # receives, and the whole list. Applied when the roles are decided, not in the rules'
    # reading above, which the learned role part sees as a feature.
    paired: OrgMention | None = None
    paired_role: str = ""
    together: tuple[OrgMention, ...] = ()

    @property
    def kind(self) -> str:
        if self.trigger is None:
            return self.listed or "other"
        return next(k for k, v in self.trigger.groupdict().items() if v)

    @property
    def rules_accept(self) -> bool:
        if self.trigger is None and self.listed is None:
            return False
        if self.hard_negative:
            return False
        # a total (累计资助, 共计) counts when the sentence names who gives or who receives
        return not self.negative or self.funders != [None] or self.recipient is not None


def _respectively(
    norm: str, lo: int, hi: int, orgs: list[OrgMention], amounts: list[Amount]
) -> list[OrgMention]:
    """The givers of a sentence that pairs them with its amounts in order (A、B和C分别向D捐赠
    1000万元、600万元和200万元; "A and B gave $1 million and $2 million respectively"), else []."""
    if len(amounts) < 2 or not re.search(r"分别|各自|respectively", norm[lo:hi], re.I):
        return []
    trig = _TRIGGER.search(norm, lo, hi)
    before = [o for o in orgs if trig and o.end <= trig.start()]
    if not before:
        return []
    group = _group(orgs, norm, before[0]) if len(before) > 1 else before
    return group if len(group) == len(amounts) else []


_EACH = re.compile(r"分别|各自")
_AMOUNT_JOIN = re.compile(r"\s*(?:和|及|与|、|以及|,|，|and)?\s*")


def _paired(
    norm: str, lo: int, hi: int, orgs: list[OrgMention], amounts: list[Amount]
) -> tuple[dict[int, OrgMention], str]:
    """A list of organizations right before 分别/各自 and the list of amounts after it, paired
    in order (A与B今年分别拨出60万令吉和6万令吉; A和B两家企业分别拿出…;
    A和B分别获得X资助20万元和10万元): {id(amount): its organization} and their role (recipient
    after a receiving word, else funder); ({}, "") when there are no such lists as long."""
    if len(amounts) < 2:
        return {}, ""
    for each in _EACH.finditer(norm, lo, hi):
        before = [o for o in orgs if o.end <= each.start()]
        # the list stands right before 分别, a few words between (两家企业, 今年)
        if not before or each.start() - before[-1].end > 8:
            continue
        if re.search(r"[，,；;：:。]", norm[before[-1].end : each.start()]):
            continue
        group = _group(orgs, norm, before[-1])
        after = [a for a in amounts if a.start >= each.end()]
        if len(group) < 2 or not after or re.search(r"[；;。]", norm[each.end() : after[0].start]):
            continue
        run = [after[0]]
        for a in after[1:]:
            if not _AMOUNT_JOIN.fullmatch(norm, run[-1].end, a.start):
                break
            run.append(a)
        if len(run) == len(group):
            receives = _PASSIVE.search(norm, each.end(), run[0].start)
            role = "recipient" if receives else "funder"
            return {id(a): o for a, o in zip(run, group, strict=True)}, role
    return {}, ""


_HEADLINE = re.compile(r"[\s“”\"「」]*[！!…—]*")


def _headed(
    norm: str, spans: list[tuple[int, int]], amounts: list[Amount]
) -> list[tuple[int, int]]:
    """Sentences, an amount standing alone as a headline (1000万元！这是X向Y捐出的…) read with
    the sentence that follows it."""
    out: list[tuple[int, int]] = []
    for i, (lo, hi) in enumerate(spans):
        if out and out[-1][1] == -1:
            out[-1] = (out[-1][0], hi)
            continue
        alone = [a for a in amounts if lo <= a.start < hi]
        if (
            len(alone) == 1
            and i + 1 < len(spans)
            and _HEADLINE.fullmatch(norm, alone[0].end, hi)
            and not norm[lo : alone[0].start].strip(' \u3000“"「')
        ):
            out.append((lo, -1))
        else:
            out.append((lo, hi))
    return out


def funding_candidates(
    norm: str, orgs: list[OrgMention], amounts: list[Amount]
) -> list[FundingCandidate]:
    """Every amount of `norm` (simplified text) with the rules' reading of it."""
    out: list[FundingCandidate] = []
    block_lo = 0
    owner = _owner(norm, [o for o in orgs if getattr(o, "method", None) != "anaphora"])
    for lo, hi in _headed(norm, sentences(norm), amounts):
        # Items of a list split by semicolons (向A拨款…；向B拨款…) read as one block: an item
        # without a trigger or without organizations takes them from the items before it.
        if not re.search(r"[；;]\s*$", norm[block_lo:lo]) or lo == 0:
            block_lo = lo
        s_orgs = [o for o in orgs if lo <= o.start and o.end <= hi]
        if not s_orgs:
            lo = block_lo
            s_orgs = [o for o in orgs if lo <= o.start and o.end <= hi]
        s_amounts = [a for a in amounts if lo <= a.start < hi]
        each = _respectively(norm, lo, hi, s_orgs, s_amounts)
        paired, paired_role = _paired(norm, lo, hi, s_orgs, s_amounts)
        # searches that depend on the sentence or clause, not the amount, run once each: a
        # sentence with many amounts (a grant list) costs linear, not quadratic, time
        if s_amounts and _VETO.search(norm, lo, hi):
            continue
        block_trig = _TRIGGER.search(norm, lo, hi) or _TRIGGER.search(norm, block_lo, hi)
        clause_trig: dict[tuple[int, int], re.Match[str] | None] = {}
        clause_negative: dict[tuple[int, int], list[re.Match[str]]] = {}
        for amount in s_amounts:
            c_lo, c_hi = _clause(norm, lo, hi, amount.start)
            if (c_lo, c_hi) not in clause_trig:
                clause_trig[c_lo, c_hi] = _TRIGGER.search(norm, c_lo, c_hi)
                clause_negative[c_lo, c_hi] = list(_NEGATIVE.finditer(norm, c_lo, c_hi))
            cues = [
                c
                for c in (
                    *(m for m in clause_negative[c_lo, c_hi] if m.end() <= amount.start),
                    *_NEGATIVE.finditer(norm, amount.end, min(c_hi, amount.end + 6)),
                    *_PER_HEAD.finditer(norm, amount.end, min(c_hi, amount.end + 20)),
                )
                # a cue inside a name (联合国开发计划署) is part of the name
                if not any(o.start <= c.start() < o.end for o in s_orgs)
            ]
            negative = bool(cues)
            # totals (累计拨款, 总额) may still be money given; other cues never are
            hard_negative = any(not _SOFT_TOTAL.fullmatch(c.group(0)) for c in cues)
            trig = clause_trig[c_lo, c_hi] or block_trig
            funders: list[OrgMention | None] = [None]
            recipient = None
            listed = _list_roles(norm, orgs, amount, amounts, block_lo, lo, hi, owner)
            kind = None
            if listed is not None:
                funders, recipient, kind = [listed[0][0]], listed[1], listed[2]
                negative = hard_negative = False
                if trig is not None and (funders == [None] or recipient is None):
                    # 由X提供…，受款单位为Y; Y收到…捐款，捐赠方为X: the sentence names the
                    # party the fields leave out
                    givers, taker = _roles(norm, s_orgs, trig, amount, lo)
                    if funders == [None]:
                        funders = [g for g in givers if g is None or g is not recipient] or [None]
                    if recipient is None and taker is not None and taker not in funders:
                        recipient = taker
            elif trig is not None:
                funders, recipient = _roles(norm, s_orgs, trig, amount, lo)
                if each:  # A、B和C分别捐赠X、Y和Z: the i-th giver gives the i-th amount
                    funders = [each[s_amounts.index(amount)]]
                    kind = next(k for k, v in trig.groupdict().items() if v)
                    recipient = recipient if recipient not in each else None
            out.append(
                FundingCandidate(
                    lo,
                    hi,
                    amount,
                    trig,
                    negative,
                    funders,
                    recipient,
                    block_lo,
                    kind,
                    hard_negative,
                    (c_lo, c_hi),
                    None
                    if len(s_amounts) > MAX_OTHERS + 1
                    else tuple((x.value, x.currency) for x in s_amounts if x is not amount),
                    paired.get(id(amount)),
                    paired_role if id(amount) in paired else "",
                    tuple(paired.values()) if id(amount) in paired else (),
                )
            )
    return out


def _with_pairing(
    cand: FundingCandidate, funders: list[OrgMention | None], recipient: OrgMention | None
) -> tuple[list[OrgMention | None], OrgMention | None]:
    """Roles with the candidate's paired organization in its place (A和B分别拿出20万元和10万元:
    A gives the first; A和B分别获得X资助…: A receives it, the others of the list give nothing)."""
    if cand.paired is None:
        return funders, recipient
    group = {o.org_id for o in cand.together}
    if cand.paired_role == "recipient":
        givers = [f for f in funders if f is not None and f.org_id not in group]
        givers = givers or [f for f in cand.funders if f is not None and f.org_id not in group]
        return givers or [None], cand.paired
    if recipient is not None and recipient.org_id in group:
        recipient = None
    return [cand.paired], recipient


def _decide_funding(
    norm: str, cand: FundingCandidate, orgs: list[OrgMention], model: Any
) -> tuple[list[OrgMention | None], OrgMention | None, list[OrgMention]] | None:
    """Rules and model combined for one amount: None when it is no funding, else the funders,
    the recipient and the organizations that receive the same amount with it. The model keeps
    or drops the amount (the rules' verdict counts unless the model is sure) and picks the
    roles: each organization is read at its mention nearest to the amount; the funder is the
    likeliest one, joined by the organizations listed with it (X与Y共同出资); the recipient is
    the likeliest of the others, joined by those listed with it (A、B和C各获1000令吉)."""
    t = model.thresholds
    s_orgs = [o for o in orgs if cand.lo <= o.start and o.end <= cand.hi]
    if cand.listed is not None and cand.paired_role != "recipient":  # "" when not paired
        # (A和B分别获得…: the list receives; its giver is the model's to find)
        return None if cand.negative else (cand.funders, cand.recipient, [])
    if cand.hard_negative:
        return None  # a budget, spending, fundraising, price or salary cue in the clause
    p_fund = model.funding_proba(norm, cand, s_orgs)
    if p_fund < (t.drop_amount if cand.rules_accept else t.add_amount):
        return None
    if not s_orgs:
        return cand.funders, cand.recipient, []
    near: dict[str, tuple[OrgMention, dict[str, float]]] = {}
    mid = cand.amount.start
    roles = dict(zip(map(id, s_orgs), model.role_proba(norm, cand, s_orgs), strict=True))
    for o in s_orgs:
        pr = roles[id(o)]
        held = near.get(o.org_id)
        if held is None or abs(o.start - mid) < abs(held[0].start - mid):
            near[o.org_id] = (o, pr)
    ranked = sorted(near.values(), key=lambda x: -x[1]["funder"])
    funders: list[OrgMention | None] = []
    partners: list[OrgMention] = []
    # the likeliest giver gives when it is more likely to give than to receive (X获得60万元资助)
    if ranked and ranked[0][1]["funder"] >= max(t.funder, ranked[0][1]["recipient"]):
        best = ranked[0][0]
        group = _group(s_orgs, norm, best)
        trig_at = cand.trigger.start() if cand.trigger else cand.amount.start
        if _partners_not_both(norm, group, trig_at):
            # X与Y签署协议，向其捐赠…: the first-named gives, its partner may receive
            funders, partners = [group[0]], group[1:]
        else:
            group_ids = {o.org_id for o in group}
            funders = [
                o
                for o, pr in ranked
                if o is best or (o.org_id in group_ids and pr["funder"] >= t.co_funder)
            ]
            funders.sort(key=lambda o: o.start)  # type: ignore[union-attr]
    taken = {o.org_id for o in funders if o is not None}
    # "X, which partners with Y, received …": Y, in an aside about X, is not the one who receives
    aside = {
        o.org_id
        for o in s_orgs
        if o.end <= cand.amount.start and in_aside(norm, o, s_orgs, cand.amount.start)
    }
    rest = sorted(
        ((o, pr) for o, pr in near.values() if o.org_id not in taken | aside),
        key=lambda x: -x[1]["recipient"],
    )
    recipient = rest[0][0] if rest and rest[0][1]["recipient"] >= t.recipient else None
    if recipient is not None and _TRIGGER.match(norm, recipient.end):
        recipient = None  # …，B捐赠150万元: B gives in its own clause, it does not receive
    if recipient is None and partners:
        recipient = partners[0]
    if not funders and cand.funders != [None]:
        funders = list(cand.funders)  # the model is unsure; the sentence shape names a giver
        taken = {o.org_id for o in funders if o is not None}
        if recipient is not None and recipient.org_id in taken:
            recipient = None
    r = cand.recipient
    if r is not None and r.org_id not in taken and (recipient is None or r is not recipient):
        c_lo, c_hi = _clause(norm, cand.lo, cand.hi, cand.amount.start)
        if c_lo <= r.start and r.end <= c_hi and _marked_receiver(norm, c_lo, r):
            recipient = r  # 向X资助480万元: the amount's own clause names the receiver
        elif _PASSIVE_AFTER.match(norm, r.end) and cand.lo <= r.start:
            recipient = r  # 该中心为此获X资助: the subject of 获 receives
    if recipient is None and cand.recipient is not None and cand.recipient.org_id not in taken:
        recipient = cand.recipient  # "… to X", 向X: the rules' explicit recipient
    also: list[OrgMention] = []
    if recipient is not None and recipient in s_orgs:
        also = [
            o
            for o in _group(s_orgs, norm, recipient)
            if o is not recipient
            and o.org_id not in taken | aside | {recipient.org_id}
            and roles[id(o)]["recipient"] >= t.co_recipient
        ]
    if cand.paired is not None:  # A和B分别拿出20万元和10万元: the one in this amount's place
        funders, recipient = _with_pairing(cand, funders, recipient)
        also = []
    return (funders or [None]), recipient, also


_OPEN_QUOTE = '“「『"'
_CLOSE_QUOTE = '”」』"'
_FIRST_PERSON = cues.regex("text_owner", "quoted_we")
_SAYS = cues.regex("text_owner", "says")


def _speaker(norm: str, orgs: list[OrgMention], amount: Amount) -> OrgMention | None:
    """The organization whose representative speaks the quotation an amount is in, when the
    quotation speaks of "we" (“我们今年的资助会超过500万元，”X秘书长说; "…we granted …," the head
    of X said)."""
    opened = max(norm.rfind(q, 0, amount.start) for q in _OPEN_QUOTE)
    if opened < 0:
        return None
    closes = [i for i in (norm.find(q, amount.end) for q in _CLOSE_QUOTE) if i >= 0]
    if not closes:
        return None
    closed = min(closes)
    if any(norm.find(q, opened + 1, amount.start) >= 0 for q in "”」』"):
        return None  # the quotation ended before the amount
    if not _FIRST_PERSON.search(norm, opened, closed):
        return None
    after = norm[closed : closed + 80]
    line_end = min([i for i in (after.find("。"), after.find("\n")) if i >= 0] or [len(after)])
    if _SAYS.search(after[:line_end]):
        named = [o for o in orgs if closed < o.start and o.end <= closed + line_end]
        if named:
            return named[0]
    before = norm[max(0, opened - 40) : opened]
    if _SAYS.search(before):
        named = [o for o in orgs if opened - 40 <= o.start and o.end <= opened]
        if named:
            return named[-1]
    return None


def _oid(m: OrgMention | None) -> str | None:
    return m.org_id if m else None


# An organization that reports the news (…, China Daily reported; 据新京报报道) takes no part
# in the funding it reports.
_REPORTS_AFTER = cues.regex("sentence_roles", "reports_after")
_REPORTS_BEFORE = cues.regex("sentence_roles", "reports_before")


def _reporter(norm: str, o: OrgMention) -> bool:
    return bool(
        _REPORTS_AFTER.match(norm, o.end)
        or _REPORTS_BEFORE.search(norm, max(0, o.start - 24), o.start)
    )


def find_funding(
    text: str,
    orgs: list[OrgMention] | None = None,
    amounts: list[Amount] | None = None,
    model: Any = DEFAULT,
) -> list[Funding]:
    """Funding records of `text`. `model` is the learned relation component (default: the
    shipped one, if present); None gives the rules alone."""
    norm = simplify(text)
    orgs = with_anaphora(norm, find_orgs(text) if orgs is None else orgs)
    amounts = find_amounts(text) if amounts is None else amounts
    model = load_model() if model is DEFAULT else model
    orgs = [o for o in orgs if not _reporter(norm, o)]
    out: list[Funding] = []
    seen: set[tuple[int, str | None, str | None]] = set()
    owner = _owner(norm, [o for o in orgs if o.method != "anaphora"])  # once per text
    for cand in funding_candidates(norm, orgs, amounts):
        if model is None:
            if not cand.rules_accept:
                continue
            funders, recipient = _with_pairing(cand, cand.funders, cand.recipient)
            also = []
        else:
            decided = _decide_funding(norm, cand, orgs, model)
            if decided is None:
                continue
            funders, recipient, also = decided
        decided_recipient = recipient
        rule_funders, rule_recipient = _with_pairing(cand, cand.funders, cand.recipient)
        if cand.listed is not None:
            method = "list"
        elif cand.rules_accept and (
            {_oid(f) for f in funders} == {_oid(f) for f in rule_funders}
            and _oid(recipient) == _oid(rule_recipient)
        ):
            method = "rules"
        else:
            method = "model"
        evidence = (cand.lo, cand.hi)
        if funders == [None] and cand.block_lo < cand.lo and out:
            prev = out[-1]  # 向A拨款…；向B拨款…: B's funder is A's
            if prev.evidence[0] >= cand.block_lo and prev.funder is not None:
                funders = [f.funder for f in out if f.amount is prev.amount]
                evidence = (cand.block_lo, cand.hi)
        if recipient is None and funders != [None] and out:
            prev = out[-1]  # A向Y捐赠300万元，B捐赠50万元: B gives to Y as well
            if (
                prev.recipient is not None
                and prev.amount.start >= cand.block_lo
                and prev.funder is not None
                and all(f is None or f.org_id != prev.recipient.org_id for f in funders)
            ):
                recipient = prev.recipient
        if recipient is None:
            c_lo = _clause(norm, cand.lo, cand.hi, cand.amount.start)[0]
            if norm.startswith("其中", c_lo):
                # X募集善款…，其中Y配捐1800万元: part of what X raised, so X receives
                raiser = next((o for o in orgs if cand.lo <= o.start < c_lo), None)
                if raiser is not None and all(
                    f is None or f.org_id != raiser.org_id for f in funders
                ):
                    recipient = raiser
        if (
            recipient is None
            and owner is not None
            and all(f is None or f.org_id != owner.org_id for f in funders)
            and _INCOME.search(norm, cand.lo, cand.hi)
        ):
            recipient = owner  # X年报…捐赠收入中，包含Y捐赠的…: the text's owner receives
        if funders == [None] or recipient is None:
            speaker = _speaker(norm, orgs, cand.amount)
            if speaker is not None and funders == [None] and recipient is not None:
                if recipient.org_id == speaker.org_id:
                    recipient = None  # the speaker of “我们…资助” gives; it does not receive
            parties = {o.org_id for o in (*funders, recipient) if o is not None}
            if speaker is not None and speaker.org_id not in parties:
                if funders == [None]:
                    funders = [speaker]  # “我们今年资助…”，X秘书长说: X gives
                else:
                    recipient = speaker  # “第一笔钱是X给的”，Y的创始人说: Y receives
                evidence = (min(evidence[0], speaker.start), max(evidence[1], speaker.end))
        amount = cand.amount
        recipients = [recipient, *also] if recipient is decided_recipient else [recipient]
        for funder in funders:
            for receiver in recipients:
                key = (amount.start, _oid(funder), _oid(receiver))
                if key in seen:
                    continue  # one funder named twice (X…X出资): one record
                seen.add(key)
                out.append(
                    Funding(
                        funder,
                        receiver,
                        amount,
                        to_cny(amount.value, amount.currency),
                        cand.kind,
                        _evidence(*evidence, funder, receiver),
                        method if receiver is recipient else "model",  # a co-recipient
                    )
                )
    return out


_WITH_EACH = re.compile(r"(?:分别|各自)?(?:与|同|跟)\s*[「“『《\"]?\s*$")
_MANY_SIDED = re.compile(r"[三四五六七八九十多]方|各方|共同|联合|一起|一道|携手")


def _listed_apart(
    norm: str, lo: int, hi: int, orgs: list[OrgMention]
) -> tuple[set[frozenset[str]], list[tuple[OrgMention, OrgMention]]]:
    """A list after 与 (or 分别与) whose members each sign with the one before it (A与B、C和D签署
    合作协议; A现场分别与B、C和D签订协议), unless the agreement has many sides (三方协议, 共同
    签署): the pairs of its members, which are not partners, and the pairs of A, when the
    same clause names it, with each member."""
    apart: set[frozenset[str]] = set()
    star: list[tuple[OrgMention, OrgMention]] = []
    for first in orgs:
        if not _WITH_EACH.search(norm, max(lo, first.start - 6), first.start):
            continue
        members = [o for o in _group(orgs, norm, first) if o.start >= first.start]
        if len(members) < 2:
            continue
        trig = _PARTNER.search(norm, members[-1].end, hi)
        if trig is None or next(k for k, v in trig.groupdict().items() if v) != "agreement":
            continue
        if re.search(r"[，,；;。]", norm[members[-1].end : trig.start()]) or _MANY_SIDED.search(
            norm, lo, hi
        ):
            continue
        apart |= {frozenset((a.org_id, b.org_id)) for a, b in combinations(members, 2)}
        before = [o for o in orgs if o.end <= first.start and o not in members]
        if before and not re.search(r"[，,；;。]", norm[before[-1].end : first.start]):
            star += [(before[-1], m) for m in members]
    return apart, star


# 联合 of a noun is no acting together (联合劝募, 联合体, 联合会, 联合国)
_TOGETHER_AFTER = re.compile(
    r"(?:等[^，,；;。]{0,10}?)?(?:共同|联合(?!劝募|募捐|体|会|国)|一起|一道|携手)"
)
_FOUNDERS_BEFORE = re.compile(
    r"发起(?:机构|方|单位|人|者)[^，,；;。]{0,3}(?:包括|为|有|是)[:：]?\s*$"
)


def _listed_together(
    norm: str, lo: int, hi: int, orgs: list[OrgMention]
) -> list[tuple[OrgMention, OrgMention]]:
    """The pairs of a list of organizations that act together: followed by 共同 / 联合 / 一起 /
    携手 (A、B和C共同发起…; A、B等单位联合开展…), not to give (A与B共同出资: a joint gift), or
    named as founders (发起机构包括A、B和C)."""
    pairs: list[tuple[OrgMention, OrgMention]] = []
    done: set[int] = set()
    for o in orgs:
        if id(o) in done:
            continue
        group = _group(orgs, norm, o)
        done |= {id(m) for m in group}
        if len(group) < 2:
            continue
        together = _TOGETHER_AFTER.match(norm, group[-1].end)
        if together and _TRIGGER.match(norm, together.end()):
            continue  # A与B共同出资…: a joint gift, no partnership
        if together or _FOUNDERS_BEFORE.search(norm, max(lo, group[0].start - 15), group[0].start):
            pairs += list(combinations(group, 2))
    return pairs


def find_partnerships(
    text: str, orgs: list[OrgMention] | None = None, model: Any = DEFAULT, lists: bool = True
) -> list[Partnership]:
    """Partnerships of `text`: the rules' pairs, plus the pairs the learned component is sure
    of (`model`: default the shipped one, None for the rules alone), with the list structures
    applied to them: a list that acts together pairs every two of it, a list whose members each
    sign with the one before it pairs none of them (`lists`: False leaves both out, as in the
    rules' reading the learned component trains on)."""
    norm = simplify(text)
    orgs = find_orgs(text) if orgs is None else orgs
    orgs = [o for o in with_anaphora(norm, orgs) if not _reporter(norm, o)]
    model = load_model() if model is DEFAULT else model
    out: list[Partnership] = []
    seen: set[tuple[str, str, int]] = set()
    for lo, hi in sentences(norm):
        first_here = len(out)  # the pairs of this sentence start here
        s_orgs = [o for o in orgs if lo <= o.start and o.end <= hi]
        both = _BOTH.search(norm, lo, hi)
        if len(s_orgs) < 2 and both is None:
            continue
        for trig in _PARTNER.finditer(norm, lo, hi):
            relation = next(k for k, v in trig.groupdict().items() if v)
            if _WITNESSED.search(norm, max(lo, trig.start() - 12), trig.start()):
                continue  # A、B的代表出席了签约仪式: they watched someone else sign
            before = [o for o in s_orgs if o.end <= trig.start()]
            after = [o for o in s_orgs if o.start >= trig.end()]
            if (
                both is not None
                and both.start() < trig.start()
                and not any(o.start >= both.end() for o in before)
                and (len(before) < 2 or both.start() > before[-1].end)
            ):
                # 双方 / "the two organizations" signed: the last two named before
                named = [o for o in orgs if o.end <= both.start() and both.start() - o.end < 300]
                pair: list[OrgMention] = []
                for o in reversed(named):
                    if all(o.org_id != p.org_id for p in pair):
                        pair.insert(0, o)
                    if len(pair) == 2:
                        break
                parties = pair if len(pair) == 2 else []
            elif relation == "network":
                # A与B加入Z: each member partners with the network, not the members with each other
                members = _group(s_orgs, norm, before[-1]) if before else []
                pairs_of = [(m, after[0]) for m in members] if after else []
                _add_pairs(out, seen, pairs_of, relation, lo, hi)
                continue
            elif relation == "commission":
                parties = before[-1:] + after[:1]
            elif (
                not before
                and after
                and re.search(r"\bby\s+(?:the\s+)?$", norm[trig.end() : after[0].start])
            ):
                parties = _group(s_orgs, norm, after[0])  # "co-hosted by A, B and C"
            else:
                parties = _group(s_orgs, norm, before[-1]) if before else []
                with_ = [
                    o
                    for o in after[:1]
                    if re.search(
                        r"(?:与|和|同|跟|\bwith|\bbetween)\s*(?:the\s+)?$|^\s*(?:with|between)\b",
                        norm[trig.end() : o.start],
                        re.I,
                    )
                    or (
                        re.search(r"with$", trig.group(0), re.I)
                        and re.fullmatch(r"\s*(?:the\s+)?", norm[trig.end() : o.start], re.I)
                    )
                ]
                if with_:  # "partnered with A and the B": all listed after "with"
                    with_ = _group(s_orgs, norm, with_[0])
                if len(parties) == 1 and re.search(
                    r"(?:与|和|同|跟|with)\s*(?:the\s+)?$",
                    norm[max(lo, parties[0].start - 6) : parties[0].start],
                    re.I,
                ):
                    # X向Y拨款，并与其签订协议: the sentence's subject X partners with Y
                    subject = next(
                        (
                            o
                            for o in s_orgs
                            if o.end <= parties[0].start
                            and o.org_id != parties[0].org_id
                            and not _marked_receiver(norm, lo, o)
                        ),
                        None,
                    )
                    parties = ([subject] if subject is not None else []) + parties
                if len(parties) < 2 or with_:
                    # co-organizers are named with their verbs (由X主办、Y协办; 由X主办，A、B参会:
                    # no pair with A or B)
                    fill = (
                        [o for o in s_orgs if o not in parties and _HOSTS.match(norm, o.end)]
                        if relation == "co_organize"
                        else after[: 2 - len(parties)]
                    )
                    parties = parties + (with_ or fill)
            parties = list(dict.fromkeys(parties))
            for a, b in combinations(parties, 2):
                if a.org_id == b.org_id:
                    continue
                key = (*sorted((a.org_id, b.org_id)), lo)
                if key in seen:
                    continue
                seen.add(key)
                out.append(Partnership(a, b, relation, direction(a, b), _evidence(lo, hi, a, b)))
        if model is not None:
            out += _model_partnerships(norm, lo, hi, s_orgs, model, seen)
        if lists:
            together = _listed_together(norm, lo, hi, s_orgs)
            _add_pairs(out, seen, together, _sentence_relation(norm, lo, hi), lo, hi)
        apart, star = _listed_apart(norm, lo, hi, s_orgs) if lists else (set(), [])
        if apart:
            out[first_here:] = [
                q for q in out[first_here:] if frozenset((q.a.org_id, q.b.org_id)) not in apart
            ]
            _add_pairs(out, seen, star, "agreement", lo, hi)
    return out


def _add_pairs(
    out: list[Partnership],
    seen: set[tuple[str, str, int]],
    pairs: list[tuple[OrgMention, OrgMention]],
    relation: str,
    lo: int,
    hi: int,
) -> None:
    for a, b in pairs:
        if a.org_id == b.org_id:
            continue
        key = (*sorted((a.org_id, b.org_id)), lo)
        if key not in seen:
            seen.add(key)
            out.append(Partnership(a, b, relation, direction(a, b), _evidence(lo, hi, a, b)))


def _sentence_relation(norm: str, lo: int, hi: int) -> str:
    """The relation of the sentence's first partnership word, else `other`."""
    trig = _PARTNER.search(norm, lo, hi)
    return next(k for k, v in trig.groupdict().items() if v) if trig else "other"


def _model_partnerships(
    norm: str, lo: int, hi: int, s_orgs: list[OrgMention], model: Any, seen: set[Any]
) -> list[Partnership]:
    """Pairs of one sentence that the rules missed and the model finds partnering; the
    relation is that of the sentence's partnership trigger (else other)."""
    out: list[Partnership] = []
    relation = _sentence_relation(norm, lo, hi)
    for i, x in enumerate(s_orgs):
        for y in s_orgs[i + 1 :]:
            if x.org_id == y.org_id:
                continue
            key = (*sorted((x.org_id, y.org_id)), lo)
            if key in seen:
                continue
            if model.partner_proba(norm, lo, hi, x, y, s_orgs, False) >= model.thresholds.partner:
                seen.add(key)
                out.append(
                    Partnership(
                        x, y, relation, direction(x, y), _evidence(lo, hi, x, y), method="model"
                    )
                )
    return out
