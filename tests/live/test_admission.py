"""The checkout's admission in front of the router (orders.asgi): a checkout of a deal known to be sold out is
answered 409 before routing, with the answer the database gives, and everything it cannot be sure of reaches the
route (which still validates, authenticates and lets the database decide)."""

import asyncio
import uuid

import pytest

from marketcast import areas
from marketcast.core.errors import Conflict
from marketcast.core.settings import reset_settings
from marketcast.orders.asgi import CheckoutAdmission, deal_lines


def _no_route(*args, **kwargs):
    raise AssertionError("the admission should have answered before the route")


def test_the_admission_is_an_asgi_piece_the_orders_area_registers():
    assert CheckoutAdmission in areas.middleware()


def test_a_refusal_after_the_sell_out_is_the_databases_answer_without_the_route(steps, open_deal, make_buyer,
                                                                               client, monkeypatch):
    from marketcast.core import web_deps

    deal, sku, _ = open_deal(allotment=1)
    steps.buy(make_buyer(), sku, deal["id"])
    body = {"lines": [{"sku_id": sku, "quantity": 1, "deal_id": deal["id"]}]}
    by_database = client.post("/api/v1/orders", json=body,
                              headers={**make_buyer()["headers"], "Idempotency-Key": uuid.uuid4().hex})
    monkeypatch.setattr(web_deps, "respond_once", _no_route)
    monkeypatch.setattr(web_deps, "unit_of_work", _no_route)
    by_gate = client.post("/api/v1/orders", json=body,
                          headers={**make_buyer()["headers"], "Idempotency-Key": uuid.uuid4().hex})
    assert by_database.status_code == by_gate.status_code == 409
    assert by_gate.headers["content-type"] == by_database.headers["content-type"] == "application/problem+json"
    assert by_gate.headers["x-frame-options"] == "DENY"  # inside the app's own middleware
    same = ("type", "title", "status", "code", "deal_id")
    assert {k: by_gate.json()[k] for k in same} == {k: by_database.json()[k] for k in same}
    assert by_gate.json()["code"] == "deal_sold_out" and by_gate.json()["deal_id"] == deal["id"]


def test_what_the_admission_cannot_judge_goes_to_the_route(steps, open_deal, make_buyer, client):
    deal, sku, _ = open_deal(allotment=1)
    steps.buy(make_buyer(), sku, deal["id"])
    assert steps.buy(make_buyer(), sku, deal["id"], expect=409)["code"] == "deal_sold_out"
    body = {"lines": [{"sku_id": sku, "quantity": 1, "deal_id": deal["id"]}]}
    anonymous = client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "a-1"})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    buyer = make_buyer()
    broken = client.post("/api/v1/orders", content=b'{"lines": [{"deal_id": "x"', headers={
        **buyer["headers"], "Idempotency-Key": "b-1", "content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["code"] == "validation_error"
    regular = client.post("/api/v1/orders", json={"lines": [{"sku_id": sku, "quantity": 1}]},
                          headers={**buyer["headers"], "Idempotency-Key": "c-1"})
    assert regular.status_code == 201  # the SKU's own stock, not the deal's


def test_deal_lines_are_read_leniently():
    assert deal_lines(b'{"lines": [{"sku_id": "s", "quantity": 1}]}') == []
    assert deal_lines(b'{"lines": [{"sku_id": "s", "quantity": "1", "deal_id": "d"}]}') == []
    assert deal_lines(b'\xff"deal_id"') == [] and deal_lines(b'["deal_id"]') == []
    assert deal_lines(b'{"lines": [{"sku_id": "s", "quantity": 1, "deal_id": "d"}, 7]}') == [("s", 1, "d")]


@pytest.mark.redis
def test_every_request_let_through_is_known_to_a_process_that_sees_the_mark(redis_url, settings_env):
    """The gate records a request's fingerprint before its checkout can commit (one script with the mark's look-up),
    so a process that learns of a sell-out from Redis lets through the retry of anyone who may have bought."""
    from marketcast.live import gate

    settings_env(MARKETCAST_REDIS_URL=redis_url)
    deal = f"dea_{uuid.uuid4().hex[:12]}"
    asyncio.run(gate.check(deal, "may-have-bought"))  # not marked: let through, recorded
    gate.mark(deal, "deal_sold_out")  # committed by whoever took the last unit
    gate.reset()  # another process: it knows only what Redis says

    async def both() -> None:
        await gate.check(deal, "may-have-bought")  # its retry goes on to the replay
        with pytest.raises(Conflict) as refused:
            await gate.check(deal, "a-late-buyer")
        assert refused.value.code == "deal_sold_out"

    asyncio.run(both())
    assert gate.is_marked(deal)
    import redis

    with redis.Redis.from_url(redis_url) as other:  # units came back through another process: it clears the key
        other.delete(f"marketcast:live:deal:{deal}")
    asyncio.run(gate.check(deal, "another-buyer"))  # this process's own trusted mark gives way to Redis
    assert not gate.is_marked(deal)


@pytest.mark.parametrize("batch", [1, 64], ids=["alone", "batched"])
def test_a_checkout_picked_as_a_deadlocks_victim_runs_again(steps, open_deal, make_buyer, counters, batch,
                                                              monkeypatch):
    """PostgreSQL rolls a deadlock's victim back whole: respond_once (or the batched checkout, orders.batch) runs
    it again instead of answering 500."""
    import sqlalchemy.exc

    from marketcast.orders import hooks

    deal, sku, _ = open_deal(allotment=3, stock_buckets=3)
    victims = []

    class Deadlock(Exception):
        sqlstate = "40P01"

    def deadlocks_once(session, held):
        if not victims:
            victims.append(held.orders[0].order.id if batch > 1 else held.order.id)
            raise sqlalchemy.exc.OperationalError("UPDATE live_deal_buckets …", {}, Deadlock())

    monkeypatch.setenv("MARKETCAST_CHECKOUT_BATCH", str(batch))
    reset_settings()
    hook = hooks.held_stock_many if batch > 1 else hooks.held_stock
    hook.subscribe(deadlocks_once)
    try:
        order = steps.buy(make_buyer(), sku, deal["id"])
    finally:
        hook._handlers.remove(deadlocks_once)
        reset_settings()
    assert victims and order["id"] != victims[0]
    seen = steps.get_deal(deal["id"])
    assert (seen["units_left"], seen["sold"]) == (2, 1)  # the victim's unit came back with its rollback
