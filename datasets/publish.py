"""Output files published together: every file of an output (the report's page, charts, tables
and workbook) is written under a temporary name beside its final one, and only when all are
written are they moved into place (renames only, the page last), so a failure or a kill while
writing leaves the previous output whole, never a 0-byte chart, a cut CSV or a workbook that
does not open. Files of the previous output that the new one does not have are removed after
the switch; temporary files a killed writer left are removed by the next publication."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path

TMP_PREFIX = ".qun-"
TMP_SUFFIX = ".tmp"


def leftovers(folder: Path) -> list[Path]:
    """Temporary files an interrupted publication left under `folder`."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob(f"{TMP_PREFIX}*{TMP_SUFFIX}") if p.is_file())


class Publication:
    """Files to publish under `folder` together: `path(name)` gives the temporary path to write
    `name` (relative to `folder`) to; `commit()` moves them all into place."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.staged: dict[Path, Path] = {}  # final -> temporary
        for old in leftovers(self.folder):
            old.unlink(missing_ok=True)

    def path(self, name: str | Path) -> Path:
        final = self.folder / name
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f"{TMP_PREFIX}{final.name}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")
        self.staged[final] = tmp
        return tmp

    def write_bytes(self, name: str | Path, data: bytes) -> None:
        self.path(name).write_bytes(data)

    def write_text(self, name: str | Path, text: str) -> None:
        self.path(name).write_text(text, "utf-8")

    def commit(self, last: Iterable[str | Path] = (), stale: Iterable[Path] = ()) -> None:
        """Move every staged file into place, those named in `last` after the others (the page
        that links the rest), then remove the `stale` files the new output does not have."""
        for tmp in self.staged.values():
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        final_last = {self.folder / n for n in last}
        order = sorted(self.staged, key=lambda f: f in final_last)
        for final in order:
            os.replace(self.staged[final], final)
        self.staged.clear()
        for path in stale:
            if path not in order:
                path.unlink(missing_ok=True)

    def abort(self) -> None:
        for tmp in self.staged.values():
            tmp.unlink(missing_ok=True)
        self.staged.clear()
