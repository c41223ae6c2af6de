"""Render the bundled sample site from its written content (spiders/sample_site/src/*.json).

Writes spiders/sample_site/site/<host>/... (HTML in UTF-8, GBK and Big5, RSS, sitemaps,
robots.txt, PDF annual reports, deliberately bad pages) and spiders/sample_site/manifest.json.
Deterministic: the same content gives the same bytes. Needs reportlab (a dev dependency).
Run: python scripts/build_sample_site.py
"""

from __future__ import annotations

import html
import json
import re
import shutil
import textwrap
from datetime import date, timedelta
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parents[1] / "spiders" / "sample_site"
SRC, SITE = ROOT / "src", ROOT / "site"
NOTE_ZH = "本站为 qun 项目编写的合成示例网站，所载事件均为虚构。"
NOTE_EN = "This is a synthetic sample site written for the qun project; the events are fictional."
HOSTS = {
    "observer": "www.gongyi-observer.example",
    "civic": "www.civic-post.example",
    "review": "www.philanthropy-review.example",
    "mingde": "www.mingde-foundation.example",
    "hengxin": "www.hengxin-foundation.example",
}
SOURCES = {k: f"sample-{k}" for k in HOSTS}
OUTLETS = {
    "observer": "公益观察",
    "civic": "公民社會報",
    "review": "China Philanthropy Review",
    "mingde": "明德公益基金会",
    "hengxin": "恒信慈善基金会",
}
S2T = opencc.OpenCC("s2tw")
E = html.escape


def write(host: str, path: str, data: str | bytes, encoding: str = "utf-8") -> None:
    target = SITE / host / path.lstrip("/")
    if path.endswith("/"):
        target = target / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def body_html(doc: dict) -> str:
    return "\n".join(f"<p>{E(p)}</p>" for p in doc["paragraphs"])


# ---------------------------------------------------------------------------------------------
# observer: mainland outlet, GBK before 2016, listings with pagination, RSS, member section
# ---------------------------------------------------------------------------------------------
OBS_SECTIONS = {"news": "资讯", "features": "深度", "research": "研究", "member": "会员内参"}


def obs_page(title: str, main: str, charset_decl: str) -> str:
    nav = "".join(f'<a href="/{k}/list_1.html">{v}</a>' for k, v in OBS_SECTIONS.items())
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head>{charset_decl}
<title>{E(title)} - 公益观察</title>
<meta name="keywords" content="公益,慈善,社会组织,基金会">
<link rel="alternate" type="application/rss+xml" href="/rss.xml">
</head><body>
<div class="top-bar">欢迎访问公益观察 | <a href="/about.html">关于我们</a> | <a href="/rss.xml">RSS订阅</a></div>
<div class="nav"><a href="/">首页</a>{nav}<a href="/about.html">关于我们</a></div>
{main}
<div class="footer"><p>版权所有 2011-2025 公益观察 | 京ICP备00000000号 | 联系我们：editor@gongyi-observer.example</p>
<p class="synthetic-note">{NOTE_ZH} {NOTE_EN}</p></div>
</body></html>
"""


def obs_article(doc: dict, related: list[dict], style: int) -> str:
    d = date.fromisoformat(doc["date"])
    hh = 8 + (int(doc["num"]) % 10)
    if style % 3 == 0:
        info = f'<span class="time">{d.year}年{d.month}月{d.day}日</span>　<span class="author">{E(doc["author"])}</span>'
    else:
        info = (
            f'<span class="time">发布时间：{d.isoformat()} {hh:02d}:30</span>　来源：公益观察　'
            f'<span class="author">作者：{E(doc["author"])}</span>'
        )
    rel = "".join(f'<li><a href="{r["path"]}">{E(r["title"])}</a></li>' for r in related)
    main = f"""<div class="crumb"><a href="/">首页</a> &gt; <a href="/{doc["section"]}/list_1.html">{OBS_SECTIONS[doc["section"]]}</a> &gt; 正文</div>
