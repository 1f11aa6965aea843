"""Flash deals under real concurrency (threads, each with its own client, connection and transaction; on SQLite
and on PostgreSQL): a deal sells exactly its units, no buyer passes the per-buyer limit, and after it ends the
SKU's stock, the deal and what was sold add up; cancellations racing the deal's end give every unit back once."""

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from marketcast.live.models import DealBuyer, FlashDeal
from marketcast.orders.models import Order, OrderLine


def _race(app, n: int, request) -> list:
    barrier = threading.Barrier(n)

    def one(i: int):
        with TestClient(app) as c:
            barrier.wait(timeout=60)
            return request(c, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


@pytest.mark.slow
@pytest.mark.parametrize("buckets", [1, 4])
def test_forty_attempts_on_ten_units_sell_exactly_ten_within_the_limit(app, steps, open_deal, make_buyer, counters,
                                                                       db, shop, buckets):
    deal, sku, _ = open_deal(allotment=10, per_buyer_limit=1, stock=30, stock_buckets=buckets)
    buyers = [make_buyer() for _ in range(30)]
    # Ten buyers send two checkouts at once, twenty send one: 40 attempts on 10 units.
    attempts = [buyers[i % 10] for i in range(20)] + buyers[10:]
    body = {"lines": [{"sku_id": sku, "quantity": 1, "deal_id": deal["id"]}]}
    responses = _race(app, len(attempts), lambda c, i: c.post(
        "/api/v1/orders", json=body, headers={**attempts[i]["headers"], "Idempotency-Key": uuid.uuid4().hex}))
    outcomes = Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None) for r in responses)
    assert outcomes[(201, None)] == 10, outcomes
    assert set(outcomes) <= {(201, None), (409, "deal_sold_out"), (409, "per_buyer_limit")}, outcomes
    with db(write=False) as s:
        per_buyer = Counter(s.scalars(select(Order.buyer_id).join(OrderLine, OrderLine.order_id == Order.id)
                                      .where(OrderLine.deal_id == deal["id"])))
        counted = {row.buyer_id: row.units for row in s.scalars(select(DealBuyer))}
    assert sum(per_buyer.values()) == 10 and max(per_buyer.values()) == 1
    assert counted == {b: 1 for b in per_buyer}
    assert counters([sku])[sku] == (20, 10, 0)
    steps.end_deal(shop, deal["id"])
    with db(write=False) as s:
        row = s.get(FlashDeal, deal["id"])
        assert (row.units_left, row.sold, row.returned) == (0, 10, 0)
    available, reserved, sold = counters([sku])[sku]
    assert (available, reserved, sold) == (20, 10, 0) and available + reserved + sold == 30


@pytest.mark.slow
@pytest.mark.parametrize("buckets", [1, 4])
def test_cancellations_racing_the_deals_end_give_every_unit_back_once(app, steps, open_deal, make_buyer, counters,
                                                                      db, shop, buckets):
    deal, sku, _ = open_deal(allotment=8, per_buyer_limit=1, stock=8, stock_buckets=buckets)
    buyers = [make_buyer() for _ in range(6)]
    orders = [steps.buy(b, sku, deal["id"])["id"] for b in buyers]
    assert counters([sku])[sku] == (0, 8, 0)

    def act(c, i):
        if i == len(orders):
            return c.post(f"/api/v1/live/deals/{deal['id']}/end", headers=shop["headers"])
        return c.post(f"/api/v1/orders/{orders[i]}/cancel", headers=buyers[i]["headers"])

    responses = _race(app, len(orders) + 1, act)
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses if r.status_code != 200]
    assert counters([sku])[sku] == (8, 0, 0)
    with db(write=False) as s:
        row = s.get(FlashDeal, deal["id"])
        assert (row.status, row.units_left, row.sold, row.returned) == ("ended", 0, 0, 8)
