"""Run a spider in its own process (the Twisted reactor cannot be restarted, so an in-process
crawl would break a Prefect retry) and read its stats back; its items are in JSON lines files
of its output folder (documents.jsonl, errors.jsonl), taken in by qun.datasets.ingest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FAST_SETTINGS = {  # for the local sample site: no politeness delays needed
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
}


class CrawlFailed(RuntimeError):
    """The spider process failed or did not finish; the message carries the reason."""


@dataclass(frozen=True)
class CrawlRun:
    spider: str
    out_dir: Path
    stats: dict[str, Any]

    @property
    def documents(self) -> int:
        return int(self.stats.get("qun/documents", 0))

    @property
    def errors(self) -> int:
        return int(self.stats.get("qun/errors", 0))


def run_spider(
    spider: str,
    sources: str,
    out_dir: Path,
    proxy: str | None = None,
    fast: bool = False,
    registry: Path | None = None,
    settings: dict[str, str] | None = None,
    warc_dir: Path | None = None,
    seen_file: Path | None = None,
    run_id: str | None = None,
) -> CrawlRun:
    """`scrapy crawl <spider>` in a subprocess; raise CrawlFailed unless it finished cleanly."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "stats.json").unlink(missing_ok=True)
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="qun.spiders.settings")
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        env.pop(var, None)
    if proxy:
        env["http_proxy"] = env["HTTP_PROXY"] = proxy
    cmd = [
        sys.executable,
        "-P",  # not the working directory: a user's models.py or scrapy/ shadows nothing
        "-m",
        "scrapy",
        "crawl",
        spider,
        "-a",
        f"source={sources}",
        "-s",
        f"QUN_OUTPUT_DIR={out_dir}",
        "-s",
        f"LOG_FILE={out_dir / 'crawl.log'}",
        "-s",
        "LOG_LEVEL=INFO",
    ]
    if registry:
        cmd += ["-a", f"registry={registry}"]
    if proxy:  # the demo and tests serve their sites on loopback through this proxy
        cmd += ["-s", "QUN_ALLOW_PRIVATE=True"]
    if warc_dir:
        cmd += ["-s", f"QUN_WARC_DIR={warc_dir}", "-s", f"QUN_RUN_ID={run_id or out_dir.name}"]
    if seen_file:
        cmd += ["-s", f"QUN_SEEN_FILE={seen_file}"]
    for key, value in {**(FAST_SETTINGS if fast else {}), **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    stats_file = out_dir / "stats.json"
    if proc.returncode != 0 or not stats_file.exists():
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        raise CrawlFailed(f"spider {spider!r} exited with {proc.returncode}: {' | '.join(tail)}")
    stats = json.loads(stats_file.read_text("utf-8"))
    if stats.get("finish_reason") != "finished":
        raise CrawlFailed(f"spider {spider!r} stopped early: {stats.get('finish_reason')}")
    # a spider that got no response at all still returns: its failures are in errors.jsonl,
    # to be recorded in crawl_errors before the crawl is called failed (see `unanswered`)
    return CrawlRun(spider, out_dir, stats)


def unanswered(runs: list[CrawlRun]) -> str | None:
    """When no request of any spider got a response (no network, or every site down): one line
    saying so, with the commonest failure reason; else None."""
    asked = sum(int(r.stats.get("downloader/request_count", 0)) for r in runs)
    if not asked or any(r.stats.get("downloader/response_count") for r in runs):
        return None
    reasons: dict[str, int] = {}
    for r in runs:
        path = r.out_dir / "errors.jsonl"
        if path.exists():
            for line in path.read_text("utf-8").splitlines():
                if line.strip():
                    reason = json.loads(line).get("reason") or "unknown"
                    reasons[reason] = reasons.get(reason, 0) + 1
    common = max(reasons, key=reasons.__getitem__) if reasons else "no reason recorded"
    return (
        f"no site answered: {asked} requests got no response (e.g. {common}); check the network "
        "connection or the sites, and see crawl_errors for each failure"
    )
