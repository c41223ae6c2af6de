"""Progress of the long steps: the flows say what they are doing, the command line draws it.

Nothing is shown unless a reporter is installed (`qun` installs a progress bar on stderr when it
is a terminal and --quiet is not given); flows served by Prefect report nothing here.
"""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def step(self, name: str, total: int | None) -> None: ...

    def advance(self, amount: int) -> None: ...

    def close(self) -> None: ...


_reporter: Reporter | None = None


def install(reporter: Reporter | None) -> None:
    """Send progress to `reporter` (None: to nowhere)."""
    global _reporter
    _reporter = reporter


def step(name: str, total: int | None = None) -> None:
    """A new step begins; `total` is the number of units it will advance by, if known."""
    if _reporter is not None:
        _reporter.step(name, total)


def advance(amount: int = 1) -> None:
    if _reporter is not None:
        _reporter.advance(amount)


def close() -> None:
    """End the last step and stop reporting."""
    global _reporter
    if _reporter is not None:
        _reporter.close()
    _reporter = None
