"""core.inserts.insert_new: new rows written with Core INSERTs, parents first, and attached to the session as
loaded: what a flush would have written, and the objects behave as persistent ones afterwards."""

from datetime import UTC, datetime

from sqlalchemy import inspect, select

from marketcast.core.inserts import insert_new
from marketcast.orders.models import Order, OrderLine

WHEN = datetime(2024, 7, 1, 4, 0, tzinfo=UTC)


def _order(order_id: str) -> Order:  # refunded_amount left to its default
    return Order(id=order_id, shop_id="shp_1", market="US", buyer_id="usr_1", status="pending_payment",
                 currency="USD", total_amount=2500, expires_at=WHEN, created_at=WHEN, updated_at=WHEN)


def _line(line_id: str, order_id: str) -> OrderLine:
    return OrderLine(id=line_id, order_id=order_id, sku_id="sku_1", product_id="prd_1", title="Mug", quantity=2,
                     unit_price=1250, amount=2500, currency="USD")


def test_rows_read_back_as_a_flush_would_have_written_them_children_given_first(db):
    order, line = _order("ord_1"), _line("oln_1", "ord_1")
    with db() as s:
        insert_new(s, [line, order])  # the line's foreign key needs the order first: parents go first
        assert inspect(order).persistent and not s.dirty and not s.new
        assert (order.refunded_amount, line.refunded_quantity, line.creator_id) == (0, 0, None)  # defaults, loaded
    with db(write=False) as s:
        stored = s.scalar(select(Order).where(Order.id == "ord_1"))
        stored_line = s.scalar(select(OrderLine).where(OrderLine.order_id == "ord_1"))
        assert (stored.total_amount, stored.refunded_amount, stored.expires_at) == (2500, 0, WHEN)
        assert (stored_line.id, stored_line.quantity, stored_line.refunded_quantity) == ("oln_1", 2, 0)


def test_a_change_after_the_insert_is_flushed_as_an_update(db):
    order = _order("ord_2")
    with db() as s:
        insert_new(s, [order])
        order.status = "paid"
        assert order in s.dirty
    with db(write=False) as s:
        assert s.scalar(select(Order.status).where(Order.id == "ord_2")) == "paid"


def test_a_failed_transaction_leaves_no_row(db):
    try:
        with db() as s:
            insert_new(s, [_order("ord_3")])
            raise RuntimeError("the checkout failed after its rows were written")
    except RuntimeError:
        pass
    with db(write=False) as s:
        assert s.scalar(select(Order.id).where(Order.id == "ord_3")) is None
