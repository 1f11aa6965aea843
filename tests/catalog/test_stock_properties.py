"""Any sequence of stock operations keeps the books: available + reserved + sold changes only when the owner
sets `available`, no counter goes below zero, and a refused operation changes nothing."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketcast.catalog import service
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.core.errors import Conflict

MOVES = {  # operation -> (counter taken from, counter given to), as indexes into (available, reserved, sold)
    "reserve": (0, 1),
    "confirm_sale": (1, 2),
    "release": (1, 0),
    "restock": (2, 0),
}

amounts = st.integers(min_value=1, max_value=6)
operation = st.one_of(
    st.tuples(st.sampled_from(sorted(MOVES)), st.fixed_dictionaries({}, optional={0: amounts, 1: amounts})),
    st.tuples(st.just("set_available"), st.tuples(st.integers(0, 1), st.integers(0, 12))),
)


@pytest.fixture
def shop(make_shop):
    """One shop for every example of the test (a function-scoped fixture runs once per test, not per example)."""
    return make_shop()


def apply_model(model: list[list[int]], name: str, arg) -> bool:
    """What the operation should do to the model; False when it must be refused (and change nothing)."""
    if name == "set_available":
        index, available = arg
        model[index][0] = available
        return True
    source, target = MOVES[name]
    if any(model[i][source] < q for i, q in arg.items()):
        return False
    for i, q in arg.items():
        model[i][source] -= q
        model[i][target] += q
    return True


@settings(max_examples=int(os.environ.get("MARKETCAST_STOCK_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(start=st.tuples(st.integers(0, 8), st.integers(0, 8)), ops=st.lists(operation, max_size=12))
def test_stock_books_always_balance(shop, make_skus, counters, start, ops):
    ids = make_skus(*start, shop_id=shop["id"])
    model = [[n, 0, 0] for n in start]
    for name, arg in ops:
        before = [row[:] for row in model]
        expected_ok = apply_model(model, name, arg)
        try:
            with unit_of_work() as session:
                if name == "set_available":
                    service.set_available(session, sku_id=ids[arg[0]], available=arg[1], actor=SYSTEM)
                else:
                    getattr(service, name)(session, quantities={ids[i]: q for i, q in arg.items()})
            ok = True
        except Conflict:
            ok = False
        assert ok == expected_ok, (name, arg, before)
        actual = counters(ids)
        assert [list(actual[sku_id]) for sku_id in ids] == model, (name, arg, before)
        assert all(n >= 0 for row in model for n in row)
        if name != "set_available":
            assert [sum(row) for row in model] == [sum(row) for row in before]
