from __future__ import annotations

from datetime import date

import pytest
from lxml import html

from qun.spiders.dates import find_published, parse_date


@pytest.mark.parametrize(
    "text",
    [
        "2017年11月26日",
        "2017 年 11 月 26 日",
        "发布时间：2017-11-26 09:30",
        "2017/11/26",
        "2017.11.26",
        "Sun, 26 Nov 2017 08:00:00 +0800",
        "November 26, 2017",
        "26 Nov 2017",
        "2017-11-26T08:00:00+08:00",
        "二〇一七年十一月二十六日",
        "十一月 26th, 2017",  # WordPress's Chinese locale
        "十一月 26, 2017",
        "11-26-2017",  # the year last: month first where the day is over 12
        "26/11/2017",  # or day first
    ],
)
def test_parse_date_formats(text):
    assert parse_date(text) == date(2017, 11, 26)


@pytest.mark.parametrize(
    "text", ["", "no date here", "2017年13月40日", "1850-01-01", "05/06/2017", "1/2/3"]
)
def test_parse_date_rejects_non_dates(text):
    assert parse_date(text) is None


def test_issue_htmldate_reads_chinese_date_as_january_first():
    """htmldate turns 2017年11月26日 into 2017-01-01; qun must not."""
    tree = html.fromstring(
        "<html><body><div>2017年11月26日 本报记者 王磊</div><p>正文</p></body></html>"
    )
    assert find_published(tree, "http://x.example/a.html") == (date(2017, 11, 26), "page-text")


def test_sources_in_order_meta_jsonld_label_url():
    meta = html.fromstring(
        '<html><head><meta property="article:published_time" '
        'content="2015-03-02T08:00:00Z"></head><body>发布时间：2016-01-01</body></html>'
    )
    assert find_published(meta, "http://x/2014/05/06/a.html") == (date(2015, 3, 2), "meta")
    ld = html.fromstring(
        '<html><head><script type="application/ld+json">'
        '{"@type": "NewsArticle", "datePublished": "2015-04-05"}</script></head>'
        "<body>x</body></html>"
    )
    assert find_published(ld, "http://x/a") == (date(2015, 4, 5), "jsonld")
    label = html.fromstring("<html><body>首页 2013年1月1日 發佈時間：2017-11-26</body></html>")
    assert find_published(label, "http://x/a") == (date(2017, 11, 26), "page-label")
    url = html.fromstring("<html><body>没有日期</body></html>")
    assert find_published(url, "http://x/news/2019/04/30/1.html") == (date(2019, 4, 30), "url")
    assert find_published(url, "http://x/a") == (None, None)


def test_the_header_after_the_headline_comes_before_other_dates():
    """A related item's or a sidebar's date earlier in the page, or an update stamp, is not the
    article's date: the one in the header block after the headline is."""
    page = html.fromstring(
        "<html><body><ul class='hot'><li>热点 2024-01-02</li></ul>"
        "<h1>标题</h1><div>来源：某报 2023年6月7日 更新时间：2023-06-09</div>"
        "<p>正文</p><div class='comments'>2023-06-08 网友评论</div></body></html>"
    )
    assert find_published(page, "http://x/2020/01/01/a.html") == (date(2023, 6, 7), "header")
    stamp = html.fromstring("<html><body><h1>标题</h1><p>更新时间：2023-06-09</p></body></html>")
    assert find_published(stamp, "http://x/news/2023/06/01/a.html") == (date(2023, 6, 1), "url")
    assert find_published(stamp, "http://x/a") == (None, None)
    titled = html.fromstring(
        "<html><body><h2>年度报告</h2><div>2022-05-01 发布</div></body></html>"
    )
    assert find_published(titled, "http://x/a", "年度报告") == (date(2022, 5, 1), "header")


def test_short_header_dates():
    """Some platforms print `18-03-08 23:16` or `10-08 12:00` under the headline."""
    two_digit = html.fromstring(
        "<html><body><h2>标题</h2><div>发布时间：18-03-0823:16</div>"
        "<div>相关 2020-02-29</div></body></html>"
    )
    assert find_published(two_digit, "http://x/a", "标题") == (date(2018, 3, 8), "header")
    no_year = html.fromstring(
        '<html><head><meta name="dateUpdate" content="2019-10-08 12:00:57"></head><body>'
        "<h2>标题</h2><div>发布时间：10-0812:00</div><div>相关 2019-12-29</div></body></html>"
    )
    assert find_published(no_year, "http://x/a", "标题") == (date(2019, 10, 8), "header")


def test_a_blog_post_date_in_wordpress_chinese_comes_before_dates_in_its_text():
    tree = html.fromstring(
        '<html><body><h1><a href="/">博客</a></h1><div class="post">'
        '<h2>制造孤独的CEO</h2><span class="post-calendar">十一月 6th, 2009</span>'
        "<p>2008年3月28日，公司在郊外开会。</p></div></body></html>"
    )
    assert find_published(tree, "http://blog.example/1513.html") == (
        date(2009, 11, 6),
        "header",
    )


def test_microdata_on_any_element_is_structured_data():
    page = html.fromstring(
        "<html><body><div class='hot'>2020-01-24 熱門</div><h1>標題</h1>"
        "<div itemprop='datePublished'>2020年8月8日星期六</div><p>正文</p></body></html>"
    )
    assert find_published(page, "http://x/a") == (date(2020, 8, 8), "meta")


def test_the_headline_is_found_from_a_part_of_the_title_and_may_hold_its_date():
    """No <h1>: the headline is the element holding the title's longest part whole ("Outlet -
    Section - Headline - site.com"), or holding it with its own date line; a crawl day in the
    page's header before it is not the article's date."""
    title = "某某新聞 - 財經 - 市料零售銷售續升 - example.com"
    held = html.fromstring(
        "<html><body><div class='top'>2014年12月13日(六)</div>"
        "<h4>市料零售銷售續升<span class='time'> 2014-12-08 06:49</span></h4>"
        "<p>正文</p></body></html>"
    )
    assert find_published(held, "http://x/a", title) == (date(2014, 12, 8), "header")
    byline = html.fromstring(
        "<html><body><div class='top'>2014年12月13日</div><div class='t'>高雄電影節開幕</div>"
        "<div class='by'>新頭殼newtalk2014.10.24 高雄報導</div><p>正文</p></body></html>"
    )
    title = "高雄電影節開幕 -  新頭殼 newtalk"
    assert find_published(byline, "http://x/a", title) == (date(2014, 10, 24), "header")


def test_an_e_paper_issue_label_dates_its_articles():
    page = html.fromstring(
        "<html><head><title>国际日报20140318期 - 工业部设法调降机械进口量</title></head>"
        "<body><div>国际日报近期报纸查看</div><p>工业部就此事想尽办法。</p></body></html>"
    )
    assert find_published(page, "http://x/a") == (date(2014, 3, 18), "page-label")


def test_a_government_site_s_first_published_stamp_is_structured_data():
    """The TRS publishing system's meta stamp, not a date in the document's own text."""
    page = html.fromstring(
        "<html><head><meta name='firstpublishedtime' content='2007-08-20-23:59:59'></head>"
        "<body><p>（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过）</p>"
        "</body></html>"
    )
    assert find_published(page, "http://x/a") == (date(2007, 8, 20), "meta")
