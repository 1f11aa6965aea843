"""What the back office needs from the API: shops searched, suspended and reinstated with a reason (and their
history); orders found by buyer email and by when they were placed; a refund previewed without writing."""

import pytest
from sqlalchemy import select

from marketcast.core import clock
from marketcast.core.errors import Invalid
from marketcast.core.outbox import OutboxEvent
from marketcast.orders import service as orders
from marketcast.orders.models import Refund


def test_suspend_stops_selling_and_reinstate_restores_the_status(client, shop, make_skus, buyer, place, make_user,
                                                                 db):
    sku = make_skus(5)[0]
    _, ops = make_user("operator", markets=["US"])
    _, other_ops = make_user("operator", markets=["ES"])
    url = f"/api/v1/shops/{shop['id']}"
    assert client.post(f"{url}/suspend", headers=shop["headers"], json={"reason": "mine"}).status_code == 403
    assert client.post(f"{url}/suspend", headers=other_ops, json={"reason": "x"}).json()["code"] == \
        "market_out_of_scope"
    r = client.post(f"{url}/suspend", headers=ops, json={"reason": "   "})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = client.post(f"{url}/suspend", headers=ops, json={"reason": "counterfeit reports"})
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    assert place(buyer["headers"], [(sku, 1)]).json()["code"] == "shop_cannot_sell"
    assert client.post(f"{url}/suspend", headers=ops, json={"reason": "again"}).json()["code"] == \
        "shop_not_suspendable"
    r = client.post(f"{url}/reinstate", headers=ops, json={"reason": "cleared"})
    assert r.status_code == 200 and r.json()["status"] == "active"  # the status it was suspended from
    assert place(buyer["headers"], [(sku, 1)]).status_code == 201
    history = client.get(f"{url}/history", headers=shop["headers"]).json()
    assert [(h["what"], h["status"], h["reason"]) for h in history][-2:] == [
        ("suspended", "suspended", "counterfeit reports"), ("reinstated", "active", "cleared")]
    # The seller learns that staff acted, not which operator's address; operators see who.
    assert {h["by"] for h in history[-2:]} == {"Marketcast staff"}
    seen_by_ops = client.get(f"{url}/history", headers=ops).json()
    assert all(h["by"].endswith("@example.com") for h in seen_by_ops[-2:])
    with db(write=False) as s:
        kinds = [e.type for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type.like("shop.%"))
                                           .order_by(OutboxEvent.id))]  # ids sort by creation
    assert kinds == ["shop.suspended", "shop.reinstated"]


def test_shops_are_searched_by_name_seller_market_and_status(client, make_shop, make_user):
    active, on_probation = make_shop(), make_shop(status="probation")
    _, ops = make_user("operator")

    def ids(**query) -> set[str]:
        r = client.get("/api/v1/shops", headers=ops, params=query)
        assert r.status_code == 200, r.text
        return {s["id"] for s in r.json()["items"]}

    assert ids() == {active["id"], on_probation["id"]}
    assert ids(status="probation") == {on_probation["id"]}
    assert ids(q=active["email"][:12]) == {active["id"]}
    assert ids(seller=on_probation["email"]) == {on_probation["id"]}
    assert ids(q="100%_") == set()  # LIKE wildcards are taken literally
    assert ids(market="ES") == set()
    assert {s["id"] for s in client.get("/api/v1/shops", headers=active["headers"]).json()["items"]} == \
        {active["id"]}  # a seller sees their own


def test_orders_are_found_by_buyer_email_and_placing_time(client, paid_order, buyer, make_user, at):
    with clock.frozen(at(2024, 6, 1, 12)):
        first, _ = paid_order(1)
    with clock.frozen(at(2024, 6, 3, 12)):
        second, _ = paid_order(2)
    _, ops = make_user("operator")

    def ids(**query) -> list[str]:
        r = client.get("/api/v1/orders", headers=ops, params=query)
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["items"]]

    email = client.get("/api/v1/auth/me", headers=buyer["headers"]).json()["email"]
    assert ids(buyer_email=email.upper()) == [first["id"], second["id"]]
    assert ids(buyer_email="nobody@example.com") == []
    assert ids(placed_from="2024-06-02T00:00:00Z") == [second["id"]]
    assert ids(placed_before="2024-06-02T00:00:00Z") == [first["id"]]
    r = client.get("/api/v1/orders", headers=ops, params={"placed_from": "2024-06-03T00:00:00Z",
                                                          "placed_before": "2024-06-01T00:00:00Z"})
    assert r.status_code == 422 and r.json()["field"] == "placed_before"


def test_a_refund_preview_checks_like_a_refund_and_writes_nothing(paid_order, shop, db):
    order, _ = paid_order(3)
    line = order["lines"][0]
    with db() as s:
        preview = orders.preview_refund(s, order_id=order["id"], lines=[(line["id"], 2)], actor=_actor(s, shop))
        assert preview.amount == 2 * line["unit_price"]
        with pytest.raises(Invalid) as refused:  # the refund's own rule and field
            orders.preview_refund(s, order_id=order["id"], lines=[(line["id"], 4)], actor=_actor(s, shop))
        assert refused.value.field == "lines.0.quantity"
    with db(write=False) as s:
        assert s.scalars(select(Refund)).all() == []


def _actor(session, shop):
    from marketcast.core.auth import service as auth

    return auth.actor_of(auth.get_user_by_email(session, shop["email"]))
