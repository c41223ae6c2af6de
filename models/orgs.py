"""Organization mentions: a gazetteer of sector organizations plus Chinese suffix rules and
English name patterns, each mention resolved to a canonical organization and typed.

Gazetteer names win over rule hits. A name found by rules is resolved in three steps: its exact
alias, then its normalized form (no spaces, punctuation, brackets or a leading "the"; case and
script folded), then fuzzy matching (rapidfuzz `ratio` >= FUZZY_THRESHOLD against gazetteer
names of the same script and the same implied type). Names that resolve nowhere get an id
derived from their normalized name.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

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
    r".*(?:该校|本校|我校|全校|的|和|与|及|向|为|在|由|对|是|了|将|把|被|从|给|等|并|或|已|还|就|"
    r"支付|收到|接受|获得|拨付|拨款|捐给|资助了|感谢|通过|"
    r"资助|支持|联合|发起|举办|主办|承办|协办|签署|签约|成立|加入|宣布|获得|捐赠|捐资|捐款|"
    r"委托|携手|通过|包括|其中|以及|来自|作为|担任|代表|表示|认为|指出|介绍|邀请|参与|推动|"
    r"召开|出席|启动|设立|牵头|合作|共同|分别|先后|多家|各地|该|这|此|其|有|予|记者|学者|以|于|"
    r"依托|携带|调动|随着|承接|争取|按照|关于|单靠|继续|发挥|评估|提升|探索|扩大|申请|目前|"
    r"如果|不再|一道|愿意|做|报告|很可能会|移交|走进|专访|看作|纳入|依靠|加上|看到|衡量|听取|"
    r"组成|受|但|便|[0-9一二三四五六七八九十百千万]+(?:所|家|个)|"
    r"\d{1,4}年|\d{1,2}月|\d{1,2}日|[A-Za-z0-9]+(?=[\u4e00-\u9fff]))"
)
_EN_HEAD = (
    r"Foundation|Association|Institute|University|Council|Center|Centre|Alliance|"
    r"Network|Bureau|Fund|Group|Company|Corporation|Academy|Society|Federation|Trust|"
    r"Commission|Ministry|Office|Agency|Incubator|Forum|College|School|Bank|Capital|"
    r"Technology|Technologies|Logistics|Holdings|Ventures|Sports|Media|Cooperative|Volunteers"
)
_EN_RULE = re.compile(
    rf"\b(?:(?:[A-Z][A-Za-z&'.-]+|of|for|and|the)[ \t]+){{0,6}}(?:{_EN_HEAD})"
    rf"(?:[ \t]+(?:of|for)(?:[ \t]+(?:the[ \t]+)?[A-Z][A-Za-z&'.-]+)+)?"
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
    "Capital": "business",
    "Technology": "business",
    "Technologies": "business",
    "Logistics": "business",
    "Holdings": "business",
    "Ventures": "business",
    "Sports": "business",
    "Media": "media",
    "Cooperative": "other",
    "Volunteers": "ngo",
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
    method: str  # gazetteer | rule | model


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


_ZH_SUFFIX_END = re.compile(rf"(?:{_SUFFIX_RX})$")


def suffix_type(name: str) -> str | None:
    """The type a name's ending implies (基金会 -> foundation, "... University" -> academic)."""
    norm = simplify(name.strip())
    m = _ZH_SUFFIX_END.search(norm)
    if m:
        return ZH_SUFFIXES[m.group(0)]
    words = norm.split()
    head = next((w for w in reversed(words) if w in _EN_TYPES), None)
    return _EN_TYPES[head] if head else None


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


def _is_latin(name: str) -> bool:
    return bool(re.search(r"[a-z]", name)) and not re.search(r"[\u3400-\u9fff]", name)


@functools.cache
def _normalized_index(gazetteer: Gazetteer) -> dict[str, str]:
    return {normalize_name(alias): oid for alias, oid in gazetteer.aliases.items()}


@functools.cache
def _fuzzy_choices(gazetteer: Gazetteer, latin: bool) -> tuple[list[str], list[str]]:
    names, ids = [], []
    for key, oid in _normalized_index(gazetteer).items():
        if len(key) >= FUZZY_MIN_LENGTH and _is_latin(key) == latin:
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
    names, ids = _fuzzy_choices(gazetteer, _is_latin(norm))
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


