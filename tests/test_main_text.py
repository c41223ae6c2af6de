"""Main text from the article's container: readability-lxml's scoring picks the container and
trafilatura reads it. Written pages in the shapes real sites use: prose boxes of other stories
beside the article (no lists of links, so no link-density rule sees them), WeChat-style
articles whose paragraphs are `<section>`s of spans, and a page where no container holds the
text (read whole, and flagged)."""

from __future__ import annotations

from qun.spiders.extraction import extract_html

URL = "http://news.example/a/1.html"
PARAS = [
    "今天上午，市慈善总会联合十二家社区社会组织召开协作会议，共同商定今年的养老服务议程。",
    "会议决定建立统一的服务记录表，各机构每季度报送一次数据，由市社会工作协会负责汇总和公开。",
    "参会的街道社工站负责人表示，过去各家机构各做各的，同一位老人可能被重复走访，资源浪费明显。",
    "按照新的分工，社区基金会负责筹集资金，专业社工机构负责个案服务，志愿者团队负责日常探访。",
    "市慈善总会秘书长介绍，首批协作项目覆盖六个街道，预计惠及两千余名独居和高龄老人。",
]
# other stories written as prose in a box beside the article
SIDE = [
    "另一则消息：本市第三届青少年科技节将于下月在会展中心举行，届时将展出两百余件学生作品。",
    "编辑推荐：一位退休教师二十年如一日为山区孩子义务授课的故事，感动了无数网友和家长。",
    "热点关注：全市今年新增公共停车泊位一万两千个，老旧小区停车难问题有望得到缓解。",
]
NAV = (
    '<div class="nav"><a href="/">首页</a> | <a href="/news">新闻中心</a> | '
    '<a href="/gy">公益动态</a> | <a href="/about">关于我们</a></div>'
)
FOOT = "版权所有 城区融媒体中心 备案号：某ICP备12345678号"


def _sidebar_page() -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAS)
    side = "".join(f"<p>{p}</p>" for p in SIDE)
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>协作会议召开 - 城区新闻网</title></head><body>
{NAV}<div class="wrap"><div class="left"><h1>协作会议召开</h1>
<div class="info">2024-03-08 来源：城区新闻网</div><div class="article">{body}</div></div>
<div class="right"><h3>推荐阅读</h3>{side}</div></div>
<div class="footer"><p>{FOOT}</p></div></body></html>"""


def _wechat_page() -> str:
    sections = "".join(
        f'<section style="margin-bottom:15px"><span style="font-size:15px">{p[:20]}</span>'
        f"<span>{p[20:]}</span></section>"
        for p in PARAS
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>协作会议召开</title>
</head><body><div class="rich_media"><h1 class="rich_media_title">协作会议召开</h1>
<div class="rich_media_meta_list"><span>城区公益</span> <em id="publish_time">2024-03-08</em></div>
<div class="rich_media_content" id="js_content">{sections}</div>
<div class="profile"><p>微信号 chengqugongyi</p>
<p>功能介绍 关注城区公益动态，记录社区里的好人好事</p></div>
<div class="qr"><p>微信扫一扫 关注该公众号</p><p>前往“发现”-“看一看”浏览“朋友在看”</p></div>
</div></body></html>"""


def test_prose_boxes_beside_the_article_stay_out() -> None:
    got = extract_html(_sidebar_page(), URL)
    assert got.text.split("\n") == PARAS
    assert got.title == "协作会议召开" and got.published == "2024-03-08"
    assert got.flags == []


def test_the_whole_page_inside_one_form_is_read_the_same() -> None:
    """Pages built with ASP.NET wrap the whole body in one <form>."""
    page = _sidebar_page().replace("<body>", '<body><form id="form1" method="post">')
    got = extract_html(page.replace("</body>", "</form></body>"), URL)
    assert got.text.split("\n") == PARAS and got.flags == []


def test_a_wechat_style_article_keeps_its_paragraphs_whole_and_leaves_the_profile_out() -> None:
    got = extract_html(_wechat_page(), URL)
    # one paragraph per section, not one line per span
    assert got.text.split("\n") == PARAS
    assert "微信号" not in got.text and "扫一扫" not in got.text
    assert got.published == "2024-03-08"


def test_a_page_without_a_container_of_text_is_read_whole_and_flagged() -> None:
    page = (
        '<html><head><meta name="publishdate" content="2024-03-08"></head><body>'
        '<form id="form1">' + "<br>".join(PARAS) + "</form></body></html>"
    )
    got = extract_html(page, URL)
    assert all(p in got.text for p in PARAS)
    assert "main_text_whole_page" in got.flags


FOOTER_NOTICES = [
    "Copyright",
    "© 2024 城区新闻网. All rights reserved.",
    "未经授权禁止转载、摘编、复制及建立镜像",
    "联系我们",
    "京ICP备12345678号",
]


def test_footer_notices_that_close_the_article_are_cut_off() -> None:
    """A footer inside the article's container (copyright, licence and filing lines, and the
    short lines among them) is the site's, not the article's."""
    foot = "".join(f"<p>{line}</p>" for line in FOOTER_NOTICES)
    page = _sidebar_page().replace('<div class="right">', foot + '</div><div class="right">', 1)
    page = page.replace(f"{PARAS[-1]}</p></div>", f"{PARAS[-1]}</p>", 1)
    got = extract_html(page, URL)
    assert got.text.split("\n") == PARAS


