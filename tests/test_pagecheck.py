"""`qun eval pages`: strings that must and must not be in the main text and the publication
date, scored for qun (with the site templates learnt from the pages) and the other extractors."""

from __future__ import annotations

import json
from pathlib import Path

from qun.spiders import pagecheck
from tests.conftest import qun

BODY = "".join(
    f"<p>第{k}段：社区基金会和社会组织一起工作，分享数据，共同推进项目。</p>" for k in range(5)
)


def _site(root: Path) -> Path:
    for i in range(1, 4):
        page = (
            "<html><body><ul><li><a href='/'>首页</a></li><li><a href='/n'>新闻中心</a></li></ul>"
            f"<h1>标题{i}</h1><div>2024-03-0{i} 来源：测试网</div>{BODY.replace('第', f'{i}-第')}"
            "<p>相关新闻：乡村振兴论坛举行</p><p>版权所有 测试网</p></body></html>"
        )
        (root / "site" / f"{i}.html").parent.mkdir(parents=True, exist_ok=True)
        (root / "site" / f"{i}.html").write_text(page, "utf-8")
    checks = root / "checks"
    checks.mkdir()
    rows = [
        {
            "site": "site",
            "file": f"{i}.html",
            "title": f"标题{i}",
            "date": f"2024-03-0{i}",
            "must": [f"{i}-第0段：社区基金会", f"{i}-第4段：社区基金会"],
            "must_not": ["相关新闻：乡村振兴论坛举行", "版权所有 测试网"],
        }
        for i in range(1, 4)
    ]
    (checks / "held-out.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8"
    )
    return checks


def test_scores_count_what_they_say(tmp_path: Path):
    checks = pagecheck.load_checks(_site(tmp_path))
    scores = pagecheck.evaluate(checks, tmp_path, extractors=("qun",))
    plain = scores["held-out"]["qun without site templates"]
    learnt = scores["held-out"]["qun"]
    assert plain["pages"] == 3 and plain["must_strings_found"] == 1.0
    assert plain["pages_without_boilerplate"] == 0.0  # kept the related line and the footer
    assert learnt["pages_without_boilerplate"] == 1.0  # the site's lines, learnt from 3 pages
    assert learnt["dates_right"] == 1.0 and learnt["misses"] == []


def test_eval_pages_command(tmp_path: Path):
    checks = _site(tmp_path)
    out = qun("eval", "pages", "--checks", str(checks), "--pages", str(tmp_path), "--json")
    scores = json.loads(out.stdout)
    assert set(scores) == {"held-out", "all"}
    assert set(scores["all"]) == {
        "qun",
        "qun without site templates",
        "trafilatura",
        "readability-lxml",
    }
    assert scores["all"]["readability-lxml"]["dates_right"] is None
    proc = qun("eval", "pages", "--checks", str(tmp_path / "none"), check=False)
    assert proc.returncode == 1 and "no page checks found" in proc.stderr


def test_the_held_out_page_checks_name_their_pages_sources():
    """gh-c, gh-d and gh-e: pages of other outlets, saved by public extraction projects and
    crawlers; the project keeps only the strings, and each line names the repository and path
    its page comes from. No outlet is in two splits."""
    splits = ("gh-c", "gh-d", "gh-e")
    checks = pagecheck.load_checks(pagecheck.CHECKS.with_name("page_checks_heldout"))
    assert len(checks) == 59 and {c.split for c in checks} == set(splits)
    sites = {split: {c.site for c in checks if c.split == split} for split in splits}
    assert [len(sites[s]) for s in splits] == [13, 13, 16]
    assert sum(len(v) for v in sites.values()) == len(set().union(*sites.values()))
    gne = {c.site for c in pagecheck.load_checks()}
    assert not gne & {c.site for c in checks}
    folder = pagecheck.CHECKS.with_name("page_checks_heldout")
    rows = [
        json.loads(line)
        for name in (f"{split}.jsonl" for split in splits)
        for line in folder.joinpath(name).read_text("utf-8").splitlines()
    ]
    assert len(rows) == 59 and all(":" in r["source"] and "/" in r["source"] for r in rows)
    # a missed string is reported as lost, so a reader sees what the text lacks
    score = pagecheck.Score()
    score.add(checks[0], pagecheck.Read(text="nothing of the article"))
    assert score.misses[0].startswith(f"{checks[0].site}/{checks[0].file}: lost ")
