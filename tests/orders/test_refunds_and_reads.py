"""Refunds (who, how much, restock, GMV, events) and reading orders (one, and lists by role)."""

import uuid

import pytest
from sqlalchemy import func, select

from marketcast.core import clock, idempotency
from marketcast.core.idempotency import IdempotencyKey
from marketcast.core.outbox import OutboxEvent
from marketcast.orders.models import Order, Refund
from tests.support.orders import APPROVE


def _refund(client, order_id, headers, lines, restock=False, key=None):
    """POST a refund with a fresh Idempotency-Key unless `key` is given."""
    return client.post(f"/api/v1/orders/{order_id}/refunds", json={"lines": lines, "restock": restock},
                       headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})


def _refund_count(db):
    with db(write=False) as s:
        return len(s.scalars(select(Refund)).all())


def _key_count(db):
    with db(write=False) as s:
        return s.scalar(select(func.count()).select_from(IdempotencyKey))


def test_partial_then_full_refund(client, paid_order, shop, counters, gmv_totals, db):
    order, skus = paid_order(3, 1)
    first, second = order["lines"]
    r = _refund(client, order["id"], shop["headers"], [{"line_id": first["id"], "quantity": 2}], restock=True)
    assert r.status_code == 201, r.text
    assert r.json()["amount"] == 2 * first["unit_price"] and r.json()["restock"] is True
    assert counters(skus) == {skus[0]: (9, 0, 1), skus[1]: (9, 0, 1)}
    r = _refund(client, order["id"], shop["headers"],
                [{"line_id": first["id"], "quantity": 1}, {"line_id": second["id"], "quantity": 1}])
    assert r.status_code == 201
    assert counters(skus) == {skus[0]: (9, 0, 1), skus[1]: (9, 0, 1)}  # no restock: sold stays sold
    total = order["total"]["amount"]
    assert gmv_totals(shop["id"]) == (total, total)
    with db(write=False) as s:
        assert s.get(Order, order["id"]).refunded_amount == total
        events = [e.data for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type == "order.refunded")
                                            .order_by(OutboxEvent.id))]
    assert [e["full"] for e in events] == [False, True]
    assert [e["amount"] for e in events] == [2 * first["unit_price"], total - 2 * first["unit_price"]]
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=shop["headers"]).json()
    assert [x["refunded_quantity"] for x in detail["lines"]] == [3, 1] and len(detail["refunds"]) == 2


@pytest.mark.parametrize(("lines", "field", "code"), [
    ([{"line_id": "FIRST", "quantity": 3}], "lines.0.quantity", "refund_exceeds_quantity"),
    ([{"line_id": "FIRST", "quantity": 1}, {"line_id": "FIRST", "quantity": 2}], "lines.1.quantity",
     "refund_exceeds_quantity"),
    ([{"line_id": "oln_other", "quantity": 1}], "lines.0.line_id", "line_not_found"),
    ([{"line_id": "FIRST", "quantity": 0}], "lines.0.quantity", "validation_error"),
    ([], "lines", "validation_error"),
])
def test_refunding_more_than_was_bought_is_422(client, paid_order, shop, lines, field, code, gmv_totals, db):
    order, _ = paid_order(2)
    lines = [{**x, "line_id": order["lines"][0]["id"] if x["line_id"] == "FIRST" else x["line_id"]} for x in lines]
    r = _refund(client, order["id"], shop["headers"], lines)
    assert r.status_code == 422 and r.json()["field"] == field and r.json()["code"] == code
    assert _refund_count(db) == 0 and gmv_totals(shop["id"])[1] == 0


def test_an_unpaid_order_is_not_refunded(client, place, buyer, make_skus, shop):
    order = place(buyer["headers"], [(make_skus(3)[0], 1)]).json()
    r = _refund(client, order["id"], shop["headers"], [{"line_id": order["lines"][0]["id"], "quantity": 1}])
    assert r.status_code == 409 and r.json()["code"] == "order_not_refundable"


def test_refund_permissions(client, paid_order, shop, buyer, make_user, make_shop, db, gmv_totals):
    order, _ = paid_order(2)
    lines = [{"line_id": order["lines"][0]["id"], "quantity": 1}]
    keys = _key_count(db)  # the buyer's checkout key
    for headers, status, code in (({}, 401, "unauthenticated"), (buyer["headers"], 403, "wrong_role"),
                                  (make_user("creator")[1], 403, "wrong_role"),
                                  (make_shop()["headers"], 403, "not_owner"),
                                  (make_user("operator", markets=["ES"])[1], 403, "market_out_of_scope")):
        r = _refund(client, order["id"], headers, lines)
        assert (r.status_code, r.json()["code"]) == (status, code)
    assert _refund_count(db) == 0 and gmv_totals(shop["id"])[1] == 0
    assert _key_count(db) == keys  # a refused request leaves no key behind
    assert _refund(client, order["id"], make_user("operator", markets=["US"])[1], lines).status_code == 201
    assert _refund(client, order["id"], shop["headers"], lines).status_code == 201
    assert _refund_count(db) == 2


# --- idempotency ---------------------------------------------------------------------------------------------

