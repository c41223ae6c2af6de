"""A user's own registry (`--registry FILE`, `QUN_REGISTRY`) crawled like the bundled one; sources
on private addresses only with `--allow-private`; each site's template (nav, related links,
footer) learnt from its own pages and kept out of `text`; a reprint under another template with
a 转自 line linked to its original."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qun.datasets import documents, store
from qun.spiders.devserver import SiteServer
from tests.conftest import qun

PARAS = [
    "社区基金会在本地治理中扮演着越来越重要的角色，它们把居民、企业和政府部门连接在一起。",
    "据介绍，这个项目由多家社会组织共同发起，参与者定期交流各自的服务数据。",
    "项目负责人表示，共同议程和共享测量是合作能够持续的关键。",
    "今年以来，已有十二家机构加入联合行动，覆盖三个街道的两千多户家庭。",
    "下一步，各方将建立统一的数据平台，让每一家机构都能看到整体进展。",
    "专家认为，这种横向合作在基层公益组织中还不多见，值得总结推广。",
]
RELATED = [
    "乡村教师培训计划启动报名",
    "多家基金会联合发布年度报告",
    "社区养老服务站今年新增十处",
    "公益组织数字化转型研讨会举行",
    "青少年阅读推广项目走进山区",
    "城市流动儿童关爱行动开展",
]
NAV_A = ["首页", "公益资讯", "行业观察", "基金会动态", "关于我们"]
FOOTER_A = "版权所有 © 测试公益网 京ICP备12345678号"
NAV_B = ["头条", "要闻速递", "慈善周刊", "专题策划"]
FOOTER_B = "本站稿件未经授权不得转载 联系电话 010-12345678"


def _article_a(i: int) -> str:
    body = "".join(f"<p>{PARAS[(i + k) % len(PARAS)]}第{i}篇第{k}段。</p>" for k in range(4))
    related = "".join(
        f'<li><a href="/a/{(i + k) % 8 + 1}.html">{RELATED[(i + k) % 6]}</a></li>' for k in range(4)
    )
    nav = "".join(f'<li><a href="/c/{k}.html">{n}</a></li>' for k, n in enumerate(NAV_A))
    head = f'<meta charset="utf-8"><title>合作行动第{i}篇 - 测试公益网</title>'
    return f"""<!doctype html><html><head>{head}</head>
<body><div class="header"><ul class="nav">{nav}</ul></div>
<div class="main"><h1>合作行动第{i}篇：社区机构联手服务居民</h1>
<div class="info">2024-05-{i:02d} 10:00 来源：测试公益网</div>
<div class="content">{body}</div>
<div class="related"><h3>相关阅读</h3><ul>{related}</ul></div>
<div class="hot"><h3>热门推荐</h3><ul><li><a href="/a/1.html">{RELATED[i % 6]}</a></li></ul></div>
</div><div class="footer"><p>{FOOTER_A}</p></div></body></html>"""


def _article_b(i: int, reprint: str | None = None) -> str:
    nav = " | ".join(f'<a href="/n/{k}">{n}</a>' for k, n in enumerate(NAV_B))
    if reprint is None:
        body = f"<p>第{i}号简讯：{PARAS[i % len(PARAS)]}</p>"  # short: the template shows
        title = f"简讯第{i}号"
    else:
        body = "<p>转自：测试公益网</p>" + reprint
        title = "社区机构联手服务居民（转载）"
    return f"""<html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div id="top">{nav}</div><table><tr><td><h2>{title}</h2><span>发布时间：2024年5月{10 + i}日</span>
<div id="text">{body}</div></td></tr></table>
<div id="bottom">{FOOTER_B}</div></body></html>"""


def _site(root: Path) -> None:
    a = root / "127.0.0.1"
    (a / "a").mkdir(parents=True)
    for i in range(1, 9):
        (a / "a" / f"{i}.html").write_text(_article_a(i), "utf-8")
    links = "".join(f'<a href="/a/{i}.html">第{i}篇</a>' for i in range(1, 9))
    (a / "index.html").write_text(f"<html><body>{links}</body></html>", "utf-8")
    b = root / "localhost"
    (b / "n").mkdir(parents=True)
    original = _article_a(3)
    body = original[
        original.index('<div class="content">') + 21 : original.index(
            '</div>\n<div class="related">'
        )
    ]
    for i in range(1, 6):
        (b / "n" / f"{i}.html").write_text(_article_b(i, body if i == 5 else None), "utf-8")
    links = "".join(f'<a href="/n/{i}.html">{i}</a>' for i in range(1, 6))
    (b / "list.html").write_text(f"<html><body>{links}</body></html>", "utf-8")


def _registry(path: Path, port: int) -> Path:
    path.write_text(
        f"""sources:
  - id: test-a
    outlet: 测试公益网
    kind: media
    lang: zh-Hans
    domains: [127.0.0.1]
    listings: ["http://127.0.0.1:{port}/index.html"]
    articles: ['/a/\\d+\\.html$']
  - id: test-b
    outlet: 简讯网
    kind: media
    lang: zh-Hans
    domains: [localhost]
    listings: ["http://localhost:{port}/list.html"]
    articles: ['/n/\\d+\\.html$']
