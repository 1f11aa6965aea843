"""Fan-out and delivery against a real HTTP receiver."""

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from marketcast.core import clock, outbox
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.core.outbox import OutboxEvent
from marketcast.markets.events import MarketStatusChanged
from marketcast.webhooks import jobs, service
from marketcast.webhooks.models import WebhookDelivery
from tests.support.webhooks import attempts_of, delivery_of, emit, subscribe, subscription


def test_an_emitted_event_reaches_the_receiver_signed(receiver):
    sub_id, secret = subscribe(receiver.url, ["market.*"])
    with unit_of_work() as session:  # the event is written in the same transaction as the change it reports
        paused = MarketStatusChanged(market="US", from_status="live", to="paused", reason="review",
                                     from_window=None, launch_window="2024-Q3")
        event = outbox.emit(session, paused, market="US")
        event_id = event.id

    assert jobs.fan_out() == 1
    assert jobs.deliver_due() == 1

    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    payload = Webhook(secret).verify(body, headers)
    assert payload["id"] == event_id and headers["webhook-id"] == event_id
    assert payload["type"] == "market.status_changed" and payload["data"] == {
        "market": "US", "from": "live", "to": "paused", "reason": "review", "from_window": None,
        "launch_window": "2024-Q3"}
    assert headers["webhook-signature"].startswith("v1,")

    tampered = body.replace(b"review", b"REVIEW")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(body, headers)

    delivery = delivery_of(sub_id)
    assert delivery.status == "delivered" and delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.delivered_at is not None
    # Nothing is left to do: the event is dispatched and the delivery done.
    assert jobs.fan_out() == 0 and jobs.deliver_due() == 0
    assert len(receiver.requests) == 1


