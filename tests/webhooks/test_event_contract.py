"""Events as a contract: the registry, the event-types list, OpenAPI `webhooks`, subscriptions naming only
known types, and a subscription never receiving events older than itself."""

import threading
import time
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text

from marketcast.core import clock, events, outbox
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.core.events import EventPayload, event_type
from marketcast.orders.events import OrderPaid
from marketcast.webhooks import jobs, service
from marketcast.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.support.webhooks import emit, sample, subscribe

URL = "https://hooks.example.com/marketcast"
# Each area's events, as the areas emit them today: the registry must hold at least these.
EXPECTED = {"market.created", "market.status_changed", "market.rescheduled", "market.launch_rescheduled",
            "market.launched", "policy.scheduled", "policy.withdrawn", "policy.effective", "seller.created",
            "application.submitted", "application.approved", "application.rejected", "application.now_eligible",
            "application.no_longer_eligible", "shop.created", "shop.graduated", "product.published",
            "product.delisted", "inventory.changed", "order.created", "order.paid", "order.shipped",
            "order.delivered", "order.completed", "order.cancelled", "order.expired", "order.refunded"}


def _deliveries() -> list[tuple[str, str]]:
    with unit_of_work(write=False) as session:
        return [(d.subscription_id, d.event_id) for d in session.scalars(select(WebhookDelivery)
                                                                           .order_by(WebhookDelivery.event_id))]


def test_the_registry_binds_each_type_to_a_described_payload_model():
    assert EXPECTED <= set(events.names())
    for t in events.all_types():
        assert issubclass(t.model, EventPayload) and t.model.event_type == t.name and t.description


def test_emit_takes_only_a_registered_payload_model():
    with unit_of_work() as session:
        with pytest.raises(TypeError):
            outbox.emit(session, {"order_id": "ord_1"})  # type: ignore[arg-type]

        class Unregistered(EventPayload):
            """Not in the registry."""

        with pytest.raises(TypeError):
            outbox.emit(session, Unregistered())
        with pytest.raises(ValidationError):  # the payload is checked where it is made
            sample("order.paid", status="lost")
        event = outbox.emit(session, sample("order.paid", order_id="ord_1"), market="US")
        assert event.type == "order.paid" and event.data["order_id"] == "ord_1"
        assert event.data["status"] == "pending_payment"


def test_a_type_is_bound_once_and_needs_a_description():
    with pytest.raises(ValueError, match="already bound"):
        @event_type("order.paid")
        class Other(EventPayload):
            """Another payload for a taken name."""
    with pytest.raises(ValueError, match="description"):
        @event_type("order.undocumented")
        class Undocumented(EventPayload):
            pass
    with pytest.raises(ValueError, match="not an event type name"):
        event_type("Order Paid")
    assert "order.undocumented" not in events.names()


def test_event_types_endpoint_lists_names_descriptions_and_payload_schemas(client, operator, make_user):
    r = client.get("/api/v1/webhooks/event-types", headers=operator)
    assert r.status_code == 200, r.text
    items = {t["name"]: t for t in r.json()["items"]}
    assert set(items) == set(events.names()) and EXPECTED <= set(items)
    paid = items["order.paid"]
    assert paid["description"] == OrderPaid.__doc__.strip()
    assert {"order_id", "amount", "currency", "payment_id"} <= set(paid["payload_schema"]["properties"])
    assert items["market.status_changed"]["payload_schema"]["required"][:3] == ["market", "from", "to"]
    assert client.get("/api/v1/webhooks/event-types").status_code == 401
    assert client.get("/api/v1/webhooks/event-types", headers=make_user("seller")[1]).status_code == 403