<div class="article"><h1>{E(doc["title"])}</h1>
<div class="info">{info}</div>
<div class="article-content">
{body_html(doc)}
</div>
<div class="share">分享到：微博 微信 | 责任编辑：公益观察编辑部</div></div>
<div class="related"><h3>相关阅读</h3><ul>{rel}</ul></div>"""
    return main


def build_observer(docs: list[dict], extra_links: dict[str, list[tuple[str, str]]]) -> None:
    host = HOSTS["observer"]
    public = [d for d in docs if d["section"] != "member"]
    for i, doc in enumerate(docs):
        related = [r for r in public if r is not doc][i % 7 :: 9][:3]
        gbk = doc["date"] < "2016-01-01"
        decl = '<meta charset="utf-8">'
        if gbk:
            decl = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            if i % 11 == 3:  # mislabelled: GBK bytes that claim to be UTF-8
                decl = '<meta charset="utf-8">'
            elif i % 11 == 7:  # no declaration at all
                decl = ""
        page = obs_page(doc["title"], obs_article(doc, related, i), decl)
        doc["encoding"] = "gb18030" if gbk else "utf-8"
        write(host, doc["path"], page, "gbk" if gbk else "utf-8")
    # listings with pagination, 8 per page
    for section, label in OBS_SECTIONS.items():
        items = sorted(
            (d for d in docs if d["section"] == section), key=lambda d: d["date"], reverse=True
        )
        pages = [items[i : i + 8] for i in range(0, len(items), 8)] or [[]]
        for n, chunk in enumerate(pages, start=1):
            lis = "".join(
                f'<li><a href="{d["path"]}">{E(d["title"])}</a><span class="date">{d["date"]}</span></li>'
                for d in chunk
            )
            for href, text in extra_links.get(f"{section}:{n}", []):
                lis += f'<li><a href="{href}">{E(text)}</a></li>'
            pager = " ".join(
                f'<a href="/{section}/list_{k}.html">{k}</a>' for k in range(1, len(pages) + 1)
            )
            if n < len(pages):
                pager += f' <a href="/{section}/list_{n + 1}.html">下一页</a>'
            side = ""
            if section == "news" and n == 1:
                member = [d for d in docs if d["section"] == "member"]
                side = (
                    '<div class="side"><h3>会员内参</h3><ul>'
                    + "".join(f'<li><a href="{d["path"]}">{E(d["title"])}</a></li>' for d in member)
                    + "</ul></div>"
                )
            main = f'<div class="list"><h2>{label}</h2><ul>{lis}</ul><div class="pager">{pager}</div></div>{side}'
            write(
                host, f"/{section}/list_{n}.html", obs_page(label, main, '<meta charset="utf-8">')
            )
    latest = sorted(public, key=lambda d: d["date"], reverse=True)
    home = "".join(f'<li><a href="{d["path"]}">{E(d["title"])}</a></li>' for d in latest[:12])
    write(
        host,
        "/",
        obs_page("首页", f'<div class="home"><ul>{home}</ul></div>', '<meta charset="utf-8">'),
    )
    write(
        host,
        "/about.html",
        obs_page(
            "关于我们",
            f"<div><p>公益观察是一家关注中国公益慈善行业的资讯网站。{NOTE_ZH}</p></div>",
            '<meta charset="utf-8">',
        ),
    )
    items = "".join(
        f"<item><title>{E(d['title'])}</title><link>http://{host}{d['path']}?from=rss</link>"
        f"<pubDate>{rfc822(d['date'])}</pubDate><description>{E(d['paragraphs'][0][:80])}</description></item>\n"
        for d in latest[:20]
    )
    write(
        host,
        "/rss.xml",
        f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>公益观察</title><link>http://{host}/</link>
<description>{NOTE_ZH}</description>
{items}</channel></rss>
""",
    )
    write(host, "/robots.txt", "User-agent: *\nDisallow: /member/\n")


def rfc822(iso: str) -> str:
    d = date.fromisoformat(iso)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    return f"{days[d.weekday()]}, {d.day:02d} {months[d.month - 1]} {d.year} 08:00:00 +0800"


# ---------------------------------------------------------------------------------------------
# civic: traditional Chinese, Big5 before 2018
# ---------------------------------------------------------------------------------------------
CIVIC_SECTIONS = {"news": "新聞", "opinion": "評論"}