# A run before the suffix made only of these words describes a kind of organization, not a
# named one: 运作型基金会, 两家基金会, 一些大型基金会, 国内数千家基金会, 地方政府.
_GENERIC_PREFIX = re.compile(
    r"(?:[0-9一二两三四五六七八九十百千万数几多每各某本该这那]+(?:家|个|所|类|些)?|"
    r"一些|不少|更多|许多|众多|部分|大量|国内|内地|境内|境外|海外|全国性?|地方性?|全省|全市|"
    r"大型|小型|中小型?|企业|公募|非公募|独立|运作型|资助型|平台型|枢纽型|支持型|行业|"
    r"社区|民间|草根|传统|新型|其他|其它|相关|当地|本地|基层|各级|上级|年度|过去|今年|"
    r"去年|明年|八年|疫情下|起|的|中国|我国|国际|不同|全部|所有|多少|一批|相当|一部分|余|位|"
    r"区域性?|互联网|受访|环保)+"
)
_PROGRAMME_AFTER = re.compile(r"[」”』\"]?(?:项目|计划|行动|工程|品牌)")
_GOVERNMENT_PLACE_END = re.compile(r"[省市县区镇乡州旗盟]$|自治区$|特区$|特别行政区$")


def _zh_rule_hits(norm: str) -> list[tuple[int, int, str]]:
    hits = []
    for m in _ZH_RULE.finditer(norm):
        start, end, suffix = m.start(), m.end(), m.group("suffix")
        cut = _BREAKERS.match(norm, start, m.start("suffix"))
        if cut:
            start = cut.end()
        prefix = norm[start : m.start("suffix")]
        opened = max(prefix.rfind("（"), prefix.rfind("("))
        if opened >= 0 and not re.search(r"[)）]", prefix[opened:]):
            start += opened + 1  # 杨春生（云岭乡村教育促进会 -> 云岭乡村教育促进会
            prefix = norm[start : m.start("suffix")]
        if len(prefix) < 2 or end - start < 4 or _GENERIC_PREFIX.fullmatch(prefix):
            continue
        if _PROGRAMME_AFTER.match(norm, end):
            continue  # “乡村儿童之家”项目: a programme named after a kind of organization
        if suffix == "政府" and not _GOVERNMENT_PLACE_END.search(prefix):
            continue  # 地方政府, 承接政府, 非政府: not a named government
        hits.append((start, end, ZH_SUFFIXES[suffix]))
    return hits


# A quoted Chinese name (「雲帆科技」) counts as an organization when it ends in a word that
# names a kind of organization only loosely (too loose for unquoted text); quoted programme
# names (「乡村阅读计划」) do not.
_QUOTED = re.compile(r"[「“『\"]([\u4e00-\u9fffA-Za-z0-9·]{2,14})[」”』\"]")
QUOTED_ENDINGS: dict[str, str] = {
    **{
        w: "business"
        for w in (
            "科技",
            "物流",
            "资本",
            "传媒",
            "咨询",
            "实业",
            "控股",
            "能源",
            "体育",
            "医疗",
            "地产",
            "置业",
            "电子",
            "网络科技",
            "投资",
        )
    },
    **{w: "foundation" for w in ("基金", "发展基金", "慈善基金")},
    **{
        w: "ngo"
        for w in (
            "空间",
            "之家",
            "书院",
            "学堂",
            "工作室",
            "社工",
            "志愿队",
            "救援队",
            "合作社",
            "服务队",
            "公益",
            "家园",
            "青年会",
        )
    },
}
_QUOTED_END = re.compile("(?:" + "|".join(sorted(QUOTED_ENDINGS, key=len, reverse=True)) + ")$")


def _quoted_hits(norm: str) -> list[tuple[int, int, str]]:
    hits = []
    for m in _QUOTED.finditer(norm):
        name = m.group(1)
        otype = suffix_type(name)
        if otype is None:
            end = _QUOTED_END.search(name)
            if not end or len(name) - len(end.group(0)) < 2:
                continue
            otype = QUOTED_ENDINGS[end.group(0)]
        if _PROGRAMME_AFTER.match(norm, m.end(1)):
            continue
        hits.append((m.start(1), m.end(1), otype))
    return hits


