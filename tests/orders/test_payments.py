"""Paying: test cards, the attempt record, what an approval moves, declines, repeats, expiry, a charge in flight."""

import threading
import time

import pytest
from sqlalchemy import func, select

from marketcast.core import clock
from marketcast.core.errors import Invalid
from marketcast.core.outbox import OutboxEvent
from marketcast.orders import payments
from marketcast.orders.models import PaymentAttempt
from marketcast.sellers.models import Shop

APPROVE = payments.APPROVE


def _pay(client, order_id, headers, card=APPROVE):
    return client.post(f"/api/v1/orders/{order_id}/pay", json={"card_number": card}, headers=headers)


def _attempts(db, order_id):
    with db(write=False) as s:
        return list(s.scalars(select(PaymentAttempt).where(PaymentAttempt.order_id == order_id)
                              .order_by(PaymentAttempt.id)))


def test_luhn():
    assert payments.luhn_ok("4242424242424242") and not payments.luhn_ok("4242424242424241")
    assert payments.check_card_number("4242 4242-4242 4242") == "4242424242424242"
    for bad in ("4242424242424241", "abcd", "42", "4" * 20):
        with pytest.raises(Invalid) as err:
            payments.check_card_number(bad)
        assert err.value.field == "card_number"


@pytest.mark.parametrize(("card", "status", "code"), [
    (payments.APPROVE, "approved", None), (payments.DECLINE, "declined", "card_declined"),
    (payments.INSUFFICIENT_FUNDS, "declined", "insufficient_funds"),
    (payments.PROCESSING_ERROR, "error", "processing_error"),
])
def test_test_provider_answers_by_card(card, status, code):
    result = payments.TestProvider().charge(amount=100, currency="USD", card_number=card, reference="pay_x")
    assert (result.status, result.decline_code) == (status, code) and result.reference.startswith("ch_test_")


def test_slow_card_waits_then_approves(settings_env):
    settings_env(MARKETCAST_PAYMENT_TEST_SLOW_SECONDS="0.3")
    started = time.monotonic()
    result = payments.TestProvider().charge(amount=1, currency="USD", card_number=payments.SLOW, reference="p")
    assert result.status == "approved" and time.monotonic() - started >= 0.3


def test_approval_pays_the_order_and_moves_stock_gmv_and_the_shop_counter(
        client, place, buyer, make_skus, shop, counters, gmv_totals, db):
    skus = make_skus(5, 5, prices=[1000, 250])
    order = place(buyer["headers"], [(skus[0], 2), (skus[1], 1)]).json()
    r = _pay(client, order["id"], buyer["headers"], card="4242 4242 4242 4242")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "paid" and body["paid_at"]
    assert [(p["status"], p["card_last4"], p["amount"]) for p in body["payments"]] == [("approved", "4242", 2250)]
    assert counters(skus) == {skus[0]: (3, 0, 2), skus[1]: (4, 0, 1)}
    assert gmv_totals(shop["id"]) == (2250, 0)
    with db(write=False) as s:
        assert s.get(Shop, shop["id"]).paid_orders == 1
        paid = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "order.paid")).all()
    assert [e.data["order_id"] for e in paid] == [order["id"]]


def test_paying_again_charges_nothing(client, place, buyer, make_skus, db, gmv_totals, shop):
    skus = make_skus(5)
    order = place(buyer["headers"], [(skus[0], 1)]).json()
    assert _pay(client, order["id"], buyer["headers"]).status_code == 200
    again = _pay(client, order["id"], buyer["headers"])
    assert again.status_code == 200 and again.json()["status"] == "paid"
    assert len(_attempts(db, order["id"])) == 1
    assert gmv_totals(shop["id"]) == (1000, 0)


@pytest.mark.parametrize(("card", "code", "decline_code"), [
    (payments.DECLINE, "card_declined", "card_declined"),
    (payments.INSUFFICIENT_FUNDS, "card_declined", "insufficient_funds"),
    (payments.PROCESSING_ERROR, "payment_failed", "processing_error"),
])
def test_a_refused_charge_is_402_and_the_order_waits(client, place, buyer, make_skus, counters, db, card, code,
                                                     decline_code, gmv_totals, shop):
    skus = make_skus(5)
    order = place(buyer["headers"], [(skus[0], 1)]).json()
    r = _pay(client, order["id"], buyer["headers"], card=card)
    assert r.status_code == 402 and r.json()["code"] == code and r.json()["decline_code"] == decline_code
    assert [a.status for a in _attempts(db, order["id"])] == ["declined" if code == "card_declined" else "error"]
    assert counters(skus)[skus[0]] == (4, 1, 0) and gmv_totals(shop["id"]) == (0, 0)
    # The buyer may try another card.
    assert _pay(client, order["id"], buyer["headers"]).json()["status"] == "paid"