def civic_page(title: str, main: str, decl: str) -> str:
    nav = "".join(f'<li><a href="/{k}/index.html">{v}</a></li>' for k, v in CIVIC_SECTIONS.items())
    return f"""<!DOCTYPE html>
<html lang="zh-Hant"><head>{decl}<title>{E(title)}｜公民社會報</title></head>
<body><header><div class="logo">公民社會報 Civic Society Post</div><ul class="menu"><li><a href="/">主頁</a></li>{nav}</ul></header>
<main>{main}</main>
<aside><h4>熱門標籤</h4><p>公益 慈善 社福 NGO 基金會</p></aside>
<footer>公民社會報 版權所有，未經授權不得轉載。<br><span class="synthetic-note">{S2T.convert(NOTE_ZH)} {NOTE_EN}</span></footer>
</body></html>
"""


def build_civic(docs: list[dict]) -> None:
    host = HOSTS["civic"]
    for i, doc in enumerate(docs):
        d = date.fromisoformat(doc["date"])
        big5 = doc["date"] < "2018-01-01"
        decl = '<meta charset="big5">' if big5 else '<meta charset="utf-8">'
        if big5 and i % 5 == 2:
            decl = ""
        if doc["section"] == "opinion":
            line = f'<div class="byline">{E(doc["author"])}</div><div class="pubtime">發佈時間：{d.isoformat()}</div>'
        else:
            line = f'<div class="byline">{E(doc["author"])} ｜ {d.year}年{d.month}月{d.day}日</div>'
        main = f'<article><h1 class="headline">{E(doc["title"])}</h1>{line}<div class="content">{body_html(doc)}</div></article>'
        doc["encoding"] = "big5hkscs" if big5 else "utf-8"
        write(
            host,
            doc["path"],
            civic_page(doc["title"], main, decl),
            "big5hkscs" if big5 else "utf-8",
        )
    for section, label in CIVIC_SECTIONS.items():
        items = sorted(
            (d for d in docs if d["section"] == section), key=lambda d: d["date"], reverse=True
        )
        pages = [items[i : i + 6] for i in range(0, len(items), 6)] or [[]]
        for n, chunk in enumerate(pages, start=1):
            name = "index.html" if n == 1 else f"index_{n}.html"
            lis = "".join(
                f'<li><a href="{d["path"]}">{E(d["title"])}</a> <time>{d["date"]}</time></li>'
                for d in chunk
            )
            pager = " ".join(
                f'<a href="/{section}/{"index.html" if k == 1 else f"index_{k}.html"}">第{k}頁</a>'
                for k in range(1, len(pages) + 1)
            )
            write(
                host,
                f"/{section}/{name}",
                civic_page(
                    label,
                    f"<h2>{label}</h2><ul>{lis}</ul><nav>{pager}</nav>",
                    '<meta charset="utf-8">',
                ),
            )
    write(
        host,
        "/",
        civic_page(
            "主頁", "<p>公民社會報：關注兩岸三地公民社會與公益慈善。</p>", '<meta charset="utf-8">'
        ),
    )
    write(host, "/robots.txt", "User-agent: *\nAllow: /\n")


# ---------------------------------------------------------------------------------------------
# review: English, WordPress-like, sitemap named in robots.txt, meta and JSON-LD dates
# ---------------------------------------------------------------------------------------------
def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-")


def build_review(docs: list[dict]) -> None:
    host = HOSTS["review"]
    months = "January February March April May June July August September October November December".split()
    for doc in docs:
        d = date.fromisoformat(doc["date"])
        ld = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": doc["title"],
                "datePublished": f"{d.isoformat()}T09:00:00+08:00",
                "author": {"@type": "Person", "name": doc["author"].removeprefix("By ").strip()},
            },
            ensure_ascii=False,
        )
        page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{E(doc["title"])} | China Philanthropy Review</title>
