"""The scheduled runs: a daily crawl-and-extract and a weekly trends-and-report, served from
this process to the Prefect server that PREFECT_API_URL names (`qun serve`).

Deployments are declared here, not in the flow modules; the flows stay plain functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qun.datasets import remote

DAILY = "daily-crawl-and-extract"
WEEKLY = "weekly-trends-and-report"


@dataclass(frozen=True)
class Schedules:
    """When the two deployments run (cron, in `timezone`)."""

    daily_cron: str = "0 3 * * *"  # every day at 03:00
    weekly_cron: str = "0 5 * * 1"  # Mondays at 05:00
    timezone: str = "Asia/Shanghai"


def deployments(
    data_dir: str | Path,
    sources: str = "real",
    dask: str | None = None,
    when: Schedules = Schedules(),
) -> list[Any]:
    """The two deployments, with their parameters (data dir, sources, Dask cluster) fixed."""
    from prefect.schedules import Cron

    from qun.flows.pipeline import crawl_and_extract_flow, trends_and_report_flow

    data = remote.location(data_dir)  # a local folder made absolute, or the URL
    return [
        crawl_and_extract_flow.to_deployment(
            name=DAILY,
            schedule=Cron(when.daily_cron, timezone=when.timezone),
            parameters={"data_dir": data, "sources": sources, "dask": dask},
            description="Crawl the sources, then extract new or changed documents.",
            tags=["qun"],
        ),
        trends_and_report_flow.to_deployment(
            name=WEEKLY,
            schedule=Cron(when.weekly_cron, timezone=when.timezone),
            parameters={"data_dir": data},
            description="Recompute the trend tables and write the report.",
            tags=["qun"],
        ),
    ]


def api_url() -> str | None:
    """The Prefect API this process talks to (PREFECT_API_URL or the active profile)."""
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def unreachable(url: str, timeout: float = 10.0) -> str | None:
    """Why the Prefect API at `url` cannot be used (its health endpoint does not answer OK),
    or None when it answers."""
    import httpx

    try:
        response = httpx.get(url.rstrip("/") + "/health", timeout=timeout)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if response.status_code != 200:
        return f"its health check answered HTTP {response.status_code}"
    return None


def serve(
    data_dir: str | Path, sources: str = "real", dask: str | None = None, limit: int = 1
) -> None:
    """Register the deployments and run their flow runs until interrupted."""
    from prefect import serve as prefect_serve

    prefect_serve(*deployments(data_dir, sources, dask), limit=limit)
