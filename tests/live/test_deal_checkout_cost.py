"""What a deal order costs the database, counted as tests/orders counts a checkout's statements: the token, the
Idempotency-Key claim, the SKU, the shop and its market, the unpaid-expiry policy, the buyer's link clicks, the
deal, the order, its line and its event, the stored answer, the buyer's counter and the deal's guarded take (and,
on buckets, their sum for the room). Nothing per request beyond them: no ping, no re-read of the deal."""

import pytest

from tests.orders.test_checkout_api import counting


@pytest.mark.parametrize(("buckets", "most"), [(1, 14), (8, 15)])
def test_a_deal_order_costs_its_statements_and_no_more(steps, open_deal, make_buyer, monkeypatch, buckets, most):
    from marketcast.core import db

    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 60.0)  # "a moment ago", however loaded the machine
    deal, sku, _ = open_deal(allotment=20, stock_buckets=buckets)
    steps.buy(make_buyer(), sku, deal["id"])  # the first order of a process warms what it caches
    buyer = make_buyer()
    dialect, pings = db.get_engine().dialect, []
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    with counting() as statements:
        steps.buy(buyer, sku, deal["id"])
    assert len(statements) <= most, "\n".join(statements)
    assert pings == []  # its pooled connection was in use a moment ago (core.db._ping_when_idle)
