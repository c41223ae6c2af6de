"""Crawl plus extraction of the bundled sample site, served locally with delays off.

Reports pages per second three ways, medians over repeated runs: over the whole spider processes
(start-up included, `pages_per_s_wall`), over the crawl phase while both spiders run side by side
(first start to last finish in Scrapy's stats, `pages_per_s_crawl_phase`), and over the sum of the
two spiders' own crawl times (`pages_per_s_crawl`, as if they ran one after the other). The
reference figure in the same run is the time to start Python and import the spider stack.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import median, save  # noqa: E402
from qun.spiders.devserver import SiteServer  # noqa: E402
from qun.spiders.process import run_spider  # noqa: E402


def one_run(server: SiteServer, out: Path) -> dict[str, float]:
    """Both spiders side by side, as the crawl flow runs them."""
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        runs = list(
            pool.map(
                lambda s: run_spider(s, "sample", out / s, proxy=server.url, fast=True),
                ("media", "reports"),
            )
        )
    wall = time.perf_counter() - start
    pages = sum(r.stats.get("downloader/response_count", 0) for r in runs)
    docs = sum(r.documents for r in runs)
    crawl = sum(float(r.stats.get("elapsed_time_seconds", 0)) for r in runs)
    starts = [datetime.fromisoformat(r.stats["start_time"]) for r in runs]
    ends = [datetime.fromisoformat(r.stats["finish_time"]) for r in runs]
    phase = (max(ends) - min(starts)).total_seconds()
    return {"wall_s": wall, "crawl_s": crawl, "phase_s": phase, "pages": pages, "documents": docs}


def startup() -> float:
    """Reference: start Python and import the spider stack (Scrapy, trafilatura, pipelines)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import scrapy.crawler, spiders.pipelines"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results, starts = [], []
    with SiteServer() as server, tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            results.append(one_run(server, Path(tmp) / f"run{i}"))
            starts.append(startup())
    pages = results[0]["pages"]
    summary = {
        "repeat": args.repeat,
        "pages": pages,
        "documents": results[0]["documents"],
        "wall_s_median": median([r["wall_s"] for r in results]),
        "crawl_s_median": median([r["crawl_s"] for r in results]),
        "pages_per_s_wall": median([r["pages"] / r["wall_s"] for r in results]),
        "pages_per_s_crawl": median([r["pages"] / r["crawl_s"] for r in results]),
        "crawl_phase_s_median": median([r["phase_s"] for r in results]),
        "pages_per_s_crawl_phase": median([r["pages"] / r["phase_s"] for r in results]),
        "reference_import_s": median(starts),
    }
    path = save("crawl", summary)
    print(f"{path}: {summary}")


if __name__ == "__main__":
    main()