def test_only_a_footer_is_cut_and_a_notice_inside_the_article_stays() -> None:
    from qun.spiders.extraction import notice_of, without_notice_tail

    footer = "\n".join(FOOTER_NOTICES)
    assert without_notice_tail("\n".join([*PARAS, footer])) == "\n".join(PARAS)
    assert without_notice_tail(footer) == ""  # a container of notices only: no article
    # a notice-like line followed by more of the article is the article's
    quoted = "\n".join([PARAS[0], "版权所有", PARAS[1] * 2])
    assert without_notice_tail(quoted) == quoted
    assert notice_of("沪ICP证020132号") == "icp_filing"
    assert notice_of(PARAS[0]) is None


def test_a_notice_entry_that_misses_its_own_example_stops_with_its_id(tmp_path) -> None:
    import pytest

    from qun.spiders.extraction import notice_patterns

    bad = tmp_path / "notices.yaml"
    bad.write_text(
        "notices:\n  - id: footer_x\n    pattern: 'all rights'\n    examples: ['版权所有']\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="footer_x"):
        notice_patterns(bad)
    bad.write_text("notices:\n  - id: footer_y\n    pattern: '(['\n    examples: [x]\n")
    with pytest.raises(ValueError, match="footer_y: bad pattern"):
        notice_patterns(bad)


LONG = PARAS + [p.replace("。", "，记者在现场了解到了这些情况。") for p in PARAS]


def _split_article_page() -> str:
    """An article cut into blocks between ad slots, each block a container of its own (its
    paragraphs `div`s, as some sites write them), and related headlines after it."""
    blocks = [LONG[:2], LONG[2:7], LONG[7:]]
    body = '<div class="ad-slot">广告</div>'.join(
        '<div class="part"><div class="item">'
        + "".join(f'<div class="paragraph">{p}</div>' for p in b)
        + "</div></div>"
        for b in blocks
    )
    related = "".join(f'<li><a href="/n/{i}.html">{p[:14]}</a></li>' for i, p in enumerate(SIDE))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>协作会议召开</title>
</head><body>{NAV}<div class="main"><h1>协作会议召开</h1>
<div class="info">2024-03-08 来源：城区新闻网</div>
<section class="article-body">{body}</section>
<div class="related"><h3>相关阅读</h3><ul>{related}</ul></div></div>
<div class="footer"><p>{FOOT}</p></div></body></html>"""


def test_an_article_cut_between_ad_slots_is_read_whole_without_the_slots_labels() -> None:
    got = extract_html(_split_article_page(), URL)
    assert got.text.split("\n") == LONG
    assert got.published == "2024-03-08"


def test_a_lead_paragraph_typed_into_a_styled_div_is_kept() -> None:
    """A lead paragraph written as a div's loose text after a line break, not a <p>, beside
    paragraphs that are."""
    lead = (
        "2012年7月8日至9日，由某大学设计与艺术学院主办，多所大学共同参与的亚洲设计论坛在该校举办。"
    )
    body = (
        '<div class="bt_content"><p align="left"></p>'
        '<div style="text-align: center">供稿：设计艺术学院</div>'
        f'<div style="text-align: left"><font color="#ff0000"><br /></font>　　{lead}<br /></div>'
        + "".join(f"<p>　　{p}</p>" for p in LONG)
        + "</div>"
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>论坛开幕</title></head>
<body>{NAV}<div class="main"><h1>论坛开幕</h1><div class="info">2012-07-11</div>{body}</div>
<div class="footer"><p>{FOOT}</p></div></body></html>"""
    got = extract_html(page, URL)
    assert got.text.split("\n")[0] == lead
    assert got.text.split("\n")[1:] == LONG


def test_a_first_paragraph_before_the_p_tags_stays_and_the_headline_and_dateline_go() -> None:
    """An old layout: the headline in a styled div (known from og:title), a dateline in a table
    cell, the first paragraph typed before the <p> tags that start the others."""
    first = "旺角發生一宗企圖車內盜竊案，一名休班警員被捕，案件交由旺角警區刑事調查隊跟進。"
    paras = "".join(f"<p>{p}" for p in LONG)
    page = f"""<html><head><meta charset="utf-8"><title>休班警涉盜竊被捕 - 新聞</title>
<meta property="og:title" content=" 休班警涉盜竊被捕 "></head><body>{NAV}
<table><tr><td><div><strong><font>休班警涉盜竊被捕</font></strong></div></td></tr>
<tr><td><font size="1">2014-12-25 HKT 22:40</font></td></tr>
<tr><td><span><font size=3>{first}{paras}</font></span></td></tr></table>
<div class="footer"><p>{FOOT}</p></div></body></html>"""
    got = extract_html(page, URL)
    assert got.text.split("\n") == [first, *LONG]
    assert got.published == "2014-12-25"
    # a control character in that paragraph (a damaged page) is dropped, not a crash
    damaged = extract_html(page.replace(first, first[:5] + "\x01" + first[5:]), URL)
    assert damaged.text.split("\n") == [first, *LONG]
