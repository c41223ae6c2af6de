"""Datasets in object storage: `--data-dir s3://bucket/prefix` (also `gs://`, `hdfs://` and
anything else pyarrow's filesystems open), with the guarantees of the local writer.

A write puts each partition's new file under a hidden temporary key in its folder
(`<dataset>/<col>=<value>/.part-0.parquet.<uuid>.tmp`; readers, qun's and pyarrow's, skip
names that start with a dot), and only when every file of every dataset written together is
complete are they moved onto their keys, one object each. An object store's move is a
server-side copy of a whole object followed by a delete, so each key holds the old file or the
new one, never a part: a writer stopped at any point leaves every dataset readable, and the
next write removes the temporary keys it left. What a local rename guarantees per file, the
copy guarantees per object. There is no whole-dataset manifest: a reader that lists a dataset
while a write moves its partitions may see some partitions new and some old, as with a local
folder (`.qun-state/switching` names the datasets while the moves run, as locally).

Credentials and endpoints are pyarrow's: the usual `AWS_*` variables (`AWS_ENDPOINT_URL` for an
S3-compatible server), or options in the URL (`s3://bucket/prefix?endpoint_override=...`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # pyarrow loads when a URL is opened: `qun --help` stays quick
    import pyarrow.fs as pafs

_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_uri(data_dir: object) -> bool:
    """Whether `data_dir` is a URL for a filesystem other than the local one (file:// is local)."""
    return (
        isinstance(data_dir, str)
        and bool(_URI.match(data_dir))
        and not data_dir.startswith("file://")
    )


def local_path(data_dir: object) -> object:
    """`file:///x` as the path `/x`; anything else unchanged."""
    if isinstance(data_dir, str) and data_dir.startswith("file://"):
        return urlsplit(data_dir).path
    return data_dir


@dataclass(frozen=True)
class Root:
    """A data directory in a pyarrow filesystem: the filesystem, the path inside it, and the URL
    it was given as (for messages)."""

    fs: pafs.FileSystem
    path: str
    url: str

    def join(self, *parts: str) -> str:
        return "/".join([self.path.rstrip("/"), *parts])

    def show(self, *parts: str) -> str:
        base = self.url.split("?", 1)[0].rstrip("/")
        return "/".join([base, *parts])


_roots: dict[str, Root] = {}


class CannotOpen(ValueError):
    """A URL that names no filesystem pyarrow can open (store turns it into a DatasetError)."""


def root(url: str) -> Root:
    """The filesystem and path a URL names (opened once per process)."""
    import pyarrow as pa
    import pyarrow.fs as pafs

    if url not in _roots:
        try:
            fs, path = pafs.FileSystem.from_uri(url)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise CannotOpen(f"cannot open {url}: {' '.join(str(exc).split())}") from exc
        _roots[url] = Root(fs, path.rstrip("/"), url)
    return _roots[url]


def tmp_key(folder: str, name: str) -> str:
    """A hidden temporary key in `folder` for a new version of `name`."""
    return f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"


def listing(r: Root, prefix: str) -> list[pafs.FileInfo]:
    """Every file under `prefix` (nothing when it does not exist)."""
    import pyarrow.fs as pafs

    selector = pafs.FileSelector(prefix, recursive=True, allow_not_found=True)
    return [f for f in r.fs.get_file_info(selector) if f.type == pafs.FileType.File]


def data_dir(value: object) -> object:
    """A --data-dir as the code takes it: a URL stays a string, anything else is a local Path
    (`file:///x` too)."""
    from pathlib import Path

    if is_uri(value):
        return str(value)
    return Path(str(local_path(value)))


WORK_ENV = "QUN_WORK_DIR"


def work_dir(data_dir: object) -> object:
    """Where a run keeps its local working files (crawl outputs before ingest, WARC archives,
    the report, step fingerprints, the writer lock): the data directory itself when it is
    local; for a URL, `QUN_WORK_DIR` or `~/.cache/qun/<host and path of the URL>`."""
    import os
    from pathlib import Path

    if not is_uri(data_dir):
        return Path(str(local_path(data_dir)))
    configured = os.environ.get(WORK_ENV, "").strip()
    if configured:
        return Path(configured)
    url = urlsplit(str(data_dir))
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{url.scheme}_{url.netloc}{url.path}").strip("_")
    return Path.home() / ".cache" / "qun" / slug


def location(data_dir: object, *parts: str) -> str:
    """A data directory (and a path inside it) as a user would write it: an absolute local
    path, or the URL without its query."""
    from pathlib import Path

    if is_uri(data_dir):
        return "/".join([str(data_dir).split("?", 1)[0].rstrip("/"), *parts])
    return str(Path(str(local_path(data_dir))).resolve().joinpath(*parts))