@pytest.mark.parametrize("card", ["4242424242424241", "4111111111111111", "12", "card"])
def test_invalid_card_numbers_are_422_and_record_nothing(client, place, buyer, make_skus, db, card):
    skus = make_skus(5)
    order = place(buyer["headers"], [(skus[0], 1)]).json()
    r = _pay(client, order["id"], buyer["headers"], card=card)
    assert r.status_code == 422 and r.json()["field"] == "card_number"
    assert _attempts(db, order["id"]) == []


def test_an_expired_order_cannot_be_paid(client, place, buyer, make_skus, db, at):
    skus = make_skus(5)
    with clock.frozen(at(2024, 9, 2, 12)):
        order = place(buyer["headers"], [(skus[0], 1)]).json()
    with clock.frozen(at(2024, 9, 2, 12, 30)):
        r = _pay(client, order["id"], buyer["headers"])
    assert r.status_code == 409 and r.json()["code"] == "order_expired"
    assert _attempts(db, order["id"]) == []


def test_only_the_buyer_pays(client, place, buyer, make_user, make_skus, shop, db):
    skus = make_skus(5)
    order = place(buyer["headers"], [(skus[0], 1)]).json()
    assert client.post(f"/api/v1/orders/{order['id']}/pay", json={"card_number": APPROVE}).status_code == 401
    for headers, status, code in ((make_user("buyer")[1], 403, "not_your_order"),
                                  (shop["headers"], 403, "wrong_role"), (make_user("operator")[1], 403, "wrong_role")):
        r = _pay(client, order["id"], headers)
        assert (r.status_code, r.json()["code"]) == (status, code)
    assert _attempts(db, order["id"]) == []
    assert _pay(client, "ord_nothere", buyer["headers"]).status_code == 404


def test_a_second_payment_while_one_is_in_flight_is_409(client, place, buyer, make_skus, db, monkeypatch, counters):
    """The provider call runs with no transaction open; a second pay meanwhile is refused, not charged twice."""
    skus = make_skus(5)
    order = place(buyer["headers"], [(skus[0], 1)]).json()
    entered, leave = threading.Event(), threading.Event()
    real = payments.TestProvider.charge

    def slow_charge(self, **kwargs):
        entered.set()
        assert leave.wait(10)
        return real(self, **kwargs)

    monkeypatch.setattr(payments.TestProvider, "charge", slow_charge)
    first: dict = {}
    racer = threading.Thread(target=lambda: first.update(r=_pay(client, order["id"], buyer["headers"])))
    racer.start()
    assert entered.wait(10)
    # While the provider works: other writers are not blocked (no lock held), a second pay and a cancel are 409.
    second = _pay(client, order["id"], buyer["headers"])
    cancel = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer["headers"])
    other_order = place(buyer["headers"], [(skus[0], 1)])
    leave.set()
    racer.join(10)
    assert second.status_code == 409 and second.json()["code"] == "payment_in_progress"
    assert cancel.status_code == 409 and cancel.json()["code"] == "payment_in_progress"
    assert other_order.status_code == 201
    assert first["r"].status_code == 200 and first["r"].json()["status"] == "paid"
    assert [a.status for a in _attempts(db, order["id"])] == ["approved"]
    assert counters(skus)[skus[0]] == (3, 1, 1)


def test_expiry_leaves_an_order_with_a_charge_in_flight_alone(client, place, buyer, make_skus, db, at):
    from marketcast.orders import service

    skus = make_skus(5)
    with clock.frozen(at(2024, 9, 2, 12)):
        order = place(buyer["headers"], [(skus[0], 1)]).json()
    with clock.frozen(at(2024, 9, 2, 12, 29)):  # the buyer pays just before expires_at (12:30)
        with db() as s:
            started = payments.begin(s, order_id=order["id"], actor=_buyer_actor(s, buyer), provider="test",
                                     card_number=APPROVE)
    with clock.frozen(at(2024, 9, 2, 12, 31)):
        with db() as s:
            assert service.expire_unpaid(s) == 0
        with db() as s:  # the charge comes back approved after expires_at: the order is paid
            payments.finish(s, started=started, result=payments.Result("approved", "ch_1"))
        with db(write=False) as s:
            assert service.get_order(s, order["id"]).status == "paid"
    # A charge that never came back is taken for lost after a while: expiry proceeds and abandons it.
    with clock.frozen(at(2024, 9, 3, 12)):
        late = place(buyer["headers"], [(skus[0], 1)]).json()
        with db() as s:
            payments.begin(s, order_id=late["id"], actor=_buyer_actor(s, buyer), provider="test", card_number=APPROVE)
    with clock.frozen(at(2024, 9, 3, 12, 31) + service.PAYMENT_STALE_AFTER):
        with db() as s:
            assert service.expire_unpaid(s) == 1
    assert [a.status for a in _attempts(db, late["id"])] == ["error"]
    with db(write=False) as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "order.expired")) == 1