<meta property="og:title" content="{E(doc["title"])}">
<meta property="article:published_time" content="{d.isoformat()}T09:00:00+08:00">
<link rel="canonical" href="http://{host}{doc["path"]}">
<script type="application/ld+json">{ld}</script></head>
<body class="single-post"><div id="masthead"><a href="/">China Philanthropy Review</a>
<nav><a href="/category/news/">News</a> <a href="/category/analysis/">Analysis</a> <a href="/about/">About</a></nav></div>
<article class="post"><h1 class="entry-title">{E(doc["title"])}</h1>
<p class="byline">{E(doc["author"])} · {months[d.month - 1]} {d.day}, {d.year}</p>
<div class="entry-content">{body_html(doc)}</div></article>
<div class="newsletter">Sign up for our weekly newsletter on philanthropy in China.</div>
<footer id="colophon">© China Philanthropy Review. <span class="synthetic-note">{NOTE_EN}</span></footer>
</body></html>
"""
        doc["encoding"] = "utf-8"
        write(host, doc["path"], page)
    halves = [[d for d in docs if d["date"] < "2018"], [d for d in docs if d["date"] >= "2018"]]
    for k, half in enumerate(halves, start=1):
        urls = "".join(
            f"<url><loc>http://{host}{d['path']}</loc><lastmod>{d['date']}</lastmod></url>\n"
            for d in half
        )
        write(
            host,
            f"/sitemap-posts-{k}.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n',
        )
    index = "".join(
        f"<sitemap><loc>http://{host}/sitemap-posts-{k}.xml</loc></sitemap>" for k in (1, 2)
    )
    write(
        host,
        "/sitemap.xml",
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>\n',
    )
    write(
        host,
        "/robots.txt",
        f"User-agent: *\nDisallow: /wp-admin/\nSitemap: http://{host}/sitemap.xml\n",
    )
    write(
        host,
        "/",
        f"<html><head><meta charset='utf-8'><title>China Philanthropy Review</title></head><body><p>{NOTE_EN}</p></body></html>",
    )


# ---------------------------------------------------------------------------------------------
# foundations: news, HTML disclosure pages, PDF annual reports
# ---------------------------------------------------------------------------------------------
def fdn_page(site: str, title: str, main: str) -> str:
    name = OUTLETS[site]
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{E(title)}-{name}</title></head>
<body><div class="header"><span class="logo">{name}</span>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/news/index.html">机构新闻</a></li><li><a href="/reports/index.html">年度报告</a></li><li><a href="/xxgk/index.html">信息公开</a></li><li><a href="/about.html">关于我们</a></li></ul></div>
<div class="container">{main}</div>
<div class="footer">{name} 版权所有 | 地址：{"上海市" if site == "mingde" else "深圳市"}（示例地址） | 捐赠热线：400-000-0000<br><span class="synthetic-note">{NOTE_ZH} {NOTE_EN}</span></div>
</body></html>
"""


def fdn_date_line(site: str, d: date) -> str:
    if site == "mingde":
        return f'<div class="date">时间：{d.year}/{d.month:02d}/{d.day:02d}</div>'
    return f'<div class="date">日期：{d.year}年{d.month:02d}月{d.day:02d}日 浏览次数：{(d.toordinal() % 900) + 100}</div>'


