"""record_sale / record_refund: one additive upsert per rollup, keyed by (UTC day, market, shop) and by
(UTC day, market, currency, slot)."""

import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from marketcast.core.db import get_engine, new_session, unit_of_work
from marketcast.core.errors import Conflict, Invalid
from marketcast.reports import service
from marketcast.reports.models import GmvDaily, GmvMarketDaily


def _rows() -> list[tuple]:
    with unit_of_work(write=False) as session:
        return [(r.day, r.market, r.shop_id, r.currency, r.gmv, r.refunds, r.orders, r.units_sold, r.units_refunded)
                for r in session.scalars(select(GmvDaily).order_by(GmvDaily.day, GmvDaily.shop_id))]


def _market_rows() -> list[tuple]:
    """The market rollup with its slots added up: (day, market, currency, gmv, refunds, orders, units...)."""
    t = GmvMarketDaily
    with unit_of_work(write=False) as session:
        return [tuple(r) for r in session.execute(
            select(t.day, t.market, t.currency, func.sum(t.gmv), func.sum(t.refunds), func.sum(t.orders),
                   func.sum(t.units_sold), func.sum(t.units_refunded))
            .group_by(t.day, t.market, t.currency).order_by(t.day, t.market, t.currency))]


def test_sales_and_refunds_add_up_on_one_row_per_utc_day(sale, refund, at):
    sale("US", "shop_a", 1500, at(2024, 7, 1, 0, 0), units=2)
    sale("US", "shop_a", 2500, at(2024, 7, 1, 23, 59, 59), units=3)
    refund("US", "shop_a", 700, at(2024, 7, 1, 12), units=1)
    sale("US", "shop_a", 100, at(2024, 7, 2, 0, 0))  # the next UTC day is a new row
    sale("US", "shop_b", 900, at(2024, 7, 1, 9))
    assert _rows() == [
        (date(2024, 7, 1), "US", "shop_a", "USD", 4000, 700, 2, 5, 1),
        (date(2024, 7, 1), "US", "shop_b", "USD", 900, 0, 1, 1, 0),
        (date(2024, 7, 2), "US", "shop_a", "USD", 100, 0, 1, 1, 0),
    ]
    assert _market_rows() == [(date(2024, 7, 1), "US", "USD", 4900, 700, 3, 6, 1),
                              (date(2024, 7, 2), "US", "USD", 100, 0, 1, 1, 0)]


