"""`qun serve` against a real Prefect server on 127.0.0.1: the deployments are registered with
their schedules, and a triggered run of the weekly one completes and writes the report."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT

# crawls, runs or builds of the whole pipeline: left out by `make test-fast`
pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
STARTUP = 300  # seconds; generous, for a busy machine
RUN = 600
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(log: Path) -> str:
    return log.read_text("utf-8", errors="replace")[-3000:] if log.exists() else "(no log)"


def _wait(what: str, check: Callable[[], Any], limit: float, procs: dict[str, Any]) -> Any:
    """Poll `check` until it returns something truthy; fail with the logs if it never does."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for name, (proc, log) in procs.items():
            if proc.poll() is not None:
                pytest.fail(
                    f"{name} exited ({proc.returncode}) while waiting for {what}:\n{_tail(log)}"
                )
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(1)
    logs = "\n".join(f"--- {n}:\n{_tail(log)}" for n, (_, log) in procs.items())
    pytest.fail(f"gave up waiting {limit:.0f} s for {what}\n{logs}")


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as fh:
        return subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(proc: subprocess.Popen, sig: int) -> None:
    """Stop a process group we started: `sig` first, then SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # children left behind, if any
    except ProcessLookupError:
        pass


def _deployment(api: str, name: str) -> dict | None:
    """A deployment by "flow/deployment" name, or None while it does not exist."""
    response = httpx.get(f"{api}/deployments/name/{name}", timeout=10)
    return response.json() if response.status_code == 200 else None


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], dict[str, Any]]]:
    """`prefect server start` on a free 127.0.0.1 port with its own PREFECT_HOME."""
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    log = tmp_path / "server.log"
    server = _start(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        log,
    )
    procs: dict[str, Any] = {"prefect server": (server, log)}
    try:
        _wait(
            "the Prefect server's health endpoint",
            lambda: httpx.get(f"{api}/health", timeout=5).status_code == 200,
            STARTUP,
            procs,
        )
        yield api, env, procs
    finally:
        _stop(server, signal.SIGTERM)


@pytest.mark.e2e
def test_served_deployments_run_to_completion(demo_dir: Path, tmp_path: Path, prefect_server):
    api, env, procs = prefect_server
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("report", "archive"))
    serve_log = tmp_path / "serve.log"
    serve = _start(
        # a real source: the daily crawl is registered, never triggered here
        [str(BIN / "qun"), "serve", "--data-dir", str(data), "--sources", "cdb-zh"],
        env,
        serve_log,
    )
    procs["qun serve"] = (serve, serve_log)
    try:
        weekly = _wait(
            "qun serve to register the deployments",
            lambda: _deployment(api, "qun-trends-and-report/weekly-trends-and-report"),
            STARTUP,
            procs,
        )
        daily = _deployment(api, "qun-crawl-and-extract/daily-crawl-and-extract")
        assert daily is not None
        assert [s["schedule"]["cron"] for s in daily["schedules"]] == ["0 3 * * *"]
        assert [s["schedule"]["cron"] for s in weekly["schedules"]] == ["0 5 * * 1"]
        assert daily["parameters"] == {
            "data_dir": str(data.resolve()),
            "sources": "cdb-zh",
            "dask": None,
        }

        def create_run() -> dict | None:
            """A new flow run; None while the server answers 503 (its database is busy while
            `qun serve` registers and polls; Prefect's own client retries the same way)."""
            url = f"{api}/deployments/{weekly['id']}/create_flow_run"
            response = httpx.post(url, json={}, timeout=10)
            if response.status_code == 503:
                return None
            response.raise_for_status()
            return response.json()

        run_id = _wait("the server to create a flow run", create_run, STARTUP, procs)["id"]

        def finished() -> dict | None:
            response = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10)
            if response.status_code == 503:  # busy database, as above
                return None
            state = response.json()["state"]
            return state if state and state["type"] in TERMINAL else None

        state = _wait("the triggered run to finish", finished, RUN, procs)
        assert state["type"] == "COMPLETED", f"{state}\n{_tail(serve_log)}"
        report = data / "report" / "index.html"
        assert report.exists() and "集合影响力" in report.read_text("utf-8")
        assert sorted(p.name for p in (data / "report" / "charts").glob("*.png")) == [
            "adoption_curves.png",
            "backbone.png",
            "concept_attention.png",
            "funders.png",
            "partnerships.png",
        ]
        artifacts = httpx.post(
            f"{api}/artifacts/filter",
            json={"artifacts": {"key": {"any_": ["qun-report", "qun-trends-counts"]}}},
            timeout=10,
        ).json()
        assert {a["key"] for a in artifacts} == {"qun-report", "qun-trends-counts"}
    finally:
        _stop(serve, signal.SIGINT)
    assert serve.returncode is not None


def test_serve_without_a_server_says_how_to_start_one(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path)
    proc = subprocess.run(
        [str(BIN / "qun"), "serve", "--data-dir", str(tmp_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "prefect server start" in proc.stderr and "PREFECT_API_URL" in proc.stderr
