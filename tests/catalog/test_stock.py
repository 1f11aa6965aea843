"""Stock movements: each is one guarded statement, all-or-nothing across the SKUs of a call."""

import pytest
from sqlalchemy import event

from marketcast.catalog import service
from marketcast.core.db import get_engine
from marketcast.core.errors import Conflict, Invalid


class Statements:
    """SQL statements sent on the engine while active (transaction control left out: SQLite sends BEGIN itself)."""

    def __init__(self):
        self.sql: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            self.sql.append(statement)

    def __enter__(self):
        event.listen(get_engine(), "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(get_engine(), "before_cursor_execute", self._record)


def test_reserve_confirm_release_restock_move_units_between_counters(db, make_skus, counters):
    a, b = make_skus(10, 4)
    with db() as s:
        service.reserve(s, quantities={a: 3, b: 4})
    assert counters([a, b]) == {a: (7, 3, 0), b: (0, 4, 0)}
    with db() as s:
        service.confirm_sale(s, quantities={a: 2, b: 4})
        service.release(s, quantities={a: 1})
    assert counters([a, b]) == {a: (8, 0, 2), b: (0, 0, 4)}
    with db() as s:
        service.restock(s, quantities={b: 3})
    assert counters([a, b]) == {a: (8, 0, 2), b: (3, 0, 1)}


def test_each_operation_is_one_statement(db, make_skus):
    a, b, c = make_skus(10, 10, 10)
    for op in (service.reserve, service.confirm_sale, service.release, service.restock):
        with db() as s:
            s.connection()
            if op in (service.release, service.restock):
                service.reserve(s, quantities={a: 1, b: 1, c: 1})
                if op is service.restock:
                    service.confirm_sale(s, quantities={a: 1, b: 1, c: 1})
            with Statements() as seen:
                op(s, quantities={a: 1, b: 1, c: 1})
        assert len(seen.sql) == 1, (op.__name__, seen.sql)
        assert seen.sql[0].lstrip().upper().startswith("UPDATE SKUS"), seen.sql


def test_a_short_sku_fails_the_whole_reservation_and_names_it(db, make_skus, counters):
    a, b, c = make_skus(5, 1, 5)
    with db() as s:
        with pytest.raises(Conflict) as caught:
            service.reserve(s, quantities={a: 2, b: 2, c: 2})
        # Even a caller that catches the error and commits has changed nothing.
    assert caught.value.code == "out_of_stock" and caught.value.field == "lines"
    assert caught.value.extra["sku_id"] == b and b in caught.value.detail
    assert counters([a, b, c]) == {a: (5, 0, 0), b: (1, 0, 0), c: (5, 0, 0)}


def test_unknown_sku_is_out_of_stock(db, make_skus, counters):
    (a,) = make_skus(5)
    with db() as s, pytest.raises(Conflict) as caught:
        service.reserve(s, quantities={a: 1, "sku_nope": 1})
    assert caught.value.extra["sku_id"] == "sku_nope"
    assert counters([a]) == {a: (5, 0, 0)}


def test_duplicate_lines_are_summed(db, make_skus, counters):
    (a,) = make_skus(5)
    with db() as s:
        service.reserve(s, quantities=[(a, 2), (a, 2)])
    assert counters([a]) == {a: (1, 4, 0)}
    with db() as s, pytest.raises(Conflict):
        service.reserve(s, quantities=[(a, 1), (a, 1)])  # 2 wanted, 1 left
    assert counters([a]) == {a: (1, 4, 0)}


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_quantities_must_be_positive_whole_numbers(db, make_skus, counters, bad):
    (a,) = make_skus(5)
    with db() as s, pytest.raises(Invalid) as caught:
        service.reserve(s, quantities={a: bad})
    assert caught.value.field == "quantities"
    assert counters([a]) == {a: (5, 0, 0)}


def test_nothing_to_move_sends_no_sql(db):
    with db() as s, Statements() as seen:
        service.reserve(s, quantities={})
        assert service.lines_for_checkout(s, sku_ids=[]) == {}
    assert seen.sql == []


def test_confirm_release_restock_refuse_more_than_there_is(db, make_skus, counters):
    a, b = make_skus(5, 5)
    with db() as s:
        service.reserve(s, quantities={a: 2, b: 2})
        service.confirm_sale(s, quantities={a: 1, b: 1})
    for op, code in ((service.confirm_sale, "not_reserved"), (service.release, "not_reserved"),
                     (service.restock, "not_sold")):
        with db() as s, pytest.raises(Conflict) as caught:
            op(s, quantities={a: 1, b: 3})
        assert caught.value.code == code and caught.value.extra["sku_id"] == b
        assert counters([a, b]) == {a: (3, 1, 1), b: (3, 1, 1)}


def test_loaded_skus_are_not_served_stale(db, make_skus):
    (a,) = make_skus(5)
    with db() as s:
        sku = service.get_sku(s, a)
        assert sku.available == 5
        service.reserve(s, quantities={a: 2})
        assert (sku.available, sku.reserved) == (3, 2)


def test_lines_for_checkout_is_one_query_and_skips_unknown_ids(db, make_skus):
    a, b = make_skus(5, 0, status="draft")
    with db() as s, Statements() as seen:
        views = service.lines_for_checkout(s, sku_ids=[a, b, a, "sku_unknown"])
    assert len(seen.sql) == 1
    assert set(views) == {a, b}
    view = views[a]
    assert (view.sku_id, view.market, view.currency, view.price, view.product_status, view.title, view.code) == (
        a, "US", "USD", 100, "draft", "Mug", "C0")
    assert view.shop_id == "shp_stock" and view.product_id


def test_junk_ids_never_reach_the_database(db, make_skus, counters):
    (a,) = make_skus(5)
    junk = "sku_\x00" + "x" * 300
    with db() as s:
        assert set(service.lines_for_checkout(s, sku_ids=[a, junk])) == {a}
        with pytest.raises(Conflict) as caught:
            service.reserve(s, quantities={a: 1, junk: 1})
    assert caught.value.code == "out_of_stock" and caught.value.extra["sku_id"] == junk
    assert counters([a]) == {a: (5, 0, 0)}
