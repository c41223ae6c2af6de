"""The report in headless Chromium: every chart is in the page, nothing is logged as an error,
and a document titled `<script>alert(1)</script>` shows as text. A screenshot is kept.

Chromium is driven over the DevTools protocol on 127.0.0.1 (the websockets client Prefect
already installs), which tells console errors from other console output.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.conftest import ROOT, qun
from tests.test_report import CHARTS, SCRIPT_TITLE, data_with_script_title

# crawls, runs or builds of the whole pipeline: left out by `make test-fast`
pytestmark = pytest.mark.e2e

WAIT = 120  # seconds; generous, for a busy machine
ARTIFACTS = Path(os.environ.get("QUN_TEST_ARTIFACTS", ROOT / "test-artifacts"))


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


class Page:
    """One browser tab over the DevTools protocol; keeps the events it sees."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.last_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        message: dict[str, Any] = {"id": self.last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=WAIT))
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str) -> dict[str, Any]:
        while True:
            for seen in self.events:
                if seen.get("method") == event:
                    self.events.remove(seen)
                    return seen
            self.events.append(json.loads(self.ws.recv(timeout=WAIT)))

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True
        )
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions, failed loads and dialogs seen so far."""
        found = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                found.append("console: " + " ".join(str(a.get("value")) for a in p["args"]))
            elif e.get("method") == "Runtime.exceptionThrown":
                found.append("exception: " + p["exceptionDetails"]["text"])
            elif e.get("method") == "Log.entryAdded" and p["entry"]["level"] == "error":
                found.append("log: " + p["entry"]["text"])
            elif e.get("method") == "Page.javascriptDialogOpening":
                found.append("dialog: " + p["message"])
        return found

    def screenshot(self, path: Path) -> None:
        size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
        shot = self.call(
            "Page.captureScreenshot",
            session=True,
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    exe = _chromium()
    if exe is None:
        pytest.skip(
            "Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
        )
    profile = tmp_path_factory.mktemp("chromium-profile")
    log = profile.parent / "chromium.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "--window-size=1280,900",
                "about:blank",
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + WAIT
        while not (port_file.exists() and len(port_file.read_text().split()) == 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Chromium did not open its DevTools port:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        port, path = port_file.read_text().split()
        with connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as ws:
            yield Page(ws)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_console_errors_are_caught(browser: Page, tmp_path: Path):
    """The check below would see an error: a page that logs one is caught."""
    page = tmp_path / "error.html"
    page.write_text("<p>x</p><script>console.log('fine'); console.error('boom')</script>")
    browser.open(page.as_uri())
    assert browser.errors() == ["console: boom"]


@pytest.mark.e2e
def test_report_renders_in_headless_chromium(browser: Page, demo_dir: Path, tmp_path: Path):
    data = data_with_script_title(demo_dir, tmp_path / "data")
    qun("report", "--data-dir", str(data))
    report = data / "report" / "index.html"
    browser.open(report.as_uri())

    drawn = browser.js(
        "Array.from(document.querySelectorAll('figure.chart')).map(f => "
        "[f.id, f.querySelectorAll('svg path').length, f.getBoundingClientRect().height])"
    )
    assert [d[0] for d in drawn] == [f"chart-{c}" for c in CHARTS]
    for chart_id, paths, height in drawn:
        assert paths > 10 and height > 100, (chart_id, paths, height)
    assert browser.js("document.querySelectorAll('script').length") == 0
    assert SCRIPT_TITLE in browser.js("document.body.innerText")
    assert browser.js("document.title") == "qun trend report"
    screenshot = ARTIFACTS / "report.png"
    browser.screenshot(screenshot)
    print(f"screenshot of the report: {screenshot}")
    assert browser.errors() == []
    assert screenshot.read_bytes().startswith(b"\x89PNG")
