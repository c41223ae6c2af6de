"""The way back from a damaged dataset file: set it aside, and say what rebuilds it.

Readers stop at a damaged file (qun.datasets.store.DamagedFile) and writers never replace a
dataset they could not read whole, so a damaged file loses nothing more until it is dealt with.
`repair` moves every damaged file (and every temporary file an interrupted write left) into
`<data-dir>/_damaged/<time>/`, keeping its dataset and partition in the path, and makes the
rows it held come back on the next runs:

- `documents`: `qun reextract` rebuilds them from the WARC archive (pages that were never
  archived come back with the next crawl of their source);
- a mention dataset (`org_mentions`, `concept_mentions`, `funding`, `partnerships`) or the
  `extraction_log`: the log of the same partition is set aside too, so `qun extract --documents`
  extracts that partition's documents again (and drops their rows from the other mention
  datasets first: no duplicates);
- `organizations` and the trend datasets: `qun trends` computes them again from the rest;
- `crawl_errors`: the next crawl records the errors that still occur; `crawl_runs`: the run
  history of that partition is lost (it has no other copy).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from qun.datasets import catalog, documents, mentions, runs, store

DAMAGED_DIR = "_damaged"
_MENTIONS = {
    mentions.ORG_SPEC.name,
    mentions.CONCEPT_SPEC.name,
    mentions.FUNDING_SPEC.name,
    mentions.PARTNERSHIP_SPEC.name,
    mentions.LOG_SPEC.name,
}
_REEXTRACT = "qun reextract"
_EXTRACT = "qun extract --documents"
_TRENDS = "qun trends"
_STEPS = (_REEXTRACT, _EXTRACT, _TRENDS)  # the order they must run in


def rebuilt_by(dataset: str) -> str:
    """How the rows of a set-aside file of `dataset` come back."""
    if dataset == documents.SPEC.name:
        return f"`{_REEXTRACT}` (from the WARC archive), then `{_EXTRACT}` and `{_TRENDS}`"
    if dataset in _MENTIONS:
        return f"`{_EXTRACT}` (extracts the partition's documents again), then `{_TRENDS}`"
    if dataset == documents.ERRORS_SPEC.name:
        return "the next `qun crawl` (errors that still occur are recorded again)"
    if dataset == runs.SPEC.name:
        return "nothing: this partition's run history had no other copy"
    return f"`{_TRENDS}`"


def _steps(dataset: str) -> tuple[str, ...]:
    if dataset == documents.SPEC.name:
        return _STEPS
    if dataset in _MENTIONS:
        return _STEPS[1:]
    if dataset in (documents.ERRORS_SPEC.name, runs.SPEC.name):
        return ()
    return _STEPS[2:]


@dataclass(frozen=True)
class SetAside:
    """One file moved out of a dataset, and why."""

    dataset: str
    path: Path
    moved_to: Path
    cause: str

    @property
    def rebuilt_by(self) -> str:
        return rebuilt_by(self.dataset)


def _move(path: Path, data_dir: Path, stamp: str) -> Path:
    target = data_dir / DAMAGED_DIR / stamp / path.relative_to(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    return target


def repair(data_dir: Path | str) -> list[SetAside]:
    """Set aside every damaged file and leftover temporary file under `data_dir` (the caller
    holds the data folder's lock); what was moved, in catalog order."""
    data_dir = Path(data_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    moved: list[SetAside] = []
    log_folders: set[str] = set()
    for spec in catalog.ALL:
        for tmp in sorted(spec.path(data_dir).glob("*/.*.tmp")):
            moved.append(SetAside(spec.name, tmp, _move(tmp, data_dir, stamp), "left over"))
        for part in store.part_files(spec, data_dir):
            problem = store.file_problem(part, full=True)
            if problem is None:
                continue
            moved.append(SetAside(spec.name, part, _move(part, data_dir, stamp), problem))
            if spec.name in _MENTIONS:
                log_folders.add(part.parent.name)
    for folder in sorted(log_folders):  # those documents are extracted again
        log = mentions.LOG_SPEC.path(data_dir) / folder / store.PART_FILE
        if log.exists():
            cause = "its partition's mentions were damaged"
            moved.append(SetAside(mentions.LOG_SPEC.name, log, _move(log, data_dir, stamp), cause))
    return moved


def next_steps(moved: list[SetAside]) -> list[str]:
    """The commands that bring the set-aside rows back, in the order to run them."""
    wanted = {step for item in moved if item.cause != "left over" for step in _steps(item.dataset)}
    return [step for step in _STEPS if step in wanted]
