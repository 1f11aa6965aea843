"""Buyers racing for the last units, each in its own thread, connection and transaction (SQLite and PostgreSQL)."""

import threading

from marketcast.catalog import service
from marketcast.core.db import unit_of_work
from marketcast.core.errors import Conflict

THREADS = 16


def race(quantities_for) -> dict[str, int]:
    """Start THREADS reservations at once; how many succeeded and how many were out of stock."""
    start = threading.Barrier(THREADS)
    outcome = {"ok": 0, "out_of_stock": 0, "other": 0}
    lock = threading.Lock()

    def buyer(i: int) -> None:
        start.wait()
        try:
            with unit_of_work() as session:
                service.reserve(session, quantities=quantities_for(i))
            result = "ok"
        except Conflict as exc:
            result = exc.code if exc.code == "out_of_stock" else "other"
        except Exception:  # a deadlock or lock timeout would land here and fail the test below
            result = "other"
        with lock:
            outcome[result] += 1

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcome


def test_exactly_k_of_n_buyers_get_the_last_k_units(make_skus, counters):
    (sku,) = make_skus(5)
    outcome = race(lambda i: {sku: 1})
    assert outcome == {"ok": 5, "out_of_stock": THREADS - 5, "other": 0}
    assert counters([sku]) == {sku: (0, 5, 0)}


def test_buyers_of_two_units_never_split_the_last_one(make_skus, counters):
    (sku,) = make_skus(7)
    outcome = race(lambda i: {sku: 2})
    assert outcome == {"ok": 3, "out_of_stock": THREADS - 3, "other": 0}
    assert counters([sku]) == {sku: (1, 6, 0)}


def test_multi_sku_baskets_in_any_order_are_all_or_nothing_and_never_deadlock(make_skus, counters):
    scarce, plenty = make_skus(3, 100)

    def basket(i: int) -> dict[str, int]:
        # Half the buyers list the SKUs one way round, half the other: locks must still be taken in one order.
        return {scarce: 1, plenty: 2} if i % 2 else {plenty: 2, scarce: 1}

    outcome = race(basket)
    assert outcome == {"ok": 3, "out_of_stock": THREADS - 3, "other": 0}
    # Failed baskets took nothing from the plentiful SKU either.
    assert counters([scarce, plenty]) == {scarce: (0, 3, 0), plenty: (94, 6, 0)}


def test_opposite_baskets_on_two_plentiful_skus_all_succeed(make_skus, counters):
    a, b = make_skus(100, 100)
    outcome = race(lambda i: {a: 1, b: 1} if i % 2 else {b: 1, a: 1})
    assert outcome == {"ok": THREADS, "out_of_stock": 0, "other": 0}
    assert counters([a, b]) == {a: (100 - THREADS, THREADS, 0), b: (100 - THREADS, THREADS, 0)}