def test_failing_receiver_gets_the_same_event_until_it_succeeds(receiver, settings_env, at, client, operator):
    settings_env(MARKETCAST_WEBHOOK_RETRY_SCHEDULE="10,60,600")
    receiver.answer(500, 500, 200)
    t0 = at(2025, 1, 6, 12, 0, 0)
    with clock.frozen(t0):
        sub_id, _ = subscribe(receiver.url, ["*"])
        event_id = emit("policy.scheduled", market="US")
        jobs.fan_out()
        assert jobs.deliver_due() == 1
        assert delivery_of(sub_id).status == "pending"
    with clock.frozen(t0 + timedelta(seconds=5)):
        assert jobs.deliver_due() == 0  # the first retry is 10 s (±10%) away
    t1 = t0 + timedelta(seconds=12)
    with clock.frozen(t1):
        assert jobs.deliver_due() == 1
    t2 = t1 + timedelta(seconds=67)
    with clock.frozen(t2):
        assert jobs.deliver_due() == 1

    assert receiver.ids() == [event_id] * 3
    # The signed timestamp is real time, not the frozen business clock: receivers check it against their own.
    real = time.time()
    assert all(abs(int(h["webhook-timestamp"]) - real) < 60 for h, _ in receiver.requests)
    delivery = delivery_of(sub_id)
    assert delivery.status == "delivered" and delivery.attempts == 3 and delivery.next_attempt_at is None

    r = client.get(f"/api/v1/webhooks/deliveries/{delivery.id}", headers=operator)
    assert r.status_code == 200
    log = r.json()["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 500, 200]
    assert [a["attempt"] for a in log] == [1, 2, 3]
    assert all(a["duration_ms"] >= 0 for a in log) and log[0]["error"] == "receiver answered HTTP 500"


def test_after_the_last_retry_it_fails_and_redeliver_brings_it_back(receiver, settings_env, at, client, operator):
    settings_env(MARKETCAST_WEBHOOK_RETRY_SCHEDULE="10")
    receiver.answer(500, 503, 200)
    t0 = at(2025, 1, 6, 12, 0, 0)
    with clock.frozen(t0):
        sub_id, _ = subscribe(receiver.url, ["*"])
        event_id = emit("market.status_changed")
        jobs.fan_out()
        jobs.deliver_due()
    with clock.frozen(t0 + timedelta(seconds=12)):
        assert jobs.deliver_due() == 1
    delivery = delivery_of(sub_id)
    assert delivery.status == "failed" and delivery.attempts == 2 and delivery.last_status_code == 503
    with clock.frozen(t0 + timedelta(days=2)):
        assert jobs.deliver_due() == 0  # failed stays failed

        r = client.post(f"/api/v1/webhooks/deliveries/{delivery.id}/redeliver", headers=operator)
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "pending"
        again = client.post(f"/api/v1/webhooks/deliveries/{delivery.id}/redeliver", headers=operator)
        assert again.status_code == 409 and again.json()["code"] == "delivery_in_progress"
        assert jobs.deliver_due() == 1

    assert receiver.ids() == [event_id] * 3
    delivery = delivery_of(sub_id)
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert [a.status_code for a in attempts_of(delivery.id)] == [500, 503, 200]
    with unit_of_work(write=False) as session:  # redelivery emits nothing new
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 1


def test_redelivery_restarts_the_retry_schedule(receiver, settings_env, at):
    settings_env(MARKETCAST_WEBHOOK_RETRY_SCHEDULE="10")
    receiver.answer(500, 500, 500, 200)
    t0 = at(2025, 1, 6, 12, 0, 0)
    with clock.frozen(t0):
        sub_id, _ = subscribe(receiver.url, ["*"])
        emit("market.status_changed")
        jobs.fan_out()
        jobs.deliver_due()
    with clock.frozen(t0 + timedelta(seconds=12)):
        jobs.deliver_due()
    delivery = delivery_of(sub_id)
    assert delivery.status == "failed"
    with clock.frozen(t0 + timedelta(hours=1)):
        with unit_of_work() as session:
            service.redeliver(session, delivery_id=delivery.id, actor=SYSTEM)
        jobs.deliver_due()
        assert delivery_of(sub_id).status == "pending"  # a retry is scheduled again, not failed at once
    with clock.frozen(t0 + timedelta(hours=1, seconds=12)):
        jobs.deliver_due()
    assert delivery_of(sub_id).status == "delivered"
    assert len(receiver.requests) == 4


def test_410_gone_disables_the_subscription(receiver):
    receiver.answer(410)
    sub_id, _ = subscribe(receiver.url, ["*"])
    emit("market.status_changed")
    jobs.fan_out()
    assert jobs.deliver_due() == 1

    delivery = delivery_of(sub_id)
    assert delivery.status == "failed" and delivery.last_status_code == 410
    sub = subscription(sub_id)
    assert sub.status == "disabled" and "410" in sub.disabled_reason
    emit("market.status_changed")
    assert jobs.fan_out() == 1
    with unit_of_work(write=False) as session:  # a disabled subscription gets no new deliveries
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    assert len(receiver.requests) == 1


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(receiver, settings_env):
    settings_env(MARKETCAST_WEBHOOK_TIMEOUT_SECONDS="0.3")
    receiver.answer(("sleep", 2, 200))
    sub_id, _ = subscribe(receiver.url, ["*"])
    emit("market.status_changed")
    jobs.fan_out()
    assert jobs.deliver_due() == 1

    delivery = delivery_of(sub_id)
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code is None
    assert "timed out" in delivery.last_error
    assert delivery.next_attempt_at > clock.now()
    [attempt] = attempts_of(delivery.id)
    assert attempt.status_code is None and 250 <= attempt.duration_ms < 2000


def test_an_unreachable_receiver_is_a_failed_attempt(receiver):
    url = receiver.url
    receiver.close()  # nothing listens on that port any more
    sub_id, _ = subscribe(url, ["*"])
    emit("market.status_changed")
    jobs.fan_out()
    assert jobs.deliver_due() == 1
    delivery = delivery_of(sub_id)
    assert delivery.status == "pending" and delivery.last_status_code is None and "Connect" in delivery.last_error


def test_filters_exact_prefix_and_everything():
    exact, _ = subscribe("https://a.example/hook", ["market.status_changed"])
    prefix, _ = subscribe("https://b.example/hook", ["market.*"])
    every, _ = subscribe("https://c.example/hook", ["*"])
    policy, _ = subscribe("https://d.example/hook", ["policy.*", "market.launched"])
    events = {name: emit(name) for name in ("market.status_changed", "market.launch_rescheduled", "order.paid",
                                            "policy.scheduled")}
    assert jobs.fan_out() == 4

    def pairs():
        with unit_of_work(write=False) as session:
            return {(d.subscription_id, d.event_type) for d in session.scalars(select(WebhookDelivery))}

    assert pairs() == {
        (exact, "market.status_changed"),
        (prefix, "market.status_changed"), (prefix, "market.launch_rescheduled"),
        (every, "market.status_changed"), (every, "market.launch_rescheduled"), (every, "order.paid"),
        (every, "policy.scheduled"),
        (policy, "policy.scheduled"),
    }
    # Fan-out is idempotent: the same events handled again create no second delivery.
    with unit_of_work() as session:
        session.execute(update(OutboxEvent).values(dispatched=False))
    assert jobs.fan_out() == 4
    with unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 7 + 1
        assert all(session.get(OutboxEvent, e).dispatched for e in events.values())


def test_matches():
    assert service.matches(["*"], "anything.at_all")
    assert service.matches(["market.*"], "market.status_changed") and service.matches(["market.*"], "market.a.b")
    assert not service.matches(["market.*"], "marketing.promo") and not service.matches(["market.*"], "market")
    assert service.matches(["a.b", "c.*"], "c.d") and not service.matches(["a.b"], "a.bc")


def test_a_worker_that_outlived_its_lease_cannot_record(at, settings_env):
    settings_env(MARKETCAST_WEBHOOK_LEASE_SECONDS="5")
    t0 = at(2025, 1, 6, 12, 0, 0)
    with clock.frozen(t0):
        sub_id, _ = subscribe("https://a.example/hook", ["*"])
        emit("market.status_changed")
        jobs.fan_out()
        with unit_of_work() as session:
            [first] = service.claim_due(session, limit=10, lease_seconds=jobs.lease_seconds())
        with unit_of_work() as session:  # claimed: not due again while the lease runs
            assert service.claim_due(session, limit=10, lease_seconds=5) == []
    with clock.frozen(t0 + timedelta(seconds=6)):
        with unit_of_work() as session:
            [second] = service.claim_due(session, limit=10, lease_seconds=5)
        assert second.event_id == first.event_id and second.lease_token != first.lease_token
        outcome = dict(started_at=clock.now(), duration_ms=5, error=None)
        with unit_of_work() as session:
            assert service.record_attempt(session, delivery_id=first.delivery_id, lease_token=first.lease_token,
                                          status_code=500, **outcome) is None
        with unit_of_work() as session:
            recorded = service.record_attempt(session, delivery_id=second.delivery_id,
                                              lease_token=second.lease_token, status_code=204, **outcome)
            assert recorded.status == "delivered"
    assert [a.status_code for a in attempts_of(delivery_of(sub_id).id)] == [204]
    assert json.loads(first.body)["id"] == first.event_id
