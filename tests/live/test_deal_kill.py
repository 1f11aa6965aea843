"""Black box: a server killed with SIGKILL in the middle of a flash sale loses no unit and sells none twice. The
buyers retry with the same Idempotency-Keys on the server started again (as a client does when its connection
drops): each gets its first answer back or has its order placed now, never two; the deal sells exactly its units;
and when the worker that ends the deal runs after the crash, it ends it once, giving the unsold units back once."""

import os
import signal
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from marketcast.core import clock
from marketcast.live import deals
from marketcast.live.models import DealBuyer, FlashDeal
from marketcast.orders.models import Order, OrderLine
from tests.live.conftest import Steps
from tests.support.commerce import write_product
from tests.support.serve import serve

pytestmark = pytest.mark.slow
UNITS, BUYERS, STOCK = 100, 80, 150  # fewer buyers than units: the deal's end has units to give back


def _sold(db, deal_id: str) -> int:
    with db(write=False) as s:
        return s.scalar(select(func.count()).select_from(OrderLine).where(OrderLine.deal_id == deal_id))


def _buy_all(base: str, sku: str, deal_id: str, buyers: list[dict], keys: list[str], answers: dict,
             stop: threading.Event) -> None:
    """Eight connections, each buying for its share of the buyers one after another, until `stop` or the server
    goes away; answers[i] is the last (status, body) buyer i got."""
    body = {"lines": [{"sku_id": sku, "quantity": 1, "deal_id": deal_id}]}

    def share(first: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            for i in range(first, len(buyers), 8):
                if stop.is_set():
                    return
                try:
                    r = c.post("/api/v1/orders", json=body, headers={**buyers[i], "Idempotency-Key": keys[i]})
                except httpx.HTTPError:
                    return  # the server was killed under this request: its answer is lost, the retry will tell
                answers[i] = (r.status_code, r.json())

    threads = [threading.Thread(target=share, args=(n,), daemon=True) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_a_server_killed_mid_sale_loses_no_unit_and_sells_none_twice(database_url, tmp_path, make_shop, make_user,
                                                                      db, counters):
    shop = make_shop()
    sku = write_product(db, shop_id=shop["id"], stock=[STOCK], prices=[1000])[0]
    buyers = [make_user("buyer")[1] for _ in range(BUYERS)]
    keys = [uuid.uuid4().hex for _ in range(BUYERS)]
    workers = 2 if database_url.startswith("postgresql") else 1
    first = serve(database_url, tmp_path / "first.log", workers=workers)
    try:
        with httpx.Client(base_url=first.base, timeout=30) as c:
            steps = Steps(c)
            product_id = steps.call("GET", f"/skus/{sku}", None)["product_id"]
            live = steps.live_with(shop, product_id)
            deal = steps.deal(shop, live["id"], sku, allotment=UNITS, per_buyer_limit=1, duration_minutes=20)
            steps.start_deal(shop, deal["id"])
        with db() as s:  # the countdown is over: the server runs on the real clock, which this test does not move
            s.execute(update(FlashDeal).where(FlashDeal.id == deal["id"])
                      .values(opens_at=clock.now() - timedelta(seconds=1)))
        before_kill: dict[int, tuple] = {}
        stop = threading.Event()
        buying = threading.Thread(target=_buy_all, args=(first.base, sku, deal["id"], buyers, keys, before_kill,
                                                         stop), daemon=True)
        buying.start()
        deadline = time.monotonic() + 60
        while _sold(db, deal["id"]) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(first.process.pid, signal.SIGKILL)  # mid-sale: requests in flight, batches uncommitted
        first.process.wait(timeout=10)
        stop.set()
        buying.join(timeout=60)
    finally:
        if first.process.poll() is None:
            os.killpg(first.process.pid, signal.SIGKILL)
    sold_at_kill = _sold(db, deal["id"])
    assert 5 <= sold_at_kill < BUYERS, "the kill must land mid-sale"

    second = serve(database_url, tmp_path / "second.log", workers=workers)
    try:
        after: dict[int, tuple] = {}
        _buy_all(second.base, sku, deal["id"], buyers, keys, after, threading.Event())
    finally:
        second.stop(within=20)
    assert len(after) == BUYERS
    assert Counter(status for status, _ in after.values()) == {201: BUYERS}
    for i, (status, body) in before_kill.items():  # what a buyer was told before the crash still holds
        if status == 201:
            assert after[i] == (201, body)
    with db(write=False) as s:
        placed = {row.buyer_id: row.id for row in s.execute(
            select(Order.buyer_id, Order.id).join(OrderLine, OrderLine.order_id == Order.id)
            .where(OrderLine.deal_id == deal["id"]))}
        assert len(placed) == _sold(db, deal["id"]) == BUYERS  # one order per buyer, whatever they were told
        assert {body["id"] for status, body in after.values() if status == 201} == set(placed.values())
        assert set(s.scalars(select(DealBuyer.units).where(DealBuyer.deal_id == deal["id"]))) == {1}

    # The deal's time runs out while no worker is there to end it; the next worker passes end it once.
    with db() as s:
        s.execute(update(FlashDeal).where(FlashDeal.id == deal["id"])
                  .values(ends_at=clock.now() - timedelta(seconds=1)))
    moved = []
    for _ in range(2):
        with db() as s:
            moved.append(deals.advance(s))
    assert moved == [1, 0]
    with db(write=False) as s:
        row = s.get(FlashDeal, deal["id"])
        assert (row.status, row.sold, row.returned, row.units_left) == ("ended", BUYERS, UNITS - BUYERS, 0)
    available, reserved, sold = counters([sku])[sku]
    assert (available, reserved, sold) == (STOCK - BUYERS, BUYERS, 0)
