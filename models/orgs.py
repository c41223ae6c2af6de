"""Organization mentions: a gazetteer of sector organizations plus Chinese suffix rules and
English name patterns, each mention resolved to a canonical organization and typed.

Gazetteer names win over rule hits; rule hits get an id derived from their normalized name.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from models.textutil import simplify

GAZETTEER = Path(__file__).with_name("data") / "gazetteer.tsv"
TYPES = (
    "foundation",
    "ngo",
    "business",
    "government",
    "academic",
    "media",
    "international",
    "other",
)
SECTOR_OF = {
    "foundation": "nonprofit",
    "ngo": "nonprofit",
    "business": "business",
    "government": "government",
    "academic": "academic",
    "media": "media",
    "international": "international",
    "other": "unknown",
}

# Chinese name endings and the type they imply, longest first.
ZH_SUFFIXES: dict[str, str] = {
    "公益基金会": "foundation",
    "慈善基金会": "foundation",
    "基金会": "foundation",
    "慈善总会": "ngo",
    "联会": "ngo",
    "慈善会": "ngo",
    "红十字会": "ngo",
    "促进会": "ngo",
    "联合会": "ngo",
    "协会": "ngo",
    "学会": "ngo",
    "研究会": "ngo",
    "商会": "ngo",
    "联盟": "ngo",
    "公益服务中心": "ngo",
    "社会工作服务中心": "ngo",
    "社会工作发展中心": "ngo",
    "社工服务中心": "ngo",
    "发展中心": "ngo",
    "服务中心": "ngo",
    "服务社": "ngo",
    "关爱中心": "ngo",
    "支持中心": "ngo",
    "互助中心": "ngo",
    "救助中心": "ngo",
    "保护中心": "ngo",
    "成长中心": "ngo",
    "促进中心": "ngo",
    "营造中心": "ngo",
    "志愿者协会": "ngo",
    "公益组织发展中心": "ngo",
    "研究中心": "academic",
    "研究院": "academic",
    "研究所": "academic",
    "大学": "academic",
    "学院": "academic",
    "科学院": "academic",
    "民政局": "government",
    "民政厅": "government",
    "人民政府": "government",
    "委员会": "government",
    "办公室": "government",
    "管理局": "government",
    "政府": "government",
    "民政部": "government",
    "财政局": "government",
    "教育局": "government",
    "有限公司": "business",
    "股份公司": "business",
    "集团": "business",
    "银行": "business",
    "报社": "media",
    "日报": "media",
    "电视台": "media",
    "杂志社": "media",
    "出版社": "media",
}
_SUFFIX_RX = "|".join(sorted(map(re.escape, ZH_SUFFIXES), key=len, reverse=True))
# A name is a run of Chinese characters (and a few marks) before the suffix. The run is trimmed
# at the last function word or verb so "明德基金会资助晨光社区发展中心" yields two names.
_ZH_RULE = re.compile(
    rf"[\u4e00-\u9fff·（）()A-Za-z0-9]{{1,16}}?(?P<suffix>{_SUFFIX_RX})(?!生|校区|路)"
)
_BREAKERS = re.compile(
    r".*(?:的|和|与|及|向|为|在|由|对|是|了|将|把|被|从|给|等|并|或|已|还|就|"
    r"支付|收到|接受|获得|拨付|拨款|捐给|资助了|感谢|通过|"
    r"资助|支持|联合|发起|举办|主办|承办|协办|签署|签约|成立|加入|宣布|获得|捐赠|捐资|捐款|"
    r"委托|携手|通过|包括|其中|以及|来自|作为|担任|代表|表示|认为|指出|介绍|邀请|参与|推动|"
    r"召开|出席|启动|设立|牵头|合作|共同|分别|先后|多家|各地|该|这|此|其|"
    r"\d{1,4}年|\d{1,2}月|\d{1,2}日|[A-Za-z0-9]+(?=[\u4e00-\u9fff]))"
)
_EN_HEAD = (
    r"Foundation|Association|Institute|University|Council|Center|Centre|Alliance|"
    r"Network|Bureau|Fund|Group|Company|Corporation|Academy|Society|Federation|Trust|"
    r"Commission|Ministry|Office|Agency|Incubator|Forum|College|School|Bank"
)
_EN_RULE = re.compile(
    rf"\b(?:(?:[A-Z][A-Za-z&'.-]+|of|for|and|the)\s+){{0,6}}(?:{_EN_HEAD})"
    rf"(?:\s+(?:of|for)(?:\s+(?:the\s+)?[A-Z][A-Za-z&'.-]+)+)?"
)
_EN_TYPES = {
    "Foundation": "foundation",
    "Fund": "foundation",
    "Trust": "foundation",
    "Association": "ngo",
    "Alliance": "ngo",
    "Network": "ngo",
    "Society": "ngo",
    "Federation": "ngo",
    "Center": "ngo",
    "Centre": "ngo",
    "Incubator": "ngo",
    "Forum": "ngo",
    "Council": "ngo",
    "University": "academic",
    "Institute": "academic",
    "Academy": "academic",
    "College": "academic",
    "School": "academic",
    "Ministry": "government",
    "Bureau": "government",
    "Commission": "government",
    "Office": "government",
    "Agency": "government",
    "Group": "business",
    "Company": "business",
    "Corporation": "business",
    "Bank": "business",
}


@dataclass(frozen=True)
class Org:
    org_id: str
    name_zh: str
    name_en: str
    type: str
    sector: str

    @property
    def canonical(self) -> str:
        return self.name_zh or self.name_en


@dataclass(frozen=True)
class OrgMention:
    text: str
    start: int
    end: int
    org_id: str
    canonical: str
    type: str
    sector: str
    method: str  # gazetteer | rule


class Gazetteer:
    """Alias lookup by longest match; Chinese on simplified text, English on word boundaries."""

    def __init__(self, orgs: dict[str, Org], aliases: dict[str, str]) -> None:
        self.orgs = orgs
        self.aliases = aliases  # normalized alias -> org_id
        self.lengths: dict[str, list[int]] = {}
        for alias in aliases:
            self.lengths.setdefault(alias[0], []).append(len(alias))
        for first, lens in self.lengths.items():
            self.lengths[first] = sorted(set(lens), reverse=True)

    @staticmethod
    def key(name: str) -> str:
        name = simplify(name.strip())
        return name.lower() if re.search(r"[a-z]", name, re.I) else name

    def scan(self, norm: str) -> list[tuple[int, int, str]]:
        """(start, end, org_id) for the longest alias at each position, left to right."""
        low = norm.lower()
        out: list[tuple[int, int, str]] = []
        i, n = 0, len(norm)
        while i < n:
            lens = self.lengths.get(low[i])
            hit = None
            if lens and not (
                low[i].isascii()
                and low[i].isalnum()
                and i
                and low[i - 1].isascii()
                and low[i - 1].isalnum()
            ):
                for k in lens:
                    if i + k > n:
                        continue
                    org = self.aliases.get(low[i : i + k])
                    if org is None:
                        continue
                    end_ok = not (
                        low[i + k - 1].isascii()
                        and low[i + k - 1].isalnum()
                        and i + k < n
                        and low[i + k].isascii()
                        and low[i + k].isalnum()
                    )
                    if end_ok:
                        hit = (i, i + k, org)
                        break
            if hit:
                out.append(hit)
                i = hit[1]
            else:
                i += 1
        return out


@functools.cache
def load_gazetteer(path: Path = GAZETTEER) -> Gazetteer:
    orgs: dict[str, Org] = {}
    aliases: dict[str, str] = {}
    with Path(path).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            org = Org(row["org_id"], row["name_zh"], row["name_en"], row["type"], row["sector"])
            orgs[org.org_id] = org
            names = [row["name_zh"], row["name_en"], *row["aliases"].split("|")]
            for name in filter(None, (n.strip() for n in names)):
                aliases.setdefault(
                    Gazetteer.key(re.sub(r"^the\s+", "", name, flags=re.I)), org.org_id
                )
    return Gazetteer(orgs, aliases)


def rule_org_id(name: str) -> str:
    """Id of an organization found by rules only: a hash of its normalized name."""
    return "r:" + hashlib.sha1(Gazetteer.key(name).encode("utf-8")).hexdigest()[:12]


def _zh_rule_hits(norm: str) -> list[tuple[int, int, str]]:
    hits = []
    for m in _ZH_RULE.finditer(norm):
        start, end, suffix = m.start(), m.end(), m.group("suffix")
        cut = _BREAKERS.match(norm, start, m.start("suffix"))
        if cut:
            start = cut.end()
        if m.start("suffix") - start < 2 or end - start < 4:
            continue
        hits.append((start, end, ZH_SUFFIXES[suffix]))
    return hits


def _en_rule_hits(text: str) -> list[tuple[int, int, str]]:
    hits = []
    for m in _EN_RULE.finditer(text):
        name = m.group(0)
        words = name.split()
        while words and (words[0] in ("of", "for", "and", "the", "The") or words[0].endswith("'s")):
            words.pop(0)
        if len(words) < 2:
            continue
        start = m.start() + name.find(words[0])
        head = next((w for w in reversed(words) if w in _EN_TYPES), None)
        otype = _EN_TYPES.get(head or "", "other")
        hits.append((start, m.end(), otype))
    return hits


def find_orgs(text: str, gazetteer: Gazetteer | None = None) -> list[OrgMention]:
    """Organization mentions with offsets into `text`, each resolved and typed."""
    gaz = gazetteer or load_gazetteer()
    norm = simplify(text)
    mentions: list[OrgMention] = []
    taken = bytearray(len(norm))
    for start, end, oid in gaz.scan(norm):
        org = gaz.orgs[oid]
        mentions.append(
            OrgMention(
                text[start:end], start, end, oid, org.canonical, org.type, org.sector, "gazetteer"
            )
        )
        taken[start:end] = b"\x01" * (end - start)
    for start, end, otype in [*_zh_rule_hits(norm), *_en_rule_hits(norm)]:
        if any(taken[start:end]):
            # A longer rule name that contains a gazetteer name (e.g. a branch) stays unlinked.
            continue
        name = norm[start:end]
        mentions.append(
            OrgMention(
                text[start:end],
                start,
                end,
                rule_org_id(name),
                name,
                otype,
                SECTOR_OF[otype],
                "rule",
            )
        )
        taken[start:end] = b"\x01" * (end - start)
    mentions.sort(key=lambda m: m.start)
    return mentions


def canonical_table(gazetteer: Gazetteer | None = None) -> list[dict[str, object]]:
    """The gazetteer's organizations as rows: id, names, aliases, type and sector."""
    gaz = gazetteer or load_gazetteer()
    aliases: dict[str, list[str]] = {}
    for alias, oid in gaz.aliases.items():
        aliases.setdefault(oid, []).append(alias)
    return [
        {
            "org_id": o.org_id,
            "canonical": o.canonical,
            "name_zh": o.name_zh or None,
            "name_en": o.name_en or None,
            "aliases": sorted(aliases.get(o.org_id, [])),
            "type": o.type,
            "sector": o.sector,
            "in_gazetteer": True,
        }
        for o in gaz.orgs.values()
    ]
