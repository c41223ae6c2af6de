"""Per-source content selectors (registry `content: "div.TRS_Editor"`): the main text is read
from the element they match, dates and title from the whole page; a selector that matches
nothing falls back to reading the page as a source without one would, and says so; a bad
selector is a registry error."""

from __future__ import annotations

from pathlib import Path

import pytest

from qun.spiders.extraction import extract_html
from qun.spiders.items import Document, Page
from qun.spiders.pipelines import ParsePipeline
from qun.spiders.registry import RegistryError, load_sources

ARTICLE = "区社会组织孵化中心与三家社区基金会共同发起“邻里守望”协作计划，首批投入资金八十万元。"
# a teaser block written as prose, inside the same container as the article: the kind of
# block a main-text extractor keeps and a site's own selector leaves out
TEASER = "编者推荐：另一篇关于乡村图书馆志愿者的长篇报道讲述了十年来的变化与坚持，值得一读。"

PAGE = f"""<!doctype html><html><head><meta charset="utf-8"><title>协作计划启动 - 城区新闻网</title>
<meta name="publishdate" content="2024-05-06"></head><body>
<div class="main"><h1>协作计划启动</h1>
<div class="TRS_Editor"><p>{ARTICLE}</p>
<p>据介绍，该计划将在未来两年内覆盖全区十二个街道，重点支持社区养老和儿童服务项目，并建立季度联席会议制度。</p>
<p>参与机构表示，将共同制定评估指标，定期公开项目进展，接受居民监督。</p></div>
<div class="teaser"><p>{TEASER}</p><p>{TEASER.replace("乡村图书馆", "城市社区食堂")}</p></div>
</div></body></html>"""


def test_the_selector_keeps_only_the_article() -> None:
    whole = extract_html(PAGE, "http://news.example/a/1.html")
    assert TEASER[:12] in whole.text  # what the selector is for
    got = extract_html(PAGE, "http://news.example/a/1.html", content="div.TRS_Editor")
    assert ARTICLE in got.text and "季度联席会议" in got.text
    assert TEASER[:12] not in got.text
    assert got.title == "协作计划启动" and got.published == "2024-05-06"
    assert "content_selector_missed" not in got.flags


def test_a_selector_that_matches_nothing_is_ignored_and_says_so() -> None:
    got = extract_html(PAGE, "http://news.example/a/1.html", content="div.article-body")
    assert ARTICLE in got.text and "content_selector_missed" in got.flags


def test_the_crawl_pipeline_takes_the_source_s_selector() -> None:
    page = Page(
        url="http://news.example/a/1.html",
        source="own-news",
        outlet="城区新闻网",
        doc_type="article",
        status=200,
        content_type="text/html; charset=utf-8",
        body=PAGE.encode("utf-8"),
        fetched_at="2024-05-07T00:00:00+00:00",
        content="div.TRS_Editor",
    )
    doc = ParsePipeline().process_item(page)
    assert isinstance(doc, Document)
    assert ARTICLE in doc.text and TEASER[:12] not in doc.text


def _registry(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - id: own-news\n"
        "    outlet: 城区新闻网\n"
        "    kind: media\n"
        "    lang: zh-Hans\n"
        "    domains: [news.example]\n"
        "    listings: ['http://news.example/']\n"
        f"    content: {content!r}\n",
        "utf-8",
    )
    return path


def test_the_registry_takes_a_selector_and_refuses_a_bad_one(tmp_path: Path) -> None:
    sources = load_sources(_registry(tmp_path, "div.TRS_Editor"))
    assert sources["own-news"].content == "div.TRS_Editor"
    with pytest.raises(RegistryError, match="'content' must be a CSS selector"):
        load_sources(_registry(tmp_path, "div[["))
