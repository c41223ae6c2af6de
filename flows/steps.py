"""Flows and tasks that run with Prefect when there is a Prefect API to report to, and as plain
function calls otherwise.

A Prefect flow called with no `PREFECT_API_URL` starts a temporary local API server for the one
run and throws it away afterwards: several seconds of fixed cost for a record nobody can read.
So a command run from a terminal calls the functions directly, and Prefect is used when a run
can be seen: inside a flow run (the scheduled deployments that `qun serve` runs, a subflow) or
when `PREFECT_API_URL` names a server (a manual run then shows in its UI beside the scheduled
ones). Deployments load the flows as Prefect flows.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Generic, ParamSpec, TypeVar

from prefect import Flow

P = ParamSpec("P")
R = TypeVar("R")

log = logging.getLogger("qun")


def in_run() -> bool:
    """Whether this code runs inside a Prefect flow or task run."""
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def api_configured() -> bool:
    """Whether a Prefect API is configured (PREFECT_API_URL, in the environment or the active
    profile): without one, Prefect would start a temporary server."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


class Step(Generic[P, R]):
    """A Prefect task inside a flow run; a plain call outside one."""

    def __init__(self, fn: Callable[P, R], **task_options: Any) -> None:
        from prefect import task

        functools.update_wrapper(self, fn)
        self.fn = fn
        self.task = task(**task_options)(fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if in_run():
            return self.task(*args, **kwargs)
        return self.fn(*args, **kwargs)

    def each(self, calls: list[tuple[Any, ...]], done: Callable[[], None]) -> list[R]:
        """Run the step once per argument tuple, side by side (Prefect's task runner in a run,
        threads otherwise); `done()` after each finishes; the results in the order of `calls`."""
        if in_run():
            from prefect.futures import as_completed as prefect_completed

            futures = [self.task.submit(*args) for args in calls]
            for _ in prefect_completed(futures):
                done()
            return [f.result() for f in futures]
        with ThreadPoolExecutor(max_workers=max(1, len(calls))) as pool:
            plain = [pool.submit(self.fn, *args) for args in calls]
            for _ in as_completed(plain):
                done()
            return [f.result() for f in plain]


class Entry(Flow[P, R]):
    """A Prefect flow (deployments load it as one) that runs as a flow when a run can be
    recorded (inside a run, or with a configured API) and as a plain call otherwise."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:  # type: ignore[override]
        if in_run() or api_configured():
            return super().__call__(*args, **kwargs)
        return self.fn(*args, **kwargs)


def step(**task_options: Any) -> Callable[[Callable[P, R]], Step[P, R]]:
    return lambda fn: Step(fn, **task_options)


def entry(**flow_options: Any) -> Callable[[Callable[P, R]], Entry[P, R]]:
    return lambda fn: Entry(fn, **flow_options)  # type: ignore[arg-type]


def logger() -> logging.Logger | logging.LoggerAdapter:
    """The run's logger inside a Prefect run, the `qun` logger otherwise."""
    if in_run():
        from prefect import get_run_logger

        return get_run_logger()
    return log


def publishing() -> bool:
    """Whether artifacts (tables, links) can be recorded: only inside a Prefect run."""
    return in_run()
