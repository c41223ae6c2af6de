"""The gazetteer of sector organizations and name resolution: types and sectors, name endings
and the type they imply, alias lookup, and resolution of a name to a canonical organization.

A leaf of the organization layer (models.orgs finds mentions with it, models.ner and the type
classifier read it). A name is resolved in three steps: its exact alias, then its normalized
form (no spaces, punctuation, brackets or a leading "the"; case and script folded), then fuzzy
matching (rapidfuzz `ratio` >= FUZZY_THRESHOLD against gazetteer names of the same script and the
same implied type). Names that resolve nowhere get an id derived from their normalized name.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from qun.models.textutil import simplify

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
    "协作网络": "ngo",
    "公益网络": "ngo",
    "支援中心": "ngo",
    "互助社": "ngo",
    "食物银行": "ngo",
    "照顾网络": "ngo",
    "阅读中心": "ngo",
    "关怀中心": "ngo",
    "援助中心": "ngo",
    "儿童之家": "ngo",
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
    "电台": "media",
    "杂志社": "media",
    "出版社": "media",
    "总会": "ngo",
    "联谊会": "ngo",
    "互助会": "ngo",
    "助学社": "ngo",
    "公益社": "ngo",
    "读书会": "ngo",
    "救助会": "ngo",
    "救援志愿队": "ngo",
    "助学会": "ngo",
    "协进会": "ngo",
    "福利会": "ngo",
    "慈善信托基金": "foundation",
    "信托基金": "foundation",
    "慈善基金": "foundation",
    "公益基金": "foundation",
    "救援队": "ngo",
    "志愿服务队": "ngo",
    "分行": "business",
    "支行": "business",
    "分会": "ngo",
    "社会工作事务所": "ngo",
    "学系": "academic",
    "社工事务所": "ngo",
    "卫生健康局": "government",
    "教育体育局": "government",
    "社会福利署": "government",
    "事务署": "government",
    "事务局": "government",
    "事务总署": "government",
    "家庭署": "government",
    "医院": "other",
    "图书馆": "other",
    "博物馆": "other",
}
# Endings too common in ordinary words to take on their own (市中心, 格局, 总部): a name with one
# counts when its run before the ending is at least three characters and names a place or a
# field (北京市xx中心, 临沧市教育局, 南山区文化局), and its type comes from the name classifier.
ZH_WEAK_SUFFIXES: dict[str, str] = {
    "中心": "other",
    "局": "government",
    "署": "government",
    "厅": "government",
    "分局": "government",
    "公司": "business",
    # people's organizations of a place (陇南市妇联, 深圳市残联, 共青团广州市委)
    "妇联": "government",
    "残联": "government",
    "侨联": "government",
    "科协": "government",
    "文联": "government",
    "工商联": "government",
    "团委": "government",
    "团市委": "government",
}
SUFFIX_RX = "|".join(
    sorted(map(re.escape, {**ZH_SUFFIXES, **ZH_WEAK_SUFFIXES}), key=len, reverse=True)
)

EN_TYPES = {
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
    "Capital": "business",
    "Technology": "business",
    "Technologies": "business",
    "Logistics": "business",
    "Holdings": "business",
    "Ventures": "business",
    "Sports": "business",
    "Media": "media",
    "Cooperative": "ngo",
    "Volunteers": "ngo",
    "Settlement": "ngo",
    "Service": "ngo",
    "Services": "ngo",
    "Home": "ngo",
    "Mission": "ngo",
    "Hospital": "other",
    "Library": "other",
    "Museum": "other",
    "Club": "other",
    "Committee": "government",
    "Department": "government",
    "Partners": "business",
    "Stiftung": "foundation",
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


ZH_SUFFIX_END = re.compile(rf"(?:{SUFFIX_RX})$")


def zh_suffix_type(suffix: str) -> str:
    return ZH_SUFFIXES.get(suffix) or ZH_WEAK_SUFFIXES[suffix]


def suffix_type(name: str) -> str | None:
    """The type a name's ending implies (基金会 -> foundation, "... University" -> academic)."""
    norm = simplify(name.strip())
    m = ZH_SUFFIX_END.search(norm)
    if m:
        found = zh_suffix_type(m.group(0))
        return None if found == "other" else found
    words = norm.split()
    head = next((w for w in reversed(words) if w in EN_TYPES), None)
    return EN_TYPES[head] if head else None


def rule_org_id(name: str) -> str:
    """Id of an organization found by rules only: a hash of its normalized name."""
    return "r:" + hashlib.sha1(Gazetteer.key(name).encode("utf-8")).hexdigest()[:12]


# Fuzzy resolution: a name matches a gazetteer name of the same script and sector when
# rapidfuzz's ratio (normalized Indel similarity, 0-100) reaches this threshold. 91 accepts one
# added or dropped character on names of six or more characters (上海市慈善基金会 ~ 上海慈善基金会,
# 深圳市壹基金公益基金会 ~ 深圳壹基金公益基金会) and two on names of eleven or more, and rejects
# names that differ in a distinctive character (南京明德基金会 vs 北京明德基金会: 85.7) or add a
# word (中国妇女儿童发展基金会 vs 中国妇女发展基金会: 90.0).
FUZZY_THRESHOLD = 91.0
FUZZY_MIN_LENGTH = 5
_PUNCT = re.compile(r"[\s·・.,，、'’\"“”「」『』()（）\[\]【】《》<>-]+")


def normalize_name(name: str) -> str:
    """The normalized form used for the second and third resolution steps."""
    key = Gazetteer.key(name)
    key = re.sub(r"^the\s+|'s$|’s$", "", key)
    return _PUNCT.sub("", key)


HAN = re.compile(r"[\u3400-\u9fff]")


def is_latin(name: str) -> bool:
    return bool(re.search(r"[a-z]", name)) and not re.search(r"[\u3400-\u9fff]", name)


@functools.cache
def _normalized_index(gazetteer: Gazetteer) -> dict[str, str]:
    return {normalize_name(alias): oid for alias, oid in gazetteer.aliases.items()}


@functools.cache
def _fuzzy_choices(gazetteer: Gazetteer, latin: bool) -> tuple[list[str], list[str]]:
    names, ids = [], []
    for key, oid in _normalized_index(gazetteer).items():
        if len(key) >= FUZZY_MIN_LENGTH and is_latin(key) == latin:
            names.append(key)
            ids.append(oid)
    return names, ids


@functools.lru_cache(maxsize=65536)
def _resolve_cached(gazetteer: Gazetteer, name: str) -> tuple[str, str] | None:
    oid = gazetteer.aliases.get(Gazetteer.key(name))
    if oid:
        return oid, "exact"
    norm = normalize_name(name)
    oid = _normalized_index(gazetteer).get(norm)
    if oid:
        return oid, "normalized"
    if len(norm) < FUZZY_MIN_LENGTH:
        return None
    names, ids = _fuzzy_choices(gazetteer, is_latin(norm))
    implied = suffix_type(name)
    for _, score, i in process.extract(
        norm, names, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, limit=5
    ):
        org = gazetteer.orgs[ids[i]]
        if implied is None or SECTOR_OF[implied] == org.sector:
            return org.org_id, f"fuzzy:{score:.0f}"
    return None


def resolve(name: str, gazetteer: Gazetteer | None = None) -> tuple[str, str] | None:
    """(org_id, how) for a name: exact alias, normalized alias or fuzzy match; else None."""
    return _resolve_cached(gazetteer or load_gazetteer(), name)


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
