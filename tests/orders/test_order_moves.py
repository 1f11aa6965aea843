"""Ship, deliver, complete, cancel, expiry: who may, from which status, and what moves with them."""

import pytest
from sqlalchemy import select

from marketcast.core import clock
from marketcast.core.outbox import OutboxEvent
from marketcast.orders.models import Order


def _status(db, order_id):
    with db(write=False) as s:
        return s.get(Order, order_id).status


SHIPMENT = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
BODIES = {"ship": SHIPMENT, "deliver": None, "complete": None}


def _events(db, kind):
    with db(write=False) as s:
        return [e.data["order_id"] for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type == kind))]


def test_the_happy_path(client, paid_order, shop, buyer, operator, db):
    order, _ = paid_order(1)
    oid = order["id"]
    r = client.post(f"/api/v1/orders/{oid}/ship", headers=shop["headers"], json=SHIPMENT)
    assert r.status_code == 200 and r.json()["status"] == "shipped"
    assert (r.json()["carrier"], r.json()["tracking_number"]) == ("UPS", "1Z999AA10123456784")
    assert r.json()["shipped_at"] is not None
    assert client.post(f"/api/v1/orders/{oid}/deliver", headers=operator).json()["status"] == "delivered"
    assert client.post(f"/api/v1/orders/{oid}/complete", headers=buyer["headers"]).json()["status"] == "completed"
    assert [_events(db, k) for k in ("order.shipped", "order.delivered", "order.completed")] == [[oid]] * 3


@pytest.mark.parametrize(("action", "before", "allowed"), [
    ("ship", "paid", ["owner"]),
    ("deliver", "shipped", ["owner", "operator"]),
    ("complete", "delivered", ["buyer", "operator"]),
])
def test_permission_matrix(client, paid_order, shop, buyer, make_user, make_shop, db, action, before, allowed):
    order, _ = paid_order(1)
    oid = order["id"]
    with db() as s:
        s.get(Order, oid).status = before
    stranger_shop = make_shop()
    callers = {
        "anonymous": ({}, 401, "unauthenticated"),
        "other buyer": (make_user("buyer")[1], 403, None),
        "other seller": (stranger_shop["headers"], 403, None),
        "creator": (make_user("creator")[1], 403, "wrong_role"),
        "operator of ES": (make_user("operator", markets=["ES"])[1], 403, None),
    }
    if "owner" not in allowed:
        callers["owner"] = (shop["headers"], 403, None)
    if "buyer" not in allowed:
        callers["buyer"] = (buyer["headers"], 403, None)
    if "operator" not in allowed:
        callers["operator"] = (make_user("operator")[1], 403, "wrong_role")
    for who, (headers, status, code) in callers.items():
        r = client.post(f"/api/v1/orders/{oid}/{action}", headers=headers, json=BODIES[action])
        assert r.status_code == status, (who, r.text)
        if code:
            assert r.json()["code"] == code, who
        if who == "operator of ES" and "operator" in allowed:
            assert r.json()["code"] == "market_out_of_scope"
        assert _status(db, oid) == before, who
    event = {"ship": "order.shipped", "deliver": "order.delivered", "complete": "order.completed"}[action]
    assert _events(db, event) == []
    who = allowed[0]
    headers = {"owner": shop["headers"], "buyer": buyer["headers"], "operator": make_user("operator", ["US"])[1]}[who]
    assert client.post(f"/api/v1/orders/{oid}/{action}", headers=headers, json=BODIES[action]).status_code == 200
    assert _status(db, oid) != before


def test_moves_out_of_order_are_409(client, paid_order, place, make_skus, shop, buyer, operator, db):
    order, _ = paid_order(1)
    r = client.post(f"/api/v1/orders/{order['id']}/deliver", headers=operator)
    assert r.status_code == 409 and r.json()["code"] == "invalid_order_status" and r.json()["status_now"] == "paid"
    assert client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer["headers"]).status_code == 409
    pending = place(buyer["headers"], [(make_skus(3)[0], 1)]).json()
    assert client.post(f"/api/v1/orders/{pending['id']}/ship", headers=shop["headers"],
                       json=SHIPMENT).status_code == 409
    assert client.post("/api/v1/orders/ord_missing/ship", headers=shop["headers"], json=SHIPMENT).status_code == 404


def test_shipping_needs_a_carrier_and_a_tracking_number(client, paid_order, shop, db):
    order, _ = paid_order(1)
    for body, field in (({}, "carrier"), ({"carrier": "UPS"}, "tracking_number"),
                        ({"carrier": "  ", "tracking_number": "1Z9"}, "carrier"),
                        ({"carrier": "UPS", "tracking_number": "<script>"}, "tracking_number")):
        r = client.post(f"/api/v1/orders/{order['id']}/ship", headers=shop["headers"], json=body)
        assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
    assert _status(db, order["id"]) == "paid"
    assert _events(db, "order.shipped") == []


def test_the_buyer_cancels_an_unpaid_order_and_the_stock_returns(client, place, buyer, make_user, make_skus,
                                                                 counters, db):
    skus = make_skus(4, 4)
    order = place(buyer["headers"], [(skus[0], 3), (skus[1], 1)]).json()
    for headers, status in (({}, 401), (make_user("buyer")[1], 403), (make_user("operator")[1], 403)):
        assert client.post(f"/api/v1/orders/{order['id']}/cancel", headers=headers).status_code == status
    assert counters(skus) == {skus[0]: (1, 3, 0), skus[1]: (3, 1, 0)}
    r = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer["headers"])
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert counters(skus) == {skus[0]: (4, 0, 0), skus[1]: (4, 0, 0)}
    assert _events(db, "order.cancelled") == [order["id"]]
    again = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer["headers"])
    assert again.status_code == 409 and counters(skus)[skus[0]] == (4, 0, 0)


def test_expire_unpaid_cancels_due_orders_and_releases_stock(client, place, buyer, make_skus, counters, db, at):
    from marketcast.orders import service

    skus = make_skus(10, 10)
    with clock.frozen(at(2024, 9, 2, 12)):
        due = [place(buyer["headers"], [(skus[0], 2), (skus[1], 1)]).json()["id"] for _ in range(3)]
    with clock.frozen(at(2024, 9, 2, 12, 20)):
        fresh = place(buyer["headers"], [(skus[0], 1)]).json()["id"]
        paid = place(buyer["headers"], [(skus[1], 1)]).json()["id"]
        client.post(f"/api/v1/orders/{paid}/pay", json={"card_number": "4242424242424242"}, headers=buyer["headers"])
    with clock.frozen(at(2024, 9, 2, 12, 30)):
        with db() as s:
            assert service.expire_unpaid(s) == 3
        with db() as s:
            assert service.expire_unpaid(s) == 0  # nothing twice
    assert counters(skus) == {skus[0]: (9, 1, 0), skus[1]: (9, 0, 1)}
    assert sorted(_events(db, "order.expired")) == sorted(due)
    assert [_status(db, oid) for oid in due] == ["cancelled"] * 3
    assert (_status(db, fresh), _status(db, paid)) == ("pending_payment", "paid")
    with db(write=False) as s:
        assert s.get(Order, due[0]).cancel_reason == "expired"
