"""POST /orders: validation, shop and market gates, stock, the probation cap, idempotency, and how lean it is."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from marketcast.core import clock, idempotency
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import get_engine
from marketcast.core.idempotency import IdempotencyKey
from marketcast.core.outbox import OutboxEvent
from marketcast.orders import service
from marketcast.orders.models import Order
from marketcast.policies import service as policies
from tests.support.commerce import write_product


def test_checkout_reserves_stock_and_answers_the_order(place, buyer, make_skus, counters, db, at):
    skus = make_skus(5, 3, prices=[1250, 400])
    with clock.frozen(at(2024, 9, 2, 10)):
        r = place(buyer["headers"], [(skus[0], 2), (skus[1], 1), (skus[0], 1)])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending_payment"
    assert body["total"] == {"amount": 3 * 1250 + 400, "currency": "USD"}
    # Same-SKU lines fold into one line.
    assert [(x["sku_id"], x["quantity"], x["amount"]) for x in body["lines"]] == [
        (skus[0], 3, 3750), (skus[1], 1, 400)]
    assert body["expires_at"].startswith("2024-09-02T10:30:00")  # order.unpaid_expiry_minutes default 30
    assert counters(skus) == {skus[0]: (2, 3, 0), skus[1]: (2, 1, 0)}
    with db(write=False) as s:
        events = [e.type for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type.like("order.%")))]
    assert events == ["order.created"]


def test_expiry_follows_the_market_policy(place, buyer, make_skus, db, at):
    skus = make_skus(5)
    with clock.frozen(at(2024, 9, 1)):
        with db() as s:
            policies.schedule(s, key="order.unpaid_expiry_minutes", market="US", value=10,
                              effective_from=at(2024, 9, 2), reason="shorter hold", actor=SYSTEM)
    with clock.frozen(at(2024, 9, 2, 12)):
        r = place(buyer["headers"], [(skus[0], 1)])
    assert r.json()["expires_at"].startswith("2024-09-02T12:10:00")


@pytest.mark.parametrize(("lines", "code"), [
    ([("sku_doesnotexist", 1)], "unknown_sku"),
])
def test_unknown_sku_is_422_naming_it(place, buyer, make_skus, lines, code, order_count):
    skus = make_skus(5)
    r = place(buyer["headers"], [(skus[0], 1), *lines])
    assert r.status_code == 422
    assert r.json()["code"] == code and r.json()["field"] == "lines" and r.json()["sku_id"] == "sku_doesnotexist"
    assert order_count() == 0


def test_skus_of_two_shops_are_refused(place, buyer, make_skus, make_shop, counters, order_count):
    mine = make_skus(5)
    other = make_skus(5, shop_id=make_shop()["id"])
    r = place(buyer["headers"], [(mine[0], 1), (other[0], 1)])
    assert r.status_code == 422 and r.json()["code"] == "mixed_shops" and r.json()["sku_id"] == other[0]
    assert counters(mine + other) == {mine[0]: (5, 0, 0), other[0]: (5, 0, 0)}
    assert order_count() == 0


@pytest.mark.parametrize("status", ["draft", "delisted"])
def test_a_product_that_is_not_live_cannot_be_ordered(place, buyer, make_skus, status, order_count):
    skus = make_skus(5, status=status)
    r = place(buyer["headers"], [(skus[0], 1)])
    assert r.status_code == 422 and r.json()["code"] == "sku_not_on_sale" and r.json()["field"] == "lines"
    assert order_count() == 0


@pytest.mark.parametrize("status", ["suspended", "closed", "applying"])
def test_a_shop_that_cannot_sell_refuses_orders(place, buyer, make_shop, make_skus, status, order_count, counters):
    shop = make_shop(status=status)
    skus = make_skus(5, shop_id=shop["id"])
    r = place(buyer["headers"], [(skus[0], 1)])
    assert r.status_code == 409 and r.json()["code"] == "shop_cannot_sell"
    assert order_count() == 0 and counters(skus)[skus[0]] == (5, 0, 0)


def test_a_market_that_is_not_live_refuses_orders(place, buyer, make_shop, db, order_count):
    shop = make_shop(market="ES")
    skus = write_product(db, shop_id=shop["id"], stock=[5], market="ES", currency="EUR")
    r = place(buyer["headers"], [(skus[0], 1)])
    assert r.status_code == 409 and r.json()["code"] == "market_not_live"
    assert order_count() == 0


def test_out_of_stock_is_409_naming_the_sku_and_writes_nothing(place, buyer, make_skus, counters, db, order_count):
    skus = make_skus(5, 1)
    r = place(buyer["headers"], [(skus[0], 2), (skus[1], 1), (skus[1], 1)])  # 2 of the second, only 1 there
    assert r.status_code == 409
    assert r.json()["code"] == "out_of_stock" and r.json()["sku_id"] == skus[1]
    assert counters(skus) == {skus[0]: (5, 0, 0), skus[1]: (1, 0, 0)}
    assert order_count() == 0
    with db(write=False) as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type.like("order.%"))) == 0
        assert s.scalar(select(func.count()).select_from(IdempotencyKey)) == 0  # the claim was given back


def test_probation_shop_stops_at_its_daily_cap(place, buyer, make_shop, make_skus, db, at):
    shop = make_shop(status="probation")
    skus = make_skus(50, shop_id=shop["id"])
    with clock.frozen(at(2024, 9, 1)):
        with db() as s:
            policies.schedule(s, key="shop.probation.daily_order_cap", market="US", value=2,
                              effective_from=at(2024, 9, 2), reason="tight start", actor=SYSTEM)
    with clock.frozen(at(2024, 9, 2, 9)):
        assert place(buyer["headers"], [(skus[0], 1)]).status_code == 201
        assert place(buyer["headers"], [(skus[0], 1)]).status_code == 201
        r = place(buyer["headers"], [(skus[0], 1)])
        assert r.status_code == 409 and r.json()["code"] == "daily_order_cap_reached"
    # The day is the market's (US: America/New_York, UTC-4 in September), not UTC's.
    with clock.frozen(at(2024, 9, 3, 3, 59)):  # a new UTC day, still Sept 2 in New York
        r = place(buyer["headers"], [(skus[0], 1)])
        assert r.status_code == 409 and r.json()["code"] == "daily_order_cap_reached"
    with clock.frozen(at(2024, 9, 3, 4, 1)):  # 00:01 in New York: a new day
        assert place(buyer["headers"], [(skus[0], 1)]).status_code == 201


def test_a_cancelled_order_frees_its_slot_under_the_cap(client, place, buyer, make_shop, make_skus, db, at):
    shop = make_shop(status="probation")
    skus = make_skus(50, shop_id=shop["id"])
    with clock.frozen(at(2024, 9, 1)):
        with db() as s:
            policies.schedule(s, key="shop.probation.daily_order_cap", market="US", value=1,
                              effective_from=at(2024, 9, 2), reason="tight start", actor=SYSTEM)
    with clock.frozen(at(2024, 9, 2, 15)):
        first = place(buyer["headers"], [(skus[0], 1)])
        assert first.status_code == 201
        assert place(buyer["headers"], [(skus[0], 1)]).json()["code"] == "daily_order_cap_reached"
        assert client.post(f"/api/v1/orders/{first.json()['id']}/cancel", headers=buyer["headers"]).status_code == 200
        assert place(buyer["headers"], [(skus[0], 1)]).status_code == 201
    with clock.frozen(at(2024, 9, 2, 15, 45)), db() as s:  # the second expires unpaid: its slot is free again
        assert service.expire_unpaid(s) == 1
    with clock.frozen(at(2024, 9, 2, 16)):
        assert place(buyer["headers"], [(skus[0], 1)]).status_code == 201
        assert place(buyer["headers"], [(skus[0], 1)]).json()["code"] == "daily_order_cap_reached"


def test_active_shop_has_no_cap(place, buyer, make_skus, db, at):
    skus = make_skus(50)
    with clock.frozen(at(2024, 9, 1)):
        with db() as s:
            policies.schedule(s, key="shop.probation.daily_order_cap", market="US", value=1,
                              effective_from=at(2024, 9, 2), reason="tight start", actor=SYSTEM)
    with clock.frozen(at(2024, 9, 2, 9)):
        assert [place(buyer["headers"], [(skus[0], 1)]).status_code for _ in range(3)] == [201] * 3


@pytest.mark.parametrize("body", [
    {}, {"lines": []}, {"lines": [{"sku_id": "sku_1", "quantity": 0}]},
    {"lines": [{"sku_id": "sku_1", "quantity": 1001}]}, {"lines": [{"sku_id": "sku_1"}]},
    {"lines": [{"sku_id": "sku_1", "quantity": 1, "price": 1}]}, {"lines": [{"sku_id": "x" * 33, "quantity": 1}]},
    {"lines": [{"sku_id": "sku_1", "quantity": 1}] * 51}, {"lines": [{"sku_id": "a\u0000b", "quantity": 1}]},
    {"lines": [{"sku_id": "sku_1", "quantity": True}]}, {"lines": [{"sku_id": "sku_1", "quantity": "1"}]},
])
def test_malformed_bodies_are_422(client, buyer, body, order_count):
    r = client.post("/api/v1/orders", json=body, headers={**buyer["headers"], "Idempotency-Key": "k1"})
    # a NUL is refused by core.text_guard before the route, the rest by the schema
    assert r.status_code == 422 and r.json()["code"] in ("validation_error", "invalid_text")
    assert order_count() == 0


def test_permissions(client, make_user, make_skus, order_count, db):
    skus = make_skus(5)
    body = {"lines": [{"sku_id": skus[0], "quantity": 1}]}
    r = client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k"})
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
    for role in ("seller", "creator", "operator"):
        r = client.post("/api/v1/orders", json=body, headers={**make_user(role)[1], "Idempotency-Key": "k"})
        assert r.status_code == 403 and r.json()["code"] == "wrong_role"
    assert order_count() == 0
    with db(write=False) as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


# --- idempotency ------------------------------------------------------------------------------------------------

def test_missing_key_is_400(client, buyer, make_skus, order_count):
    skus = make_skus(5)
    r = client.post("/api/v1/orders", json={"lines": [{"sku_id": skus[0], "quantity": 1}]}, headers=buyer["headers"])
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_required"
    assert r.json()["field"] == "Idempotency-Key"
    assert order_count() == 0


def test_same_key_same_body_replays_the_first_answer(client, buyer, make_skus, counters, order_count):
    skus = make_skus(5)
    headers = {**buyer["headers"], "Idempotency-Key": "order-1"}
    first = client.post("/api/v1/orders", json={"lines": [{"sku_id": skus[0], "quantity": 2}]}, headers=headers)
    # Same request, keys in another order and other whitespace: the same canonical body.
    raw = '{"lines":[ {"quantity": 2, "sku_id": "SKU"} ]}'.replace("SKU", skus[0])
    again = client.post("/api/v1/orders", content=raw,
                        headers={**headers, "Content-Type": "application/json"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert order_count() == 1 and counters(skus)[skus[0]] == (3, 2, 0)


def test_same_key_other_body_is_422(client, buyer, make_skus, order_count):
    skus = make_skus(5)
    headers = {**buyer["headers"], "Idempotency-Key": "order-1"}
    assert client.post("/api/v1/orders", json={"lines": [{"sku_id": skus[0], "quantity": 1}]},
                       headers=headers).status_code == 201
    r = client.post("/api/v1/orders", json={"lines": [{"sku_id": skus[0], "quantity": 2}]}, headers=headers)
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert order_count() == 1


def test_keys_belong_to_their_user(client, buyer, make_user, make_skus, order_count):
    skus = make_skus(5)
    body = {"lines": [{"sku_id": skus[0], "quantity": 1}]}
    other = make_user("buyer")[1]
    a = client.post("/api/v1/orders", json=body, headers={**buyer["headers"], "Idempotency-Key": "same"})
    b = client.post("/api/v1/orders", json=body, headers={**other, "Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]
    assert order_count() == 2


def test_a_failed_request_may_be_retried_with_its_key(client, buyer, make_skus, db, order_count):
    from marketcast.catalog.models import Sku

    skus = make_skus(0)
    headers = {**buyer["headers"], "Idempotency-Key": "retry-me"}
    body = {"lines": [{"sku_id": skus[0], "quantity": 1}]}
    assert client.post("/api/v1/orders", json=body, headers=headers).json()["code"] == "out_of_stock"
    with db() as s:
        s.get(Sku, skus[0]).available = 1
    assert client.post("/api/v1/orders", json=body, headers=headers).status_code == 201
    assert order_count() == 1


def test_a_key_in_progress_is_409_and_an_old_key_is_forgotten(client, buyer, make_skus, db, order_count, at):
    skus = make_skus(5)
    body = {"lines": [{"sku_id": skus[0], "quantity": 1}]}
    headers = {**buyer["headers"], "Idempotency-Key": "busy"}
    with clock.frozen(at(2024, 9, 2, 12)):
        with db() as s:  # a request holding the key right now (its checkout not committed yet)
            s.add(IdempotencyKey(id="idk_busy", user_id=buyer["user_id"], key="busy",
                                 request_hash=idempotency.request_hash("POST /api/v1/orders", body),
                                 state="in_progress", claim="c" * 32, claimed_at=clock.now()))
        r = client.post("/api/v1/orders", json=body, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "idempotency_in_progress"
        assert order_count() == 0
    with clock.frozen(at(2024, 9, 2, 12) + timedelta(minutes=2)):  # its request died: the lease lapsed
        assert client.post("/api/v1/orders", json=body, headers=headers).status_code == 201
    with clock.frozen(at(2024, 9, 4, 12)):  # past the 24 h TTL the key is new again, even with another body
        other = client.post("/api/v1/orders", json={"lines": [{"sku_id": skus[0], "quantity": 2}]}, headers=headers)
        assert other.status_code == 201
    assert order_count() == 2


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "tab\there"])
def test_bad_keys(client, buyer, make_skus, key):
    skus = make_skus(5)
    r = client.post("/api/v1/orders", json={"lines": [{"sku_id": skus[0], "quantity": 1}]},
                    headers={**buyer["headers"], "Idempotency-Key": key})
    assert r.status_code in (400, 422)
    assert r.json()["code"] in ("idempotency_key_required", "invalid_idempotency_key")


# --- lean ---------------------------------------------------------------------------------------------------------

@contextmanager
def counting():
    statements: list[str] = []

    def _count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


@pytest.mark.parametrize("shop_status", ["active", "probation"])
def test_checkout_statement_count_does_not_grow_with_lines(place, buyer, make_shop, make_skus, shop_status):
    shop = make_shop(status=shop_status)
    skus = make_skus(*([10] * 6), shop_id=shop["id"])
    with counting() as three:
        assert place(buyer["headers"], [(sku, 1) for sku in skus[:3]]).status_code == 201
    with counting() as six:
        assert place(buyer["headers"], [(sku, 1) for sku in skus]).status_code == 201
    assert len(three) <= 15, "\n".join(three)
    assert len(six) == len(three), "\n".join(six)


def test_order_id_in_the_answer_exists(place, buyer, make_skus, db):
    skus = make_skus(5)
    order_id = place(buyer["headers"], [(skus[0], 1)]).json()["id"]
    with db(write=False) as s:
        order = s.get(Order, order_id)
        assert order.buyer_id == buyer["user_id"] and order.status == "pending_payment"
