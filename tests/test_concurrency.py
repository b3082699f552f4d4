"""Queries side by side: answers in the order asked, errors as a plain loop raises them."""

from __future__ import annotations

import random
import threading
import time

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from kg.concurrency import map_in_threads, query_threads


def test_answers_come_back_in_the_order_asked_whatever_finishes_first():
    rng = random.Random(7)
    delays = [rng.uniform(0, 0.02) for _ in range(40)]
    seen_threads = set()

    def slow_square(i: int) -> int:
        seen_threads.add(threading.get_ident())
        time.sleep(delays[i])
        return i * i

    assert map_in_threads(slow_square, range(40)) == [i * i for i in range(40)]
    assert len(seen_threads) == min(query_threads(), 40)


def test_the_first_error_is_raised():
    def fail_on_three(i: int) -> int:
        if i == 3:
            raise ValueError("three")
        return i

    with pytest.raises(ValueError, match="three"):
        map_in_threads(fail_on_three, range(8))


def test_queries_on_one_store_from_several_threads_agree_with_one_thread():
    store = Store()
    g = NamedNode("urn:g")
    store.extend(Quad(NamedNode(f"urn:s{i}"), NamedNode(f"urn:p{i % 7}"), Literal(i), g) for i in range(5000))
    count = "SELECT (COUNT(*) AS ?n) (SUM(?o) AS ?sum) WHERE {{ GRAPH ?g {{ ?s <urn:p{k}> ?o }} }}"
    queries = [count.format(k=k) for k in range(7)]

    def answer(q: str) -> tuple:
        row = next(iter(store.query(q)))
        return row["n"].value, row["sum"].value

    assert map_in_threads(answer, queries) == [answer(q) for q in queries]
    assert sum(int(n) for n, _ in map_in_threads(answer, queries)) == 5000