def test_openapi_lists_every_type_under_webhooks_with_its_envelope(client):
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["webhooks"]) == set(events.names())
    schemas = doc["components"]["schemas"]
    post = doc["webhooks"]["order.paid"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    envelope = schemas[ref.rsplit("/", 1)[1]]
    assert set(envelope["required"]) == {"id", "type", "occurred_at", "data"}
    assert envelope["properties"]["type"]["const"] == "order.paid"
    assert envelope["properties"]["data"]["$ref"].endswith("/OrderPaid")
    assert "payment_id" in schemas["OrderPaid"]["properties"]
    assert {p["name"] for p in post["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert set(post["responses"]) == {"204", "default"}  # the receiver's answers; no FastAPI 422 of ours


@pytest.mark.parametrize("event_types,field", [
    (["no.such.type"], "event_types.0"),
    (["order.paid", "order.payd"], "event_types.1"),
    (["nosuch.*"], "event_types.0"),
    (["orders.*"], "event_types.0"),
])
def test_a_subscription_to_an_unknown_type_is_422_naming_the_entry(client, operator, event_types, field):
    r = client.post("/api/v1/webhooks", json={"url": URL, "event_types": event_types}, headers=operator)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unknown_event_type" and r.json()["field"] == field
    with unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


def test_known_types_and_matching_prefixes_are_accepted_and_patch_is_checked_too(client, operator):
    r = client.post("/api/v1/webhooks", json={"url": URL, "event_types": ["order.*", "market.launched", "*"]},
                    headers=operator)
    assert r.status_code == 201, r.text
    sub_id = r.json()["id"]
    bad = client.patch(f"/api/v1/webhooks/{sub_id}", json={"event_types": ["order.paid", "no.such.type"]},
                       headers=operator)
    assert bad.status_code == 422 and bad.json()["field"] == "event_types.1"
    assert client.get(f"/api/v1/webhooks/{sub_id}", headers=operator).json()["event_types"] == [
        "order.*", "market.launched", "*"]


def test_a_new_subscription_gets_none_of_the_events_before_it_even_not_yet_fanned_out(client, operator):
    older = [emit("order.paid", market="US"), emit("market.status_changed", market="US")]
    r = client.post("/api/v1/webhooks", json={"url": URL, "event_types": ["*"]}, headers=operator)
    assert r.status_code == 201, r.text
    sub_id = r.json()["id"]
    assert jobs.fan_out() == 2  # handled (and marked dispatched), delivered to no one
    assert _deliveries() == []

    newer = emit("order.paid", market="US")
    assert jobs.fan_out() == 1
    assert _deliveries() == [(sub_id, newer)]
    with unit_of_work(write=False) as session:
        events_seen = session.scalars(select(WebhookDelivery.event_id)).all()
    assert not set(older) & set(events_seen)


def test_an_older_subscription_still_gets_what_a_newer_one_does_not(at):
    t0 = at(2025, 3, 1, 9, 0, 0)
    with clock.frozen(t0):
        early, _ = subscribe(URL, ["order.*"])
        before = emit("order.paid")
    with clock.frozen(t0 + timedelta(minutes=5)):
        late, _ = subscribe(URL + "/late", ["order.*"])
        after = emit("order.paid")
    jobs.fan_out()
    assert sorted(_deliveries()) == sorted([(early, before), (early, after), (late, after)])


def test_on_a_frozen_clock_creation_order_decides(at):
    """Subscription and events at the same business instant (a frozen clock): what was created first is older."""
    with clock.frozen(at(2025, 3, 1, 9, 0, 0)):
        before = emit("market.status_changed")
        sub_id, _ = subscribe(URL, ["market.*"])
        after = emit("market.status_changed")
        jobs.fan_out()
    assert _deliveries() == [(sub_id, after)] and before < after


def test_an_event_after_a_subscription_still_being_committed_reaches_it(database_url):
    """PostgreSQL, real concurrency: the subscription is flushed but not committed when a later event commits
    and the fan-out runs; the fan-out waits for the subscription instead of dispatching the event past it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("on SQLite the writers queue (ADR 0003) orders the two transactions")
    flushed, release, created = threading.Event(), threading.Event(), []

    def create() -> None:
        with unit_of_work() as session:
            sub, _ = service.create_subscription(session, url=URL, event_types=["order.*"], actor=SYSTEM)
            created.append(sub.id)
            flushed.set()
            release.wait(60)

    creator = threading.Thread(target=create)
    creator.start()
    try:
        assert flushed.wait(60)
        event_id = emit("order.paid")
        fan = threading.Thread(target=jobs.fan_out)
        fan.start()
        assert _wait_for_lock_wait(), "the fan-out did not wait for the subscription's transaction"
    finally:
        release.set()
        creator.join(60)
    fan.join(60)
    assert _deliveries() == [(created[0], event_id)]


def _wait_for_lock_wait() -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with unit_of_work(write=False) as session:
            waiting = session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'LOCK TABLE webhook_subscriptions%'"))
        if waiting:
            return True
        time.sleep(0.05)
    return False
