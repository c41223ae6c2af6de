"""Datasets in object storage, against an S3-compatible server started on 127.0.0.1 (moto's
server mode): writes, reads and streams through pyarrow's S3 filesystem, the whole pipeline on
the sample site with its extraction on a local Dask cluster, the datasets read back with pandas
and pyarrow from the same URL, and writers killed at random points during their commits."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from qun.datasets import remote, store
from qun.datasets.read import load, validate
from qun.datasets.store import DatasetSpec
from tests.conftest import qun

SPEC = DatasetSpec(
    "things",
    pa.schema([("id", pa.string()), ("part", pa.string()), ("n", pa.int64())]),
    "part",
    ("id",),
)


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """An S3-compatible server on 127.0.0.1 for this module's tests; its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{server._server.server_port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A new bucket on the local server, and the environment (inherited by `qun` processes)
    that points pyarrow at it; the URL of a data directory in it."""
    import boto3

    env = {
        "AWS_ENDPOINT_URL": s3_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        remote.WORK_ENV: str(tmp_path / "work"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bucket = f"qun-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=bucket)
    remote._roots.clear()
    return f"s3://{bucket}/data"


def _table(rows: list[tuple[str, str, int]]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"id": i, "part": p, "n": n} for i, p, n in rows], schema=SPEC.schema
    )


def test_writes_reads_and_streams_go_through_the_url(s3: str) -> None:
    store.write(SPEC, s3, _table([("a", "x", 1), ("b", "y", 2)]))
    assert store.read(SPEC, s3)["id"].to_pylist() == ["a", "b"]
    assert store.count(SPEC, s3) == 2
    assert [t.num_rows for t in store.scan(SPEC, s3)] == [1, 1]
    with store.StreamWriter(SPEC, s3, replace_all=True) as out:
        out.write(_table([("c", "x", 3)]))
        result = out.close()
    assert result.rows == 1 and str(result.path) == f"{s3}/things"
    # the partition the replacing write no longer holds is gone, with no temporary keys left
    assert store.read(SPEC, s3).to_pylist() == [{"id": "c", "part": "x", "n": 3}]
    r = remote.root(s3)
    keys = [f.path for f in remote.listing(r, r.path)]
    assert keys == [f"{r.path}/things/part=x/part-0.parquet"]
    # read back by pyarrow and pandas from the same URL, as a data scientist would
    table = ds.dataset(f"{s3}/things", format="parquet", partitioning="hive").to_table()
    assert table.column("id").to_pylist() == ["c"]
    import pandas as pd

    assert pd.read_parquet(f"{s3}/things")["n"].tolist() == [3]


def test_a_failed_write_leaves_the_dataset_as_it_was(s3: str) -> None:
    store.write(SPEC, s3, _table([("old", "x", 1)]))
    with pytest.raises(store.DatasetError, match="unsafe partition value"):
        store.write_together(
            s3, [(SPEC, _table([("new", "x", 2), ("bad", "../up", 3)]))], replace_all=True
        )
    assert store.read(SPEC, s3)["id"].to_pylist() == ["old"]
    assert store.stale_files(SPEC, s3) == []


# A writer that replaces two datasets together, again and again: generation k writes k in every
# row of every partition. Killed at random points, it must leave each partition file whole.
WRITER = textwrap.dedent(
    """
    import sys
    import pyarrow as pa
    from qun.datasets import store
    from tests.test_remote import SPEC, OTHER
    url = sys.argv[1]
    for k in range(1, 1000):
        rows = [{"id": f"{p}{i}", "part": p, "n": k} for p in "abcdef" for i in range(3000)]
        table = pa.Table.from_pylist(rows, schema=SPEC.schema)
        store.write_together(url, [(SPEC, table), (OTHER, table)], replace_all=True)
        print(k, flush=True)
    """
)
OTHER = DatasetSpec("others", SPEC.schema, "part", ("id",))


def test_a_writer_killed_mid_commit_leaves_every_dataset_readable(s3: str) -> None:
    rng = random.Random(17)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    generations: set[int] = set()
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, s3], env=env, stdout=subprocess.PIPE, text=True
        )
        time.sleep(rng.uniform(1.5, 4.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        moving = store.switching(s3) or []  # killed among the moves: validate reports it
        for spec in (SPEC, OTHER):
            table = store.read(spec, s3)  # every file reads
            if not table.num_rows:
                continue
            parts = set(table["part"].to_pylist())
            if spec.name not in moving:
                assert parts == set("abcdef")  # not stopped while moving: all of one write
            # each partition file is one whole generation (old or new), never a mix within a
            # file; killed while moving the first generation, some partitions are not there yet
            for part in parts:
                ns = set(table.filter(pa.compute.equal(table["part"], part))["n"].to_pylist())
                assert len(ns) == 1
                assert table.filter(pa.compute.equal(table["part"], part)).num_rows == 3000
                generations |= ns
    # the kills fell in different generations, and the next write cleans up after them
    assert len(generations) > 1
    store.write_together(s3, [(SPEC, _table([("z", "a", 0)]))], replace_all=True)
    assert store.stale_files(SPEC, s3) == []


@pytest.mark.e2e
def test_the_pipeline_runs_on_a_url_with_extraction_on_dask(s3: str, demo_dir: Path) -> None:
    """`qun run --demo --data-dir s3://…` with the extraction on a local Dask cluster: the
    datasets hold what a local run's hold, and read back from the same URL."""
    proc = qun("run", "--demo", "--dask", "local:2", "--data-dir", s3, check=False, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    remote._roots.clear()
    for name in ("documents", "org_mentions", "funding", "partnerships", "concept_trends"):
        here = load(name, s3)
        local = load(name, demo_dir)
        assert here.num_rows == local.num_rows > 0, name
    assert validate(s3) == []
    docs = ds.dataset(f"{s3}/documents", format="parquet", partitioning="hive")
    assert docs.count_rows() == load("documents", demo_dir).num_rows
    report = Path(os.environ[remote.WORK_ENV]) / "report" / "index.html"
    assert report.exists() and "qun" in report.read_text("utf-8")
    # nothing new: trends and report are not computed again
    again = qun("trends", "--data-dir", s3)
    assert again.returncode == 0 and '"unchanged": true' in again.stdout