def test_a_retried_refund_refunds_once(client, paid_order, shop, gmv_totals, counters, db):
    order, skus = paid_order(3)
    line = order["lines"][0]
    lines = [{"line_id": line["id"], "quantity": 1}]
    first = _refund(client, order["id"], shop["headers"], lines, restock=True, key="refund-1")
    again = _refund(client, order["id"], shop["headers"], lines, restock=True, key="refund-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert _refund_count(db) == 1
    assert gmv_totals(shop["id"]) == (order["total"]["amount"], line["unit_price"])  # counted once
    assert counters(skus)[skus[0]] == (8, 0, 2)  # restocked once
    with db(write=False) as s:
        assert s.get(Order, order["id"]).refunded_amount == line["unit_price"]
        assert s.scalar(select(func.count()).select_from(OutboxEvent)
                        .where(OutboxEvent.type == "order.refunded")) == 1
    other = _refund(client, order["id"], shop["headers"], [{"line_id": line["id"], "quantity": 2}], key="refund-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert _refund_count(db) == 1


def test_a_refund_needs_an_idempotency_key(client, paid_order, shop, db, gmv_totals):
    order, _ = paid_order(1)
    r = client.post(f"/api/v1/orders/{order['id']}/refunds", headers=shop["headers"],
                    json={"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}]})
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_required"
    assert r.json()["field"] == "Idempotency-Key"
    assert _refund_count(db) == 0 and gmv_totals(shop["id"])[1] == 0


def test_one_key_on_two_endpoints_never_answers_the_other(client, place, buyer, make_skus, shop, db):
    skus = make_skus(10)
    orders = []
    for key in ("k", None):
        placed = place(buyer["headers"], [(skus[0], 1)], key=key)
        assert placed.status_code == 201
        paid = client.post(f"/api/v1/orders/{placed.json()['id']}/pay", json={"card_number": APPROVE},
                           headers=buyer["headers"])
        assert paid.status_code == 200
        orders.append(paid.json())
    first, second = orders
    # The buyer checked out with "k"; the seller's "k" is another user's key: no clash.
    r = _refund(client, first["id"], shop["headers"], [{"line_id": first["lines"][0]["id"], "quantity": 1}], key="k")
    assert r.status_code == 201 and r.json()["order_id"] == first["id"]
    # The same user with the same key on another order (another path) is another request, never a replay.
    r = _refund(client, second["id"], shop["headers"], [{"line_id": second["lines"][0]["id"], "quantity": 1}],
                key="k")
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert _refund_count(db) == 1


def test_a_refund_key_in_progress_is_409(client, paid_order, shop, db):
    order, _ = paid_order(1)
    lines = [{"line_id": order["lines"][0]["id"], "quantity": 1}]
    seller_id = shop["user_id"]
    with db() as s:  # another request holds the key right now
        digest = idempotency.request_hash(f"POST /api/v1/orders/{order['id']}/refunds",
                                          {"lines": lines, "restock": False})
        s.add(IdempotencyKey(id="idk_busy", user_id=seller_id, key="busy", request_hash=digest,
                             state="in_progress", claim="c" * 32, claimed_at=clock.now()))
    r = _refund(client, order["id"], shop["headers"], lines, key="busy")
    assert r.status_code == 409 and r.json()["code"] == "idempotency_in_progress"
    assert _refund_count(db) == 0


def test_who_may_read_an_order(client, paid_order, shop, buyer, make_user, make_shop):
    order, _ = paid_order(1)
    url = f"/api/v1/orders/{order['id']}"
    for headers in (buyer["headers"], shop["headers"], make_user("operator", ["US"])[1]):
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and r.json()["id"] == order["id"] and len(r.json()["payments"]) == 1
    for headers, code in ((make_user("buyer")[1], "not_your_order"), (make_shop()["headers"], "not_owner"),
                          (make_user("operator", ["ES"])[1], "market_out_of_scope"),
                          (make_user("creator")[1], "not_your_order")):
        r = client.get(url, headers=headers)
        assert r.status_code == 403 and r.json()["code"] == code
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/orders/ord_missing", headers=buyer["headers"]).status_code == 404


def test_lists_by_role(client, place, make_user, make_skus, make_shop, shop, buyer):
    other_shop = make_shop()
    mine, theirs = make_skus(50), make_skus(50, shop_id=other_shop["id"])
    other_buyer = make_user("buyer")[1]
    a = [place(buyer["headers"], [(mine[0], 1)]).json()["id"] for _ in range(3)]
    b = [place(other_buyer, [(theirs[0], 1)]).json()["id"] for _ in range(2)]

    def ids(headers, **params):
        out, token = [], None
        while True:
            r = client.get("/api/v1/orders", headers=headers, params={**params, "page_size": 2,
                                                                      **({"page_token": token} if token else {})})
            assert r.status_code == 200, r.text
            out += [o["id"] for o in r.json()["items"]]
            token = r.json()["next_page_token"]
            if not token:
                return out

    assert ids(buyer["headers"]) == a
    assert ids(shop["headers"], shop_id=shop["id"]) == a
    assert ids(other_shop["headers"], shop_id=other_shop["id"]) == b
    assert ids(make_user("operator")[1], market="US") == a + b
    assert ids(make_user("operator", ["US"])[1]) == a + b
    assert ids(make_user("operator", ["ES"])[1]) == []
    assert ids(make_user("operator")[1], shop_id=other_shop["id"], status="pending_payment") == b
    r = client.get("/api/v1/orders", headers=shop["headers"])
    assert r.status_code == 422 and r.json()["code"] == "shop_id_required"
    r = client.get("/api/v1/orders", headers=shop["headers"], params={"shop_id": other_shop["id"]})
    assert r.status_code == 403
    r = client.get("/api/v1/orders", headers=make_user("operator", ["ES"])[1], params={"market": "US"})
    assert r.status_code == 403 and r.json()["code"] == "market_out_of_scope"
    assert client.get("/api/v1/orders", headers=make_user("creator")[1]).status_code == 403
    assert client.get("/api/v1/orders").status_code == 401
    assert client.get("/api/v1/orders", headers=buyer["headers"], params={"page_token": "junk"}).status_code == 422