def _buyer_actor(session, buyer):
    from marketcast.core.auth import service as auth
    from marketcast.core.auth.models import User

    return auth.actor_of(session.get(User, buyer["user_id"]))


def _order_row(db, order_id):
    from marketcast.orders import service

    with db(write=False) as s:
        return service.get_order(s, order_id)


def test_a_late_answer_of_an_abandoned_attempt_leaves_the_newer_charge_in_flight(client, place, buyer, make_skus,
                                                                                 db, at):
    """Attempt A is taken for lost and B starts; A's decline arriving now must not clear B's in-flight marker."""
    skus = make_skus(5)
    with clock.frozen(at(2024, 9, 2, 12)):
        order = place(buyer["headers"], [(skus[0], 1)]).json()
    with clock.frozen(at(2024, 9, 2, 12, 1)), db() as s:
        first = payments.begin(s, order_id=order["id"], actor=_buyer_actor(s, buyer), provider="test",
                               card_number=APPROVE)
    with clock.frozen(at(2024, 9, 2, 12, 12)), db() as s:  # A is stale: B takes over and A is abandoned
        second = payments.begin(s, order_id=order["id"], actor=_buyer_actor(s, buyer), provider="test",
                                card_number=APPROVE)
    with clock.frozen(at(2024, 9, 2, 12, 13)):
        with db() as s:
            late = payments.finish(s, started=first, result=payments.Result("declined", "ch_a", "no", "card_declined"))
            assert (late.status, late.decline_code) == ("error", "abandoned")
        assert _order_row(db, order["id"]).payment_started_at == at(2024, 9, 2, 12, 12)
        cancel = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer["headers"])
        assert cancel.status_code == 409 and cancel.json()["code"] == "payment_in_progress"
        with db() as s:
            payments.finish(s, started=second, result=payments.Result("approved", "ch_b"))
    row = _order_row(db, order["id"])
    assert row.status == "paid" and row.payment_started_at is None
    assert [(a.id, a.status) for a in _attempts(db, order["id"])] == [(first.attempt_id, "error"),
                                                                      (second.attempt_id, "approved")]


def test_a_late_approval_of_an_abandoned_attempt_pays_and_the_newer_one_is_marked_for_void(
        place, buyer, make_skus, db, at, gmv_totals, shop):
    skus = make_skus(5)
    with clock.frozen(at(2024, 9, 2, 12)):
        order = place(buyer["headers"], [(skus[0], 1)]).json()
    with clock.frozen(at(2024, 9, 2, 12, 1)), db() as s:
        first = payments.begin(s, order_id=order["id"], actor=_buyer_actor(s, buyer), provider="test",
                               card_number=APPROVE)
    with clock.frozen(at(2024, 9, 2, 12, 12)), db() as s:
        second = payments.begin(s, order_id=order["id"], actor=_buyer_actor(s, buyer), provider="test",
                                card_number=APPROVE)
    with clock.frozen(at(2024, 9, 2, 12, 13)):
        with db() as s:  # money moved for A after all: it pays the order, B keeps its marker until it answers
            payments.finish(s, started=first, result=payments.Result("approved", "ch_a"))
        row = _order_row(db, order["id"])
        assert row.status == "paid" and row.payment_started_at == at(2024, 9, 2, 12, 12)
        with db() as s:
            b = payments.finish(s, started=second, result=payments.Result("approved", "ch_b"))
            assert b.decline_code == "order_not_payable"
    assert _order_row(db, order["id"]).payment_started_at is None
    assert [a.status for a in _attempts(db, order["id"])] == ["approved", "approved"]
    assert gmv_totals(shop["id"]) == (1000, 0)  # one sale, not two