""",
        "utf-8",
    )
    return path


@pytest.fixture
def own_site(tmp_path: Path):
    _site(tmp_path / "site")
    with SiteServer(root=tmp_path / "site") as server:
        port = int(server.url.rsplit(":", 1)[1])
        yield _registry(tmp_path / "sources.yaml", port)


def test_sources_lists_a_users_registry(own_site: Path):
    listed = json.loads(qun("sources", "--registry", str(own_site), "--json").stdout)
    assert [s["id"] for s in listed] == ["test-a", "test-b"]
    bad = own_site.with_name("bad.yaml")
    bad.write_text("sources:\n  - id: x\n", "utf-8")
    proc = qun("sources", "--registry", str(bad), check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("qun: error: source 'x': missing")


def test_private_sources_need_allow_private(own_site: Path, tmp_path: Path):
    args = ["crawl", "--registry", str(own_site), "--sources", "test-a", "--fast"]
    proc = qun(*args, "--data-dir", str(tmp_path / "d"), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "qun: error: source test-a: 127.0.0.1 is a non-public address (127.0.0.1); crawling it "
        "needs --allow-private (for intranets and local mirrors)"
    )
    assert not (tmp_path / "d").exists()


def test_own_sources_crawl_without_their_templates(own_site: Path, tmp_path: Path):
    data = tmp_path / "d"
    env_free = ["--registry", str(own_site), "--sources", "test-a,test-b", "--fast"]
    qun("crawl", *env_free, "--allow-private", "--data-dir", str(data))
    docs = store.read(documents.SPEC, data).to_pylist()
    assert len(docs) == 13
    for doc in docs:
        for block in (*NAV_A, *NAV_B, *RELATED, FOOTER_A, FOOTER_B, "相关阅读", "热门推荐"):
            assert block not in doc["text"], (doc["url"], block)
        assert doc["title"] not in doc["text"]
    by_url = {d["url"].rsplit("/", 2)[-2] + "/" + d["url"].rsplit("/", 1)[-1]: d for d in docs}
    reprint, original = by_url["n/5.html"], by_url["a/3.html"]
    assert reprint["duplicate_of"] == original["doc_id"]
    assert PARAS[3] in original["text"]


# ---- the template's parts, one by one ------------------------------------------------------------
def test_repeated_lines_are_counted_once_per_page():
    from qun.spiders.template import repeated_lines

    pages = ["导航 | 首页\n正文一\n导航 | 首页", "导航  |  首页\n正文二", "导航 | 首页\n正文三"]
    assert repeated_lines(pages) == {"导航 | 首页": 3}
    assert repeated_lines(pages[:2]) == {}


def test_clean_keeps_the_article_and_drops_a_leading_headline_left_behind():
    from qun.spiders.template import clean

    text = "头条 | 慈善周刊\n标题甲\n发布时间：2024年5月1日\n正文第一段。\n版权所有"
    assert clean(text, frozenset({"头条 | 慈善周刊", "版权所有"}), "标题甲") == "正文第一段。"
    assert clean("版权所有", frozenset({"版权所有"}), None) == "版权所有"  # nothing would remain


def test_reprint_credits_are_not_compared():
    from qun.spiders.template import comparable

    text = "转自：测试公益网\n正文。\n（来源：某报）\n责任编辑：张三\nSource: X"
    assert comparable(text) == "正文。"


def test_a_learnt_template_stays_and_cleans_new_pages():
    from qun.datasets import template as dt
    from qun.flows.pipeline import TEMPLATE_CLEANER

    def doc(i: int, text: str) -> dict:
        return {
            "doc_id": f"d{i}",
            "source": "s",
            "text": text,
            "title": None,
            "content_hash": f"h{i}",
        }

    docs = {f"d{i}": doc(i, f"版权所有 测试网\n正文{i}号，内容各不相同。") for i in range(3)}
    cleaned, rows = dt.apply(docs, [], TEMPLATE_CLEANER)
    assert cleaned == {"d0", "d1", "d2"} and [r["line"] for r in rows] == ["版权所有 测试网"]
    assert docs["d0"]["text"] == "正文0号，内容各不相同。"
    assert docs["d0"]["content_hash"] != "h0"  # cleaned text is new content: extracted again
    # a later crawl brings one page: the line is no longer on 3 new pages, yet it goes
    later = {"d9": doc(9, "版权所有 测试网\n正文9号。")}
    cleaned, rows2 = dt.apply(later, rows, TEMPLATE_CLEANER)
    assert cleaned == {"d9"} and rows2 == rows and later["d9"]["text"] == "正文9号。"


def test_layout_tables_are_read_as_paragraphs():
    """A page laid out in a table came out as one row: headline, date line and article."""
    from qun.spiders.extraction import extract_html

    body = "".join(f"<p>第{k}段：{PARAS[k]}{PARAS[k + 1]}</p>" for k in range(3))
    page = _article_b(4).replace(
        _article_b(4)[_article_b(4).index("<p>") :].split("</div>")[0], body
    )
    got = extract_html(page, "http://localhost/n/4.html")
    assert got.title == "简讯第4号" and got.published == "2024-05-14"
    assert got.text.startswith("第0段：") and got.text.count("\n") == 2 and "|" not in got.text
    data = (
        "<table><tr><td>年份</td><td>金额</td></tr><tr><td>2023</td><td>100万元</td></tr></table>"
    )
    assert (
        "100万元"
        in extract_html(
            f"<html><body><div><p>{'正文内容。' * 20}</p>{data}</div></body></html>", "http://x/1"
        ).text
    )


def test_lists_of_links_inside_the_article_are_not_text():
    """A ranking or related-headlines list in the article's container changes from page to page
    (no template catches it); a list of points in the article stays."""
    from qun.spiders.extraction import extract_html

    paras = "".join(f"<p>{p}{p}</p>" for p in PARAS)
    points = "".join(
        f"<li>{x}</li>"
        for x in ("第一，建立共同议程。", "第二，共享测量数据。", "第三，持续沟通。")
    )
    points = f"<ul>{points}</ul>"
    ranking = (
        "<ul>"
        + "".join(f'<li><a href="/r/{k}">{h}</a></li>' for k, h in enumerate(RELATED))
        + "</ul>"
    )
    article = f"<div class='article'>{paras}{points}<h3>排行</h3>{ranking}</div>"
    page = f"<html><body><h1>标题</h1>{article}</body></html>"
    text = extract_html(page, "http://x/a.html").text
    assert PARAS[0] in text and PARAS[-1] in text
    assert not any(h in text for h in RELATED) and "排行" not in text
    # the rule itself: a list of links goes, a list of points stays
    from lxml import etree

    from qun.spiders.extraction import _drop_link_lists

    body = etree.fromstring(
        "<body><list><item>第一，建立共同议程。</item><item>第二，共享测量。</item>"
        "<item>第三，持续沟通。</item></list><head>相关</head><list>"
        + "".join(f"<item><ref>{h}</ref></item>" for h in RELATED)
        + "</list></body>"
    )
    assert _drop_link_lists(body) == 1
    assert [el.tag for el in body] == ["list"] and "第二，共享测量。" in "".join(body.itertext())


def test_a_stray_html_closer_does_not_hide_the_article():
    """A template that closes </html> early made the parser stop before the article."""
    from qun.spiders.extraction import extract_html

    paras = "".join(f"<p>{p}</p>" for p in PARAS)
    page = (
        "<html><head><title>决议</title></head><body><div class='top'>首页 | 简 | 繁</div></html>"
        f"<div class='article'><h1>关于批准的决议</h1>{paras}</div></body></html>"
    )
    text = extract_html(page, "http://x/a.html").text
    assert PARAS[0] in text and PARAS[-1] in text


def test_a_reprint_with_a_sentence_added_and_one_dropped_still_links():
    from qun.datasets.reprints import DocPrint, link_duplicates
    from qun.spiders.fingerprint import content_hash, simhash
    from qun.spiders.template import comparable

    original = "\n".join(PARAS + RELATED)  # twelve lines of different text
    lines = [*PARAS[:2], *PARAS[3:], *RELATED]  # one dropped
    lines.insert(4, "本报讯 记者从有关部门获悉，这一做法今年还将推广到更多街道。")  # one added
    reprint = "转自：测试公益网\n" + "\n".join(lines)

    def doc(doc_id: str, day: str, title: str, text: str) -> DocPrint:
        same = comparable(text)
        return DocPrint(doc_id, day, content_hash(text), simhash(same), title, same)

    docs = [
        doc("orig", "2024-05-03", "社区机构联手服务居民", original),
        doc("copy", "2024-05-09", "联合行动：社区机构服务居民（转载）", reprint),
        doc("other", "2024-05-04", "另一篇", "\n".join(reversed(PARAS[:3])) + "\n完全不同的结尾。"),
    ]
    assert link_duplicates(docs) == {"copy": "orig"}
