"""Running independent read-only queries side by side.

Oxigraph releases the GIL while it evaluates a query, so threads reading one store overlap
(1.6 times faster on this project's 2-core machine for the SHACL queries, see
docs/decisions/20261123-fast-paths.md). Results come back in the order of the inputs, so a
build's output does not depend on which thread finished first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: More threads than cores only adds switching; four is plenty for the tens of queries a stage runs.
MAX_THREADS = 4


def query_threads() -> int:
    """How many threads to use: the cores this process may run on, at most :data:`MAX_THREADS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, cores))


def map_in_threads(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(x) for x in items]``, evaluated on :func:`query_threads` threads.

    The first exception raised by ``fn`` is raised here, as a plain loop would.
    """
    items = list(items)
    threads = query_threads()
    if threads == 1 or len(items) < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="aigeo-query") as pool:
        return list(pool.map(fn, items))


def folder_owner_alive(name: str) -> bool:
    """Whether the process that made a scratch folder named ``.<kind>-<pid>[-...]`` still runs
    (a folder a killed process left is removed by the next one)."""
    try:
        pid = int(name.split("-")[1])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