def make_pdf(doc: dict, path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle(doc["title"])
    c.setAuthor(OUTLETS[doc["site"]])
    c.setSubject(NOTE_EN)
    for n, page in enumerate(doc["pages"], start=1):
        y = 800
        c.setFont("STSong-Light", 16 if n == 1 else 11)
        if n == 1:
            c.drawString(60, y, doc["title"])
            y -= 36
            c.setFont("STSong-Light", 11)
        for para in page:
            for line in textwrap.wrap(para, 40):
                c.drawString(60, y, line)
                y -= 18
            y -= 8
        c.setFont("STSong-Light", 8)
        c.drawString(60, 40, f"{OUTLETS[doc['site']]} · 第{n}页 · 合成示例")
        c.showPage()
    c.save()


def build_foundation(site: str, docs: list[dict], bad_pdf: str | None) -> None:
    host = HOSTS[site]
    for doc in docs:
        d = date.fromisoformat(doc["date"])
        doc["encoding"] = "utf-8"
        if doc["kind"] == "report":
            make_pdf(doc, SITE / host / doc["path"].lstrip("/"))
            doc["encoding"] = None
            continue
        note = ""
        if doc.get("reprint_note"):
            note = f'<div class="source">{E(doc["reprint_note"])}</div>'
        byline = f'<div class="author">{E(doc["author"])}</div>' if doc["author"] else ""
        main = f'<div class="detail"><h2 class="title">{E(doc["title"])}</h2>{fdn_date_line(site, d)}{byline}{note}<div class="text">{body_html(doc)}</div></div>'
        write(host, doc["path"], fdn_page(site, doc["title"], main))
    lists = {
        "news": [d for d in docs if d["kind"] == "article"],
        "xxgk": [d for d in docs if d["kind"] == "disclosure"],
        "reports": [d for d in docs if d["kind"] == "report"],
    }
    for name, items in lists.items():
        items = sorted(items, key=lambda d: d["date"], reverse=True)
        lis = "".join(
            f'<li><a href="{d["path"]}">{E(d["title"])}</a> <span class="date">发布日期：{d["date"]}</span></li>'
            for d in items
        )
        if name == "reports" and bad_pdf:
            lis += f'<li><a href="{bad_pdf}">{OUTLETS[site]}2014年度报告（扫描版）</a> <span class="date">发布日期：2015-05-20</span></li>'
        write(host, f"/{name}/index.html", fdn_page(site, name, f'<ul class="list">{lis}</ul>'))
    write(host, "/", fdn_page(site, "首页", f"<p>{OUTLETS[site]}欢迎您。</p>"))
    write(host, "/about.html", fdn_page(site, "关于我们", f"<p>{NOTE_ZH}</p>"))
    write(host, "/robots.txt", "User-agent: *\nDisallow: /admin/\n")


# ---------------------------------------------------------------------------------------------
def assign_paths(docs: list[dict]) -> None:
    counters = {site: 10200 for site in HOSTS}
    for doc in sorted(docs, key=lambda d: (d["date"], d["id"])):
        site = doc["site"]
        counters[site] += 7
        num = counters[site]
        doc["num"] = num
        d = date.fromisoformat(doc["date"])
        if site == "observer":
            doc["path"] = f"/{doc['section']}/{d.year}/{d.month:02d}/{num}.html"
        elif site == "civic":
            doc["path"] = f"/{doc['section']}/article/{num}.html"
        elif site == "review":
            doc["path"] = f"/{d.year}/{d.month:02d}/{slugify(doc['title'])}/"
        elif doc["kind"] == "report":
            year = re.search(r"(20\d\d)", doc["title"])
            doc["path"] = (
                f"/uploads/reports/{site}-annual-report-{year.group(1) if year else num}.pdf"
            )
        elif doc["kind"] == "disclosure":
            doc["path"] = f"/xxgk/{num}.html"
        else:
            doc["path"] = f"/news/{d.year}/{d.month:02d}{d.day:02d}/{num}.html"


def make_reprints(docs: list[dict]) -> list[dict]:
    """Republish some observer stories on other sites (转载): the edges are diffusion signals."""
    obs = sorted(
        (d for d in docs if d["site"] == "observer" and d["section"] != "member"),
        key=lambda d: d["date"],
    )
    ci = [d for d in obs if "collective_impact" in d["concepts"]]
    picks = [
        ("mingde", ci[len(ci) // 2]),
        ("hengxin", ci[-3]),
        ("civic", ci[2]),
        ("mingde", obs[5]),
    ]
    out = []
    for n, (site, orig) in enumerate(picks, start=1):
        d = date.fromisoformat(orig["date"]) + timedelta(days=2 + n)
        rep = json.loads(json.dumps(orig))
        rep.update(
            id=f"reprint-{n:02d}",
            site=site,
            date=d.isoformat(),
            reprint_of=orig["id"],
            kind="article",
            section="news" if site != "civic" else "news",
        )
        if site == "civic":
            rep["lang"] = "zh-Hant"
            rep["title"] = S2T.convert(orig["title"])
            rep["paragraphs"] = [S2T.convert(p) for p in orig["paragraphs"]]
            rep["author"] = "轉載自公益觀察"
            for key in ("organizations",):
                rep[key] = [{**o, "name": S2T.convert(o["name"])} for o in orig[key]]
            rep["partnerships"] = [
                {**p, "orgs": [S2T.convert(x) for x in p["orgs"]]} for p in orig["partnerships"]
            ]
            rep["funding"] = [
                {
                    **f,
                    "funder": S2T.convert(f["funder"]) if f["funder"] else None,
                    "recipient": S2T.convert(f["recipient"]) if f["recipient"] else None,
                    "text": S2T.convert(f["text"]),
                }
                for f in orig["funding"]
            ]
            rep["paragraphs"].append("（本文轉載自《公益觀察》，版權歸原作者所有。）")
        else:
            rep["reprint_note"] = f"来源：公益观察　原标题：{orig['title']}"
            rep["paragraphs"].append("（本文转载自《公益观察》，如有侵权请联系删除。）")
        out.append(rep)
    return out


def main() -> None:
    docs: list[dict] = []
    for path in sorted(SRC.glob("*.json")):
        docs += json.loads(path.read_text("utf-8"))
    for doc in docs:
        doc.setdefault("reprint_of", None)
    docs += make_reprints(docs)
    assign_paths(docs)
    if SITE.exists():
        shutil.rmtree(SITE)
    by_site = {s: [d for d in docs if d["site"] == s] for s in HOSTS}
    bad = [
        {
            "url": f"http://{HOSTS['observer']}/news/2016/05/99999.html",
            "problem": "broken link (404)",
            "stage": "fetch",
        },
        {
            "url": f"http://{HOSTS['observer']}/research/2015/08/10999.html",
            "problem": "truncated HTML (cut off in the head)",
            "stage": "extract",
        },
        {
            "url": f"http://{HOSTS['observer']}/research/2019/03/20999.html",
            "problem": "binary data (PNG) at an .html URL",
            "stage": "decode",
        },
        {
            "url": f"http://{HOSTS['hengxin']}/uploads/reports/hengxin-annual-report-2014.pdf",
            "problem": "corrupt PDF",
            "stage": "pdf",
        },
    ]
    extra = {
        "news:1": [("/news/2016/05/99999.html", "【快讯】社区基金会论坛延期举行")],
        "research:1": [
            ("/research/2015/08/10999.html", "行业观察：基金会透明度回顾"),
            ("/research/2019/03/20999.html", "图解：2018年度公益数据"),
        ],
    }
    build_observer(by_site["observer"], extra)
    build_civic(by_site["civic"])
    build_review(by_site["review"])
    build_foundation("mingde", by_site["mingde"], None)
    build_foundation(
        "hengxin", by_site["hengxin"], "/uploads/reports/hengxin-annual-report-2014.pdf"
    )
    host = HOSTS["observer"]
    good = (SITE / host / by_site["observer"][0]["path"].lstrip("/")).read_bytes()
    write(host, "/research/2015/08/10999.html", good[: good.find(b"</title>") + 3])
    write(host, "/research/2019/03/20999.html", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    write(
        HOSTS["hengxin"],
        "/uploads/reports/hengxin-annual-report-2014.pdf",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        + bytes(range(200))
        + b"\n%%EO",
    )
    (SITE / "README.txt").write_text(
        f"{NOTE_ZH}\n{NOTE_EN}\nOne folder per virtual host; served by `qun run --demo`.\n", "utf-8"
    )
    manifest_docs = []
    for doc in sorted(docs, key=lambda d: (d["site"], d["date"], d["id"])):
        text = "\n".join(
            doc.get("paragraphs") or [p for page in doc.get("pages", []) for p in page]
        )
        manifest_docs.append(
            {
                "id": doc["id"],
                "url": f"http://{HOSTS[doc['site']]}{doc['path']}",
                "site": doc["site"],
                "source": SOURCES[doc["site"]],
                "outlet": OUTLETS[doc["site"]],
                "doc_type": "report" if doc["kind"] in ("report", "disclosure") else "article",
                "kind": doc["kind"],
                "section": doc["section"],
                "date": doc["date"],
                "lang": doc["lang"],
                "encoding": doc["encoding"],
                "title": doc["title"],
                "author": doc["author"] or None,
                "allowed": doc["section"] != "member",
                "reprint_of": doc["reprint_of"],
                "organizations": doc["organizations"],
                "concepts": doc["concepts"],
                "partnerships": doc["partnerships"],
                "funding": doc["funding"],
                "text": text,
            }
        )
    manifest = {
        "note": f"{NOTE_EN} {NOTE_ZH}",
        "hosts": HOSTS,
        "robots_disallowed": [f"http://{host}/member/"],
        "documents": manifest_docs,
        "bad_pages": bad,
    }
    (ROOT / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )
    print(
        f"{len(manifest_docs)} documents ({sum(d['allowed'] for d in manifest_docs)} allowed), {len(bad)} bad pages"
    )


if __name__ == "__main__":
    main()