def _en_rule_hits(text: str) -> list[tuple[int, int, str]]:
    hits = []
    for m in _EN_RULE.finditer(text):
        # "X Foundation and Y Foundation" is two names: split at "and" after a head word.
        pieces, offset = [], m.start()
        for part in re.split(r"(?<=\S)( and )", m.group(0)):
            if part == " and ":
                offset += len(part)
                continue
            if pieces and pieces[-1][1].split()[-1] not in _EN_TYPES:
                start, prev = pieces.pop()
                pieces.append((start, f"{prev} and {part}"))
            else:
                pieces.append((offset, part))
            offset += len(part)
        for piece_start, name in pieces:
            words = name.split()
            owner = [i for i, w in enumerate(words) if w.endswith(("'s", "’s"))]
            if owner:  # "Hong Kong's Harbour Hope Foundation" -> the name after the owner
                words = words[owner[-1] + 1 :]
            while words and words[0] in ("of", "for", "and", "the", "The"):
                words.pop(0)
            if len(words) < 2:
                continue
            start = piece_start + name.find(words[0])
            end = piece_start + len(name)
            if name.endswith(".") and not _ABBREVIATION_END.search(name):
                end -= 1  # the sentence's full stop, not part of the name
            head = next(
                (w.rstrip(".") for w in reversed(words) if w.rstrip(".") in _EN_TYPES), None
            )
            otype = _EN_TYPES.get(head or "", "other")
            hits.append((start, end, otype))
    return hits