def test_the_day_is_the_utc_day_whatever_the_offset_of_the_time_given(sale):
    # 20:30 in New York on 30 June is 00:30 UTC on 1 July.
    new_york = datetime(2024, 6, 30, 20, 30, tzinfo=UTC) + timedelta(hours=4)
    sale("US", "shop_a", 100, new_york.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York")))
    assert [r[0] for r in _rows()] == [date(2024, 7, 1)]


def test_a_refund_alone_makes_a_row_with_only_refunds(refund, at):
    refund("MX", "shop_m", 5000, at(2024, 8, 3, 10), units=2)
    assert _rows() == [(date(2024, 8, 3), "MX", "shop_m", "MXN", 0, 5000, 0, 0, 2)]


def test_each_record_is_one_statement_per_rollup(at):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    with unit_of_work() as session:
        session.connection()  # the transaction's own BEGIN is not ours to count
        event.listen(get_engine(), "before_cursor_execute", count)
        try:
            service.record_sale(session, market="US", shop_id="s1", currency="USD", amount=10, units=1,
                                at=at(2024, 7, 1))
            service.record_refund(session, market="US", shop_id="s1", currency="USD", amount=5, units=1,
                                  at=at(2024, 7, 1))
        finally:
            event.remove(get_engine(), "before_cursor_execute", count)
    assert len(statements) == 4  # the shop's row, then the market's
    assert all("ON CONFLICT" in s.upper() for s in statements)
    assert [s.split()[2] for s in statements] == ["gmv_daily", "gmv_market_daily"] * 2


def test_another_currency_on_an_existing_row_is_refused_and_nothing_changes(sale, at):
    sale("US", "shop_a", 1000, at(2024, 7, 1))
    with pytest.raises(Conflict) as err:
        sale("US", "shop_a", 1000, at(2024, 7, 1, 5), currency="EUR")
    assert err.value.code == "currency_mismatch"
    assert _rows() == [(date(2024, 7, 1), "US", "shop_a", "USD", 1000, 0, 1, 1, 0)]
    assert _market_rows() == [(date(2024, 7, 1), "US", "USD", 1000, 0, 1, 1, 0)]


@pytest.mark.parametrize(("field", "kwargs"), [
    ("amount", {"amount": -1}), ("units", {"units": -2}), ("orders", {"orders": -1}), ("amount", {"amount": 1.5}),
    ("amount", {"amount": True}), ("market", {"market": "us"}), ("currency", {"currency": "usd"}),
    ("shop_id", {"shop_id": ""}),
])
def test_bad_input_is_invalid_and_writes_nothing(field, kwargs, at):
    args = {"market": "US", "shop_id": "s1", "currency": "USD", "amount": 10, "units": 1, "at": at(2024, 7, 1)}
    with pytest.raises(Invalid) as err, unit_of_work() as session:
        service.record_sale(session, **{**args, **kwargs})
    assert err.value.field == field
    assert _rows() == []


def test_concurrent_payments_on_one_row_are_all_counted(at):
    """Many writers start together on a row that does not exist yet: the first inserts, every other one adds."""
    threads_n, each = 8, 20
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def pay(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(each):
                with unit_of_work() as session:
                    service.record_sale(session, market="US", shop_id="hot_shop", currency="USD",
                                        amount=100 + n, units=1 + i % 3, at=at(2024, 11, 29, 12, i))
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    workers = [threading.Thread(target=pay, args=(n,)) for n in range(threads_n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert errors == []
    expected_gmv = sum((100 + n) * each for n in range(threads_n))
    expected_units = threads_n * sum(1 + i % 3 for i in range(each))
    assert _rows() == [(date(2024, 11, 29), "US", "hot_shop", "USD", expected_gmv, 0, threads_n * each,
                        expected_units, 0)]
    assert _market_rows() == [(date(2024, 11, 29), "US", "USD", expected_gmv, 0, threads_n * each,
                               expected_units, 0)]


def test_a_payment_waiting_behind_an_uncommitted_one_adds_to_it_rather_than_overwriting(sale, at):
    """The second writer blocks on the first (row lock or write lock) and then adds to the committed value."""
    sale("US", "shop_a", 1000, at(2024, 7, 1, 8))
    first = new_session()
    service.record_sale(first, market="US", shop_id="shop_a", currency="USD", amount=200, units=1,
                        at=at(2024, 7, 1, 9))
    done = threading.Event()

    def second() -> None:
        with unit_of_work() as session:
            service.record_sale(session, market="US", shop_id="shop_a", currency="USD", amount=30, units=1,
                                at=at(2024, 7, 1, 10))
        done.set()

    racer = threading.Thread(target=second)
    racer.start()
    time.sleep(0.5)
    assert not done.is_set()  # it waits for the first transaction
    first.commit()
    first.close()
    racer.join(timeout=30)
    assert done.is_set()
    assert _rows() == [(date(2024, 7, 1), "US", "shop_a", "USD", 1230, 0, 3, 3, 0)]
    assert _market_rows() == [(date(2024, 7, 1), "US", "USD", 1230, 0, 3, 3, 0)]


def test_a_rolled_back_payment_leaves_no_trace(sale, at):
    sale("US", "shop_a", 1000, at(2024, 7, 1))
    with pytest.raises(RuntimeError), unit_of_work() as session:
        service.record_sale(session, market="US", shop_id="shop_a", currency="USD", amount=500, units=1,
                            at=at(2024, 7, 1))
        raise RuntimeError("the payment failed after the rollup was written")
    assert _rows() == [(date(2024, 7, 1), "US", "shop_a", "USD", 1000, 0, 1, 1, 0)]
    assert _market_rows() == [(date(2024, 7, 1), "US", "USD", 1000, 0, 1, 1, 0)]
