"""Extraction on a Dask cluster: a client for `--dask local`, `local:N` or a scheduler address,
and an ordered map of batches over it with a bounded number of batches in flight."""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def parse_spec(spec: str) -> tuple[str | None, int]:
    """(scheduler address, 0) for `tcp://host:8786`, (None, workers) for `local` or `local:N`."""
    if "://" in spec:
        return spec, 0
    match = re.fullmatch(r"local(?::([1-9][0-9]*))?", spec)
    if match is None:
        raise ValueError(
            f"expected local, local:N or a scheduler address like tcp://host:8786, not {spec!r}"
        )
    return None, int(match.group(1) or os.cpu_count() or 1)


@contextmanager
def dask_client(spec: str) -> Iterator[Any]:
    """A distributed Client: to a running scheduler, or to a local cluster of worker processes
    (one thread each: the tokenizers are not shared between threads) on 127.0.0.1, closed
    with the block."""
    from distributed import Client, LocalCluster

    address, workers = parse_spec(spec)
    if address:
        with Client(address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def ordered_map(
    client: Any, fn: Callable[[T], R], items: Iterable[T], in_flight: int | None = None
) -> Iterator[R]:
    """`fn(item)` for each item, computed on the cluster and yielded in the items' order, with
    at most `in_flight` items submitted and not yet yielded (two per worker by default), so the
    items are read from `items` only as fast as the cluster takes them."""
    window = in_flight or 2 * max(1, len(client.scheduler_info().get("workers", {})))
    pending: deque[Any] = deque()
    for item in items:
        pending.append(client.submit(fn, item, pure=False))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
