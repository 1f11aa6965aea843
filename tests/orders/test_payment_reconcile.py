"""A charge whose answer was lost in a crash is settled by the worker with the provider's own record, not left
blocking the order (found in an attack: after a crash during a charge the order answered 409
payment_in_progress for 10 minutes)."""

from datetime import timedelta

from marketcast import worker
from marketcast.core import clock
from marketcast.orders import payments, reconcile
from marketcast.orders import service as orders

APPROVE, DECLINE = "4242424242424242", "4000000000000002"


def _actor(session, buyer):
    from marketcast.core.auth import service as auth
    from marketcast.core.auth.models import User

    return auth.actor_of(session.get(User, buyer["user_id"]))


def _crash_during_charge(db, order_id, buyer, card, *, charged: bool):
    """tx1 ran and, when `charged`, the provider charged; the process died before tx2 recorded the answer."""
    with db() as s:
        started = payments.begin(s, order_id=order_id, actor=_actor(s, buyer), provider="test", card_number=card)
    if charged:
        payments.charge(payments.get_provider("test"), started=started, card_number=card)
    return started


def test_a_charge_approved_before_the_crash_pays_the_order(client, place, buyer, make_skus, db, at):
    sku = make_skus(5)[0]
    began = at(2030, 3, 1, 12)
    with clock.frozen(began):
        order = place(buyer["headers"], [(sku, 1)]).json()
        _crash_during_charge(db, order["id"], buyer, APPROVE, charged=True)
        r = client.post(f"/api/v1/orders/{order['id']}/pay", json={"card_number": APPROVE}, headers=buyer["headers"])
        assert r.status_code == 409 and r.json()["code"] == "payment_in_progress"
        assert reconcile.settle_lost_payments() == 0  # still inside the grace period: the request may yet answer
    with clock.frozen(began + timedelta(minutes=2)):
        assert worker.run_once()["payments_reconcile"] == 1
        with db(write=False) as s:
            row = orders.get_order(s, order["id"])
            assert row.status == "paid" and row.payment_started_at is None


def test_a_charge_the_provider_never_got_frees_the_order_at_once(client, place, buyer, make_skus, db, at):
    sku = make_skus(5)[0]
    began = at(2030, 3, 1, 12)
    with clock.frozen(began):
        order = place(buyer["headers"], [(sku, 1)]).json()
        lost = _crash_during_charge(db, order["id"], buyer, APPROVE, charged=False)
    with clock.frozen(began + timedelta(minutes=2)):  # well before the 10 minutes an attempt used to block
        assert reconcile.settle_lost_payments() == 1
        r = client.post(f"/api/v1/orders/{order['id']}/pay", json={"card_number": APPROVE}, headers=buyer["headers"])
        assert r.status_code == 200, r.text
    with db(write=False) as s:
        from marketcast.orders.models import PaymentAttempt

        assert s.get(PaymentAttempt, lost.attempt_id).decline_code == "not_charged"


def test_a_decline_before_the_crash_is_recorded_as_such(place, buyer, make_skus, db, at):
    sku = make_skus(5)[0]
    began = at(2030, 3, 1, 12)
    with clock.frozen(began):
        order = place(buyer["headers"], [(sku, 1)]).json()
        lost = _crash_during_charge(db, order["id"], buyer, DECLINE, charged=True)
    with clock.frozen(began + timedelta(minutes=2)):
        assert reconcile.settle_lost_payments() == 1
    with db(write=False) as s:
        from marketcast.orders.models import PaymentAttempt

        attempt = s.get(PaymentAttempt, lost.attempt_id)
        assert (attempt.status, attempt.decline_code) == ("declined", "card_declined")
        assert orders.get_order(s, order["id"]).status == "pending_payment"