# Head words that also end ordinary phrases ("Social Media", "Venture Capital"): a name ending
# in one counts only where the statistical recognizer also sees an organization.
_SOFT_HEADS = frozenset(
    "Capital Technology Technologies Logistics Holdings Ventures Sports Media Cooperative "
    "Volunteers".split()
)
_ABBREVIATION_END = re.compile(r"\b(?:Inc|Ltd|Co|Corp|Bros|St|[A-Z])\.$")
_HEADLINE_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def _is_headline(line: str) -> bool:
    """A Title Case line (most words capitalized), where capitalization says nothing."""
    words = [w for w in _HEADLINE_WORD.findall(line) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _line_at(text: str, i: int) -> str:
    start = text.rfind("\n", 0, i) + 1
    end = text.find("\n", i)
    return text[start : end if end >= 0 else len(text)]


def _refine_en_hits(
    text: str, hits: list[tuple[int, int, str]], spans: list[tuple[int, int]]
) -> list[tuple[int, int, str]]:
    """English rule hits checked against the statistical recognizer's ORG spans: a hit that
    ends where a recognized name ends starts where that name starts (the rule's greedy left
    edge takes capitalized non-name words); a hit on a Title Case line needs a recognized name
    overlapping it."""
    out = []
    for start, end, otype in hits:
        overlapping = [(a, b) for a, b in spans if a < end and start < b]
        soft = text[start:end].split()[-1] in _SOFT_HEADS
        if not overlapping and (soft or _is_headline(_line_at(text, start))):
            continue
        for a, b in overlapping:
            b_core = b - 2 if text[b - 2 : b] in ("'s", "’s") else b
            if start < a < end and b_core == end:
                start = a
        out.append((start, end, otype))
    return out


_MONEY_TAIL = re.compile(r"\s+(?:and\s+)?(?:RMB|USD|HKD|CNY|EUR|US\$|HK\$|yuan|dollars?)\b.*")
_NAME_WORD = re.compile(r"^(?:[A-Z0-9][\w&'.-]*|of|for|and|the|on|in|&)$")


_GENERIC_HEAD = re.compile(
    r"(?:机构|组织|单位|部门|社区|公益|慈善|信托|经验|秘书处|子公司|分公司|居委会|村委会)$"
)


def _generic_zh_name(name: str) -> bool:
    """A kind of organization rather than a named one: a bare suffix (基金会), generic words
    before it (地方政府, 公募基金会), or a generic head (公益机构, 社区社会组织)."""
    m = _ZH_SUFFIX_END.search(name)
    prefix = name[: m.start()] if m else name
    if m and (not prefix or _GENERIC_PREFIX.fullmatch(prefix)):
        return True
    if m and m.group(0) == "政府" and not _GOVERNMENT_PLACE_END.search(prefix):
        return True
    return bool(_GENERIC_HEAD.search(name)) or name.startswith("非")


def _plausible_model_name(name: str, resolved: bool) -> bool:
    """A statistical span worth keeping: resolvable in the gazetteer, or for English two or
    more name words without digits, or for Chinese two or more characters."""
    if resolved:
        return True
    if re.search(r"[\u3400-\u9fff]", name):
        return (
            len(name) >= 3
            and not re.search(r"[\s，。、；：！？]", name)
            and not _generic_zh_name(name)
        )
    words = name.split()
    return (
        len(words) >= 2
        and all(_NAME_WORD.match(w) for w in words)
        and not re.search(r"\d", name)
        and words[-1][0].isupper()
    )


# Statistical recognizers used by default. English: spaCy's model raises document-level F1 on
# the sample site's English documents (.897 -> .914). Chinese: on the sample site's Chinese
# documents the trained model adds 2 correct names and 23 wrong ones (F1 .919 -> .902) and is
# far slower than the rules, so it runs only when asked for ("zh"; `--statistical en,zh`).
STATISTICAL_DEFAULT: frozenset[str] = frozenset({"en"})


def find_orgs(
    text: str,
    gazetteer: Gazetteer | None = None,
    statistical: Iterable[str] = STATISTICAL_DEFAULT,
) -> list[OrgMention]:
    """Organization mentions with offsets into `text`, each resolved and typed.

    Order of precedence: gazetteer names, then rule names (suffixes, English head words), then
    names from the statistical recognizers (`models/ner.py`) in the gaps, for the languages in
    `statistical` ("en": spaCy's English model, on by default; "zh": the trained Chinese model,
    off by default, see STATISTICAL_DEFAULT)."""
    gaz = gazetteer or load_gazetteer()
    norm = simplify(text)
    spans: list[tuple[int, int]] = []
    if statistical:
        from models.ner import recognize

        spans = recognize(norm, frozenset(statistical))
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
    en_hits = _refine_en_hits(norm, _en_rule_hits(norm), spans)
    for start, end, otype in [*_zh_rule_hits(norm), *_quoted_hits(norm), *en_hits]:
        if any(taken[start:end]):
            # A longer rule name that contains a gazetteer name (e.g. a branch) stays unlinked.
            continue
        mentions.append(_rule_mention(text, norm, start, end, otype, gaz, "rule"))
        taken[start:end] = b"\x01" * (end - start)
    for start, end in spans:
        name = norm[start:end]
        trimmed = re.sub(r"^(?:the|The)\s+", "", name)
        start += len(name) - len(trimmed)
        if trimmed.endswith(("'s", "’s")):
            end -= 2
        money = _MONEY_TAIL.search(norm, start, end)
        if money:  # "Lotus Migrant Workers' Home and RMB" -> "Lotus Migrant Workers' Home"
            end = money.start()
        if end - start < 2 or any(taken[start:end]):
            continue
        name = norm[start:end]
        if not _plausible_model_name(name, resolve(name, gaz) is not None):
            continue
        mentions.append(_rule_mention(text, norm, start, end, "other", gaz, "model"))
        taken[start:end] = b"\x01" * (end - start)
    mentions.sort(key=lambda m: m.start)
    return mentions


def _rule_mention(
    text: str, norm: str, start: int, end: int, otype: str, gaz: Gazetteer, method: str
) -> OrgMention:
    """A mention found outside the gazetteer scan, resolved through `resolve`."""
    name = norm[start:end]
    hit = resolve(name, gaz)
    if hit:
        org = gaz.orgs[hit[0]]
        return OrgMention(
            text[start:end], start, end, org.org_id, org.canonical, org.type, org.sector, method
        )
    if otype == "other":
        otype = classify_type(name)
    return OrgMention(
        text[start:end], start, end, rule_org_id(name), name, otype, SECTOR_OF[otype], method
    )


TYPE_MIN_PROBABILITY = 0.5


@functools.lru_cache(maxsize=65536)
def classify_type(name: str) -> str:
    """The type a name's suffix implies, else the name classifier's (when it is at least
    TYPE_MIN_PROBABILITY sure), else other."""
    implied = suffix_type(name)
    if implied:
        return implied
    return _model_type(name, TYPE_MIN_PROBABILITY)


def _model_type(name: str, min_probability: float) -> str:
    from models import orgtypes

    model = orgtypes.load()
    if model is None:
        return "other"
    otype, p = model.predict([name])[0]
    return otype if p >= min_probability else "other"


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
